"""Writing messages: rows in the outbox, in the same transaction as the change that causes them.

Nothing here talks to a provider. A message written for a change that is rolled back disappears
with it; a message committed with its change is sent by the dispatcher even if this process
dies right after the commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core.db import utcnow
from notifications import segments
from notifications.hooks import Recipient
from notifications.models import Channel, OutboxMessage, SkipReason, Status
from notifications.templates import locale_chain, render, templates_for

logger = logging.getLogger(__name__)
_TABLE = OutboxMessage.__table__
_INSERT = _TABLE.insert()


def sms_cost(text: str, phone: str | None) -> tuple[segments.SegmentInfo, Decimal]:
    """Segments and estimated cost of an SMS, from the per-country prices in settings."""
    info = segments.count(text)
    cfg = current_app.config
    cost = segments.estimate_cost(info.segments, segments.country_of(phone) if phone else None,
                                  cfg["SMS_PRICES"], cfg["SMS_DEFAULT_PRICE"])
    return info, cost


def build_rows(recipient: Recipient, template: str, params: dict[str, Any], *,
               channels: tuple[str, ...] | None = None, urgent: bool | None = None,
               dedupe_key: str | None = None, campaign_id: int | None = None,
               now: datetime | None = None) -> list[dict[str, Any]]:
    """The outbox rows for one notification to one recipient, rendered in their language.

    params must be exactly what the template declares (TemplateParamsError otherwise).
    """
    templates_for()[template].check(params)
    now = now or utcnow()
    language = locale_chain(recipient.language, recipient.fallback_language)
    rendered = render(template, language, {**recipient.params, **params})
    urgent = templates_for()[template].urgent if urgent is None else urgent
    rows = []
    for channel in channels or recipient.channels:
        row = {
            "participant_id": recipient.participant_id, "channel": channel, "template": template,
            "language": language, "timezone": recipient.timezone, "urgent": urgent,
            "status": Status.QUEUED.value, "skip_reason": None, "not_before": now, "attempts": 0,
            "dedupe_key": f"{dedupe_key}:{channel}" if dedupe_key else None,
            "campaign_id": campaign_id, "created_at": now, "updated_at": now,
            "subject": None, "html": None, "segments": None, "encoding": None, "cost": None,
        }
        if channel == Channel.SMS:
            body = segments.normalise(rendered.sms)
            info, cost = sms_cost(body, recipient.phone)
            row.update(recipient=recipient.phone, body=body, segments=info.segments,
                       encoding=info.encoding, cost=cost)
            if not recipient.phone:
                row.update(status=Status.SKIPPED.value, skip_reason=SkipReason.NO_PHONE.value)
        elif channel == Channel.EMAIL:
            row.update(recipient=recipient.email, subject=rendered.subject, body=rendered.text,
                       html=rendered.html)
            if not recipient.email:
                row.update(status=Status.SKIPPED.value, skip_reason=SkipReason.NO_EMAIL.value)
        else:
            raise ValueError(f"unknown channel {channel!r}")
        rows.append(row)
    return rows


def enqueue(sess: Session, recipient: Recipient, template: str, params: dict[str, Any] | None = None,
            **options: Any) -> int:
    """Queue a notification on every channel the recipient uses; returns rows written.

    With a dedupe_key, a notification already queued for the same cause is not queued again.
    """
    rows = build_rows(recipient, template, params or {}, **options)
    return write_rows(sess, rows)


CHUNK = 5000  # below SQLite's limit on bound parameters per statement


def write_rows(sess: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows, leaving out any whose dedupe key is already queued."""
    conn = sess.connection()
    keys = [r["dedupe_key"] for r in rows if r["dedupe_key"]]
    taken: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        taken.update(conn.scalars(sa.select(_TABLE.c.dedupe_key)
                                  .where(_TABLE.c.dedupe_key.in_(keys[start:start + CHUNK]))))
    rows = [r for r in rows if r["dedupe_key"] not in taken]
    for start in range(0, len(rows), CHUNK):
        conn.execute(_INSERT, rows[start:start + CHUNK])
    return len(rows)
