"""Delivery problems: failed and outcome-unknown messages, and settling the unknown ones with the
provider (notifications.reconcile), over the participants the actor may see. Never commits."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.policy import office_scope, participant_scope, require
from journey.participants.models import Participant
from notifications import reconcile as rec
from notifications.channels import SentLookup
from notifications.models import Channel, OutboxMessage, Status

_T = OutboxMessage.__table__
_P = Participant.__table__
PROBLEM_STATUSES = (Status.FAILED.value, Status.UNDELIVERED.value)
LIST_LIMIT = 200
# Messages settled per request: each is one call to the provider while the request waits.
REQUEST_BATCH = 25


def _scoped(stmt: sa.Select, actor: User | None) -> sa.Select:
    """Messages of the participants the actor may see (admins: those of no participant too)."""
    stmt = stmt.outerjoin(_P, _P.c.id == _T.c.participant_id)
    return stmt if actor is None else stmt.where(participant_scope(actor, _P.c.id, _P.c.office_id))


def pending(sess: Session, actor: User | None = None, *, ids: list[int] | None = None,
            after_id: int = 0, limit: int = REQUEST_BATCH, by_id: bool = False) -> list[rec.Pending]:
    """Outcome-unknown messages in the actor's scope (everyone's when None): those of ``ids``,
    or else the SMS, longest unknown first (the likeliest to be settled: their window has
    closed), or by id for a caller paging through them all."""
    stmt = _scoped(sa.select(OutboxMessage, _P.c.office_id), actor).where(
        rec.is_outcome_unknown(), _T.c.id > after_id)
    if ids is not None:
        stmt = stmt.where(_T.c.id.in_(ids)).order_by(_T.c.id)
    else:
        stmt = stmt.where(_T.c.channel == Channel.SMS.value).order_by(
            *((_T.c.id,) if by_id else (_T.c.updated_at, _T.c.id)))
    rows = sess.execute(stmt.limit(limit)).all()
    return [rec.Pending.of(msg, office_id) for msg, office_id in rows]


def count_pending(sess: Session, actor: User | None, *, channel: str | None = None,
                  exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """How many outcome-unknown messages are in the actor's scope (of one channel; not those
    of ``exclude``)."""
    stmt = _scoped(sa.select(sa.func.count()).select_from(_T), actor).where(rec.is_outcome_unknown())
    if channel is not None:
        stmt = stmt.where(_T.c.channel == channel)
    if exclude:
        stmt = stmt.where(_T.c.id.not_in(sorted(exclude)))
    return sess.scalar(stmt) or 0


def problems(sess: Session, actor: User, *, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Failed and undelivered messages in the actor's scope, newest first (no addresses, no
    texts: the template says what it was about). The read is audited."""
    require(actor, "messages:read")
    cols = (_T.c.id, _T.c.template, _T.c.channel, _T.c.language, _T.c.status,
            _T.c.last_error_code, _T.c.attempts, _T.c.updated_at, _T.c.participant_id,
            _P.c.reference)
    base = _scoped(sa.select(*cols).select_from(_T), actor).where(
        _T.c.status.in_(PROBLEM_STATUSES))
    rows = sess.execute(base.order_by(_T.c.updated_at.desc(), _T.c.id.desc()).limit(limit)).all()
    total = sess.scalar(_scoped(sa.select(sa.func.count()).select_from(_T), actor)
                        .where(_T.c.status.in_(PROBLEM_STATUSES))) or 0
    audit.record(sess, "messaging:delivery:read", actor_id=actor.id, object_type="outbox",
                 office_id=office_scope(actor) or None, shown=len(rows))
    return {"items": [dict(r._mapping) for r in rows], "total": total,
            "unknown_sms": count_pending(sess, actor, channel=Channel.SMS.value),
            "unknown_email": count_pending(sess, actor, channel=Channel.EMAIL.value)}


def build_sms_sender(app=None) -> SentLookup:
    """The configured SMS sender, which also answers what it sent (Twilio, or the console file)."""
    from journey.messaging.bridge import build_senders

    sms, _email = build_senders(app or current_app)
    return sms


def reconcile(sess: Session, actor: User, *, ids: list[int] | None = None,
              sender: SentLookup | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Settle up to REQUEST_BATCH outcome-unknown messages in the actor's scope (those of
    ``ids`` only, when given) by asking the provider; the rest wait for another call."""
    require(actor, "messages:reconcile")
    now = now or utcnow()
    items = pending(sess, actor, ids=ids)
    own = sender is None
    sender = sender or build_sms_sender()
    try:
        verdicts = rec.reconcile(sess, sender, items, now=now,
                                 settings=rec.Settings.from_config(current_app.config),
                                 actor_id=actor.id)
    finally:
        if own and hasattr(sender, "close"):
            sender.close()
    counts = Counter(v.outcome.value for v in verdicts)
    audit.record(sess, "messaging:delivery:reconcile", actor_id=actor.id, object_type="outbox",
                 office_id=office_scope(actor) or None, checked=len(verdicts),
                 settled=sum(counts[o.value] for o in rec.SETTLED))
    checked = {v.message_id for v in verdicts}
    return {
        "checked": len(verdicts),
        "settled": sum(counts[o.value] for o in rec.SETTLED),
        "by_outcome": dict(sorted(counts.items())),
        "results": [{"id": v.message_id, "outcome": v.outcome.value, "status": v.status,
                     "error_code": v.error_code} for v in verdicts],
        "not_applicable": sorted(set(ids) - checked) if ids is not None else [],
        # SMS still unknown that this call did not reach (another call will), and emails, which
        # only a person can settle.
        "remaining": count_pending(sess, actor, channel=Channel.SMS.value, exclude=checked),
        "emails_for_a_person": count_pending(sess, actor, channel=Channel.EMAIL.value),
    }
