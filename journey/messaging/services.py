"""Messages: a participant's history, delivery rates, and campaigns. They never commit."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.services import consented_ids
from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.policy import office_scope, require
from journey.messaging.bridge import recipient_for
from journey.participants.models import Participant
from journey.participants.services import filtered_query, load_participant
from notifications import stats
from notifications.models import Campaign, OutboxMessage, SmsOptOut, Status
from notifications.outbox import build_rows, write_rows
from notifications.templates import TEMPLATES

CAMPAIGN_LIMIT = 100_000


def _audience(sess: Session, actor: User, filters: dict[str, Any]) -> list[Participant]:
    stmt = filtered_query(actor, filters).order_by(Participant.id).limit(CAMPAIGN_LIMIT)
    return list(sess.scalars(stmt))


def _plan(sess: Session, actor: User, data: dict[str, Any], campaign_id: int | None = None):
    """Every outbox row the campaign would write, and what would be skipped and why."""
    people = _audience(sess, actor, data["filter"])
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


def preview_campaign(sess: Session, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Who would receive a campaign, by language; segments; estimated cost; who is skipped."""
    require(actor, "campaigns:send")
    return _summary(*_plan(sess, actor, data))


def send_campaign(sess: Session, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Queue a campaign for everyone the preview counts; the workers send it."""
    require(actor, "campaigns:send")
    stored_params = TEMPLATES[data["template"]].schema().dump(data["params"])  # JSON-ready
    campaign = Campaign(name=data["name"], template=data["template"], filters=data["filter"],
                        params=stored_params, created_by=actor.id, created_at=utcnow())
    sess.add(campaign)
    sess.flush()
    people, rows, skipped = _plan(sess, actor, data, campaign.id)
    write_rows(sess, rows)
    campaign.recipients, campaign.skipped = len(rows), sum(skipped.values())
    audit.record(sess, "messaging:campaign:send", actor_id=actor.id, object_type="campaign",
                 object_id=campaign.id, office_id=office_scope(actor) or None,
                 template=data["template"], messages=len(rows))
    return {**_summary(people, rows, skipped), "campaign_id": campaign.id}


def participant_messages(sess: Session, actor: User, participant_id: int) -> list[OutboxMessage]:
    """Every message to the participant, newest first (the read is audited)."""
    p = load_participant(sess, actor, participant_id, "messages:read")
    audit.record(sess, "messaging:message:read", actor_id=actor.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id)
    return list(sess.scalars(select(OutboxMessage).where(OutboxMessage.participant_id == p.id)
                             .order_by(OutboxMessage.id.desc())))


def message_stats(sess: Session, actor: User) -> list[dict[str, Any]]:
    """Delivery rates by channel and language, over the participants the actor may see.

    Read from the counts the database keeps (notifications.stats), not from the outbox.
    """
    require(actor, "messages:read")
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for channel, language, status, n in stats.counts(sess, office_scope(actor)):
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
