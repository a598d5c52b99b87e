"""Messages: a participant's history, delivery rates, and campaigns (preview, then send)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate
from sqlmodel import select

from journey.consent.services import consented_ids
from journey.core import audit
from journey.core.api import Blueprint
from journey.core.auth import current_user, requires
from journey.core.db import db, utcnow
from journey.core.ids import ID_RANGE
from journey.core.policy import office_scope
from journey.core.schemas import Language
from journey.messaging.bridge import recipient_for
from journey.participants.models import Participant
from journey.participants.services import filtered_query, load_participant
from notifications.models import Campaign, OutboxMessage, SmsOptOut, Status
from notifications.outbox import build_rows, write_rows
from notifications.templates import TEMPLATES

blp = Blueprint("messages", __name__, url_prefix="", description="SMS and email to participants.")
CAMPAIGN_LIMIT = 100_000


class MessageSchema(ma.Schema):
    id = ma.fields.Integer()
    channel = ma.fields.String()
    template = ma.fields.String()
    language = ma.fields.String()
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String()
    status = ma.fields.String()
    skip_reason = ma.fields.String(allow_none=True)
    segments = ma.fields.Integer(allow_none=True)
    attempts = ma.fields.Integer()
    last_error_code = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)
    delivered_at = ma.fields.DateTime(allow_none=True)


class StatsSchema(ma.Schema):
    channel = ma.fields.String()
    language = ma.fields.String()
    total = ma.fields.Integer()
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    delivery_rate = ma.fields.Float(allow_none=True, metadata={
        "description": "delivered / (sent + delivered + undelivered + failed)"})


class CampaignFilterSchema(ma.Schema):
    programme_id = ma.fields.Integer(validate=ID_RANGE)
    office_id = ma.fields.Integer(validate=ID_RANGE)
    stage = ma.fields.List(ma.fields.String())
    language = Language()


class CampaignSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    template = ma.fields.String(required=True, validate=validate.OneOf(sorted(TEMPLATES)))
    filter = ma.fields.Nested(CampaignFilterSchema, load_default=dict)
    params = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=40)),
                            values=ma.fields.String(validate=validate.Length(max=200)),
                            load_default=dict)


class PreviewSchema(ma.Schema):
    recipients = ma.fields.Integer()
    messages = ma.fields.Integer()
    by_language = ma.fields.List(ma.fields.Dict())
    skipped = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    estimated_cost = ma.fields.String()
    campaign_id = ma.fields.Integer(allow_none=True)


def _audience(sess, user, filters: dict[str, Any]) -> list[Participant]:
    stmt = filtered_query(user, filters).order_by(Participant.id).limit(CAMPAIGN_LIMIT)
    return list(sess.scalars(stmt))


def _plan(sess, user, data: dict[str, Any], campaign_id: int | None = None):
    """Every outbox row the campaign would write, and what would be skipped and why."""
    people = _audience(sess, user, data["filter"])
    consenting = consented_ids(sess, [p.id for p in people], "updates")
    phones = [p.phone for p in people if p.phone]
    opted_out: set[str] = set()
    for start in range(0, len(phones), 5000):  # SQLite caps bound parameters
        opted_out.update(sess.scalars(select(SmsOptOut.phone)
                                      .where(SmsOptOut.phone.in_(phones[start:start + 5000]))))
    now = utcnow()
    cache: dict = {}
    rows, skipped = [], defaultdict(int)
    for p in people:
        if p.id not in consenting:
            skipped["no_consent"] += 1
            continue
        if not p.channels:
            skipped["no_channel"] += 1
            continue
        for row in build_rows(recipient_for(sess, p, cache), data["template"], data["params"],
                              dedupe_key=f"campaign:{campaign_id}:{p.id}" if campaign_id else None,
                              campaign_id=campaign_id, now=now):
            if row["status"] == Status.SKIPPED:
                skipped[row["skip_reason"]] += 1
            elif row["channel"] == "sms" and row["recipient"] in opted_out:
                skipped["opted_out"] += 1
            else:
                rows.append(row)
    return people, rows, dict(skipped)


def _summary(people, rows, skipped) -> dict[str, Any]:
    by_lang: dict[tuple[str, str], dict[str, Any]] = {}
    cost = Decimal("0")
    for r in rows:
        entry = by_lang.setdefault((r["language"], r["channel"]), {
            "language": r["language"], "channel": r["channel"], "messages": 0, "segments": 0})
        entry["messages"] += 1
        entry["segments"] += r["segments"] or 0
        cost += r["cost"] or 0
    return {"recipients": len(people), "messages": len(rows),
            "by_language": sorted(by_lang.values(), key=lambda e: (e["language"], e["channel"])),
            "skipped": skipped, "estimated_cost": f"{cost:.2f}"}


@blp.post("/campaigns/preview")
@requires("campaigns:send")
@blp.arguments(CampaignSchema)
@blp.response(200, PreviewSchema)
def preview_campaign(data):
    """Who would receive it, by language; segments; estimated cost; who is skipped and why."""
    sess = db.session
    return _summary(*_plan(sess, current_user(sess), data))


@blp.post("/campaigns")
@requires("campaigns:send")
@blp.arguments(CampaignSchema)
@blp.response(201, PreviewSchema)
def send_campaign(data):
    """Queue the message for everyone the preview counted (the workers send it)."""
    sess = db.session
    user = current_user(sess)
    campaign = Campaign(name=data["name"], template=data["template"], filters=data["filter"],
                        params=data["params"], created_by=user.id, created_at=utcnow())
    sess.add(campaign)
    sess.flush()
    people, rows, skipped = _plan(sess, user, data, campaign.id)
    write_rows(sess, rows)
    campaign.recipients, campaign.skipped = len(rows), sum(skipped.values())
    audit.record(sess, "messaging:campaign:send", actor_id=user.id, object_type="campaign",
                 object_id=campaign.id, office_id=office_scope(user) or None,
                 template=data["template"], messages=len(rows))
    return {**_summary(people, rows, skipped), "campaign_id": campaign.id}


@blp.get("/participants/<id:participant_id>/messages")
@requires("messages:read")
@blp.response(200, MessageSchema(many=True))
def participant_messages(participant_id: int):
    """Every message to the participant, newest first, with its delivery status."""
    sess = db.session
    user = current_user(sess)
    p = load_participant(sess, user, participant_id, "messages:read")
    audit.record(sess, "messaging:message:read", actor_id=user.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id)
    return sess.scalars(select(OutboxMessage).where(OutboxMessage.participant_id == p.id)
                        .order_by(OutboxMessage.id.desc())).all()


@blp.get("/messages/stats")
@requires("messages:read")
@blp.response(200, StatsSchema(many=True))
def message_stats():
    """Delivery rates by channel and language (your office's participants)."""
    sess = db.session
    user = current_user(sess)
    t = OutboxMessage.__table__
    stmt = (sa.select(t.c.channel, t.c.language, t.c.status, sa.func.count())
            .group_by(t.c.channel, t.c.language, t.c.status))
    scope = office_scope(user)
    if scope is not None:
        stmt = stmt.join(Participant.__table__, Participant.__table__.c.id == t.c.participant_id
                         ).where(Participant.__table__.c.office_id == scope)
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for channel, language, status, n in sess.execute(stmt):
        entry = totals.setdefault((channel, language), {"channel": channel, "language": language,
                                                        "total": 0, "by_status": {}})
        entry["total"] += n
        entry["by_status"][status] = n
    out = []
    for entry in sorted(totals.values(), key=lambda e: (e["channel"], e["language"])):
        s = entry["by_status"]
        attempted = sum(s.get(k, 0) for k in ("sent", "delivered", "undelivered", "failed"))
        entry["delivery_rate"] = round(s.get("delivered", 0) / attempted, 4) if attempted else None
        out.append(entry)
    return out
