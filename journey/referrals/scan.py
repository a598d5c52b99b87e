"""The deadline scan: each step fires exactly once per referral, even with two schedulers.

* expiry: a sent referral not answered by its response deadline expires: the transition table's
  "expire" row applied as journey.referrals.services.apply_event applies it (state, closed_at,
  history, audit, the caseworker's email), in bulk;
* reminder: a sent referral whose reminder moment (half the response time) has come, and that was
  not reminded, is reminded once (a ReferralEvent the partner sees, and the partner's email);
* escalation: a referral that expired, or was not completed by its completion deadline while
  accepted or in progress, is escalated once to the referring office's supervisors and focal
  points (email, a ReferralEvent staff see, an audit event; My work lists it as overdue).

Each step claims its rows with one conditional UPDATE ... RETURNING: the WHERE names what is not
done yet, and on PostgreSQL a second scheduler's UPDATE waits on the first's row locks, then
re-reads the rows and finds them done. Expiry claims by setting the state (and closed_at, and
the version), a reminder by setting reminded_at, an escalation by setting escalated_at. On
SQLite writers are serialised.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import Flask
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.db import utcnow
from journey.grievances.sla import _recipients
from journey.organisations.models import Office
from journey.referrals import messages, notify, partner_notify
from journey.referrals.models import DirectoryService, Referral, ReferralEvent
from journey.referrals.states import (
    FINAL_STATES,
    TRANSITIONS_BY_EVENT,
    WORKING_STATES,
    ReferralEventKind,
    State,
)
from notifications.outbox import build_rows, write_rows

logger = logging.getLogger(__name__)

_R = Referral.__table__
# The scan expires in bulk what journey.referrals.services.apply_event would one by one: only
# while the row has one source and nothing to check (no guards, no required fields).
_EXPIRE = TRANSITIONS_BY_EVENT["expire"]
if len(_EXPIRE.sources) != 1 or _EXPIRE.guards or _EXPIRE.required:
    raise RuntimeError("the expire transition changed: expire through services.apply_event")
_RE = ReferralEvent.__table__
SCAN_SECONDS = 300
SENT, EXPIRED = State.SENT.value, State.EXPIRED.value
WORKING = tuple(s.value for s in WORKING_STATES)
RESPONSE, COMPLETION = "response", "completion"


# --- the claims: one statement each, what is not done yet in the WHERE ---------------------------

def claim_expiry(conn: sa.Connection, now: datetime) -> list[sa.Row]:
    """Expire every sent referral past its response deadline: the transition table's "expire"
    row (its sources, its target, closed_at as for any final state, the version bumped)."""
    values: dict[str, Any] = {"state": _EXPIRE.target.value, "version": _R.c.version + 1}
    if _EXPIRE.target in FINAL_STATES:
        values["closed_at"] = now
    return list(conn.execute(
        _R.update().where(_R.c.state.in_([s.value for s in _EXPIRE.sources]),
                          _R.c.response_due_at < now)
        .values(values).returning(_R.c.id, _R.c.office_id, _R.c.participant_id,
                                  _R.c.provider_id)))


def claim_reminders(conn: sa.Connection, now: datetime) -> list[int]:
    """Mark reminded every sent referral whose reminder moment has come and was not reminded."""
    return list(conn.scalars(
        _R.update().where(_R.c.state == SENT, _R.c.reminded_at.is_(None), _R.c.remind_at <= now)
        .values(reminded_at=now).returning(_R.c.id)))


def claim_escalations(conn: sa.Connection, now: datetime) -> list[sa.Row]:
    """Mark escalated every referral that expired, or is past its completion deadline while
    being worked on, and was not escalated."""
    response = _R.c.state == EXPIRED
    completion = sa.and_(_R.c.state.in_(WORKING), _R.c.complete_due_at < now)
    deadline = sa.case((response, sa.literal(RESPONSE)), else_=sa.literal(COMPLETION))
    due = sa.case((response, _R.c.response_due_at), else_=_R.c.complete_due_at)
    return list(conn.execute(
        _R.update().where(_R.c.escalated_at.is_(None), sa.or_(response, completion))
        .values(escalated_at=now)
        .returning(_R.c.id, _R.c.office_id, _R.c.participant_id, _R.c.provider_id,
                   _R.c.reference, _R.c.service_id, _R.c.state, deadline.label("deadline"),
                   due.label("due"))))


# --- the steps -----------------------------------------------------------------------------------

def _load(sess: Session, ids: list[int]) -> list[Referral]:
    if not ids:
        return []
    return list(sess.scalars(sa.select(Referral).where(Referral.id.in_(ids))
                             .order_by(Referral.id)
                             .execution_options(populate_existing=True)))


def expire(sess: Session, now: datetime) -> int:
    """The "expire" transition for every referral it applies to, in bulk: what apply_event
    does for one (state, closed_at, the history, the audit, the notifications) in a few
    statements rather than a flush per referral."""
    rows = claim_expiry(sess.connection(), now)
    if not rows:
        return 0
    source, target = _EXPIRE.sources[0].value, _EXPIRE.target.value
    sess.connection().execute(_RE.insert(), [
        {"referral_id": r.id, "kind": _EXPIRE.event, "from_state": source, "to_state": target,
         "partner_visible": True, "actor_id": None, "at": now} for r in rows])
    for r in rows:
        audit.record(sess, f"referrals:referral:{_EXPIRE.event}", actor_id=None,
                     object_type="referral", object_id=r.id, office_id=r.office_id,
                     participant_id=r.participant_id, provider_id=r.provider_id,
                     from_state=source, to_state=target, reason=None, via_link_id=None)
    referrals = _load(sess, [r.id for r in rows])
    with notify.batched(sess, referrals):
        for referral in referrals:
            notify.on_event(sess, referral, _EXPIRE.event, actor_id=None)
    logger.info("referrals expired count=%d", len(rows))
    return len(rows)


def remind(sess: Session, now: datetime) -> int:
    ids = claim_reminders(sess.connection(), now)
    referrals = _load(sess, ids)
    if not referrals:
        return 0
    sess.connection().execute(_RE.insert(), [
        {"referral_id": r.id, "kind": ReferralEventKind.REMINDED.value, "from_state": r.state,
         "to_state": r.state, "partner_visible": True, "actor_id": None, "at": now}
        for r in referrals])
    for r in referrals:
        audit.record(sess, "referrals:referral:remind", actor_id=None, object_type="referral",
                     object_id=r.id, office_id=r.office_id, participant_id=r.participant_id,
                     provider_id=r.provider_id, due=r.response_due_at.isoformat())
        partner_notify.tell_partner(sess, r, "reminder", actor_id=None)
    logger.info("referral reminders sent count=%d", len(referrals))
    return len(referrals)


def _escalation_email(sess: Session, user: sa.Row, office: Office | None, row: sa.Row,
                      service: str) -> list[dict[str, Any]]:
    """The outbox rows of one escalation email (written in bulk by escalate)."""
    if not user.email:
        return []
    recipient = notify.staff_recipient(sess, user, office.id if office else None)
    zone = ZoneInfo(recipient.timezone)
    due = format_datetime(row.due, format="medium", tzinfo=zone, locale=recipient.language)
    name = (messages.ESCALATED_RESPONSE if row.deadline == RESPONSE
            else messages.ESCALATED_COMPLETION)
    return build_rows(recipient, name, {"reference": row.reference, "service": service,
                                        "due": due, "url": notify.page_url(row.id)},
                      dedupe_key=f"referral-escalated:{row.id}:{user.id}")


def escalate(sess: Session, now: datetime) -> dict[str, int]:
    claimed = claim_escalations(sess.connection(), now)
    counts = {"escalated": len(claimed), "emails": 0}
    if not claimed:
        return counts
    office_ids = {row.office_id for row in claimed}
    people = _recipients(sess, office_ids)
    offices = {o.id: o for o in sess.scalars(sa.select(Office).where(Office.id.in_(office_ids)))}
    names = dict(sess.execute(sa.select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({row.service_id for row in claimed}))).all())
    events, emails = [], []
    for row in sorted(claimed, key=lambda r: r.id):
        users = people.get(row.office_id, [])
        for user in users:
            emails += _escalation_email(sess, user, offices.get(row.office_id), row,
                                        names.get(row.service_id, ""))
        events.append({"referral_id": row.id, "kind": ReferralEventKind.ESCALATED.value,
                       "from_state": row.state, "to_state": row.state, "reason": row.deadline,
                       "partner_visible": False, "actor_id": None, "at": now})
        audit.record(sess, "referrals:referral:escalate", actor_id=None, object_type="referral",
                     object_id=row.id, office_id=row.office_id,
                     participant_id=row.participant_id, provider_id=row.provider_id,
                     deadline=row.deadline, due=row.due.isoformat(),
                     user_ids=[u.id for u in users])
        logger.info("referral escalated id=%s deadline=%s people=%d", row.id, row.deadline,
                    len(users))
    sess.connection().execute(_RE.insert(), events)
    counts["emails"] = write_rows(sess, emails)
    logger.warning("referrals escalated count=%d emails=%d", len(claimed), counts["emails"])
    return counts


def scan(sess: Session, now: datetime | None = None) -> dict[str, int]:
    """Expire, remind and escalate what is due at ``now``, each once (never commits)."""
    now = now or utcnow()
    sess.flush()  # the claims go to the connection: pending changes first
    expired = expire(sess, now)
    reminded = remind(sess, now)
    return {"expired": expired, "reminded": reminded, **escalate(sess, now)}


def scan_job(app: Flask) -> dict[str, Any]:
    """The scheduled scan (journey.referrals.domain registers it), in its own transaction."""
    from journey.core.db import db

    with app.app_context(), db.job_session() as sess:
        result = scan(sess)
    if any(result.values()):
        logger.info("referral deadline scan expired=%d reminded=%d escalated=%d",
                    result["expired"], result["reminded"], result["escalated"])
    return result
