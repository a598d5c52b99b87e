"""The SLA scan: every open grievance marked on track, at risk or breached, and each breach
escalated exactly once to its office's supervisors and focal points (on their pages and by email).

The marking is one set-based UPDATE, whatever the number of grievances; it writes only the rows
whose status changes. The deadline that governs a grievance is its acknowledgement deadline while
it is ``received``, its resolution deadline after. It is at risk when less than
GRIEVANCE_AT_RISK_SHARE of its time is left: ``due - now < share * (due - received_at)``; exactly
that share left is still on track. A grievance whose clock is paused is left alone.

Escalation is exactly once, even with two schedulers on PostgreSQL: a conditional UPDATE sets
``ack_escalated_at`` (or ``resolve_escalated_at``) WHERE it IS NULL, RETURNING the ids it set. Two
transactions cannot both set it: the second waits on the first's row lock, then finds the column
set and skips the row. Only the winner writes the Escalation rows, the entry, the audit event and
the emails. The emails name the reference, the deadline and a link, never the complainant, what
they wrote or whom it is against.
"""

from __future__ import annotations

import logging
from datetime import datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import Flask, current_app
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.i18n import _l
from journey.core.policy import Role
from journey.grievances.models import (
    OPEN_STATES,
    EntryKind,
    Escalation,
    FocalPoint,
    Grievance,
    GrievanceEntry,
    SlaStatus,
    State,
)
from journey.organisations.models import Office
from notifications.hooks import Recipient
from notifications.outbox import enqueue
from notifications.templates import TEXT, URL, Template, locale_chain

logger = logging.getLogger(__name__)

_G = Grievance.__table__
_E = Escalation.__table__
_GE = GrievanceEntry.__table__
_F = FocalPoint.__table__
_U = User.__table__

OPEN = tuple(s.value for s in OPEN_STATES)
# After acknowledgement the resolution deadline governs.
PAST_ACK = tuple(s.value for s in OPEN_STATES if s != State.RECEIVED)
SCAN_SECONDS = 60
# Where the staff page of a grievance lives, after PUBLIC_BASE_URL.
PAGE_PATH = "/grievances/{id}"

ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"

# Staff emails: the reference, the deadline and a link, nothing about the complainant.
TEMPLATES = {
    ACKNOWLEDGE: Template(
        "grievance_escalated.acknowledge",
        _l("Grievance %(reference)s was not acknowledged by %(due)s. Open it: %(url)s"),
        _l("A grievance was not acknowledged in time"),
        {"reference": TEXT, "due": TEXT, "url": URL}, urgent=True),
    RESOLVE: Template(
        "grievance_escalated.resolve",
        _l("Grievance %(reference)s was not resolved by %(due)s. Open it: %(url)s"),
        _l("A grievance was not resolved in time"),
        {"reference": TEXT, "due": TEXT, "url": URL}, urgent=True),
}


class _at_risk(sa.ColumnElement):
    """``due - now < p/q * (due - start)``, exactly: ``q * (due - now) < p * (due - start)``.

    PostgreSQL multiplies intervals by integers (exact to the microsecond); SQLite has no
    interval type, so there the timestamps become whole microseconds since 1970 (integers)."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [("due", InternalTraversal.dp_clauseelement),
                           ("start", InternalTraversal.dp_clauseelement),
                           ("now", InternalTraversal.dp_clauseelement),
                           ("p", InternalTraversal.dp_plain_obj),
                           ("q", InternalTraversal.dp_plain_obj)]

    def __init__(self, due: sa.ColumnElement, start: sa.ColumnElement, now: datetime,
                 share: Fraction) -> None:
        self.due, self.start = due, start
        self.now = sa.literal(now, _G.c.received_at.type)
        self.p, self.q = share.numerator, share.denominator


@compiles(_at_risk)
def _at_risk_pg(element: _at_risk, compiler, **kw) -> str:
    due, start, now = (compiler.process(x, **kw) for x in (element.due, element.start,
                                                             element.now))
    return f"(({due} - {now}) * {element.q} < ({due} - {start}) * {element.p})"


@compiles(_at_risk, "sqlite")
def _at_risk_sqlite(element: _at_risk, compiler, **kw) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): seconds from strftime, micros from the text.
    def micros(sql: str) -> str:
        return f"(CAST(strftime('%s', {sql}) AS INTEGER) * 1000000 + CAST(substr({sql}, 21, 6) AS INTEGER))"

    due, start, now = (micros(compiler.process(x, **kw)) for x in (element.due, element.start,
                                                                     element.now))
    return f"(({due} - {now}) * {element.q} < ({due} - {start}) * {element.p})"


def status_expression(now: datetime, share: float) -> sa.ColumnElement[str]:
    """The SLA status of a grievance at ``now`` (open, clock running), as SQL."""
    due = sa.case((_G.c.state == State.RECEIVED.value, _G.c.ack_due_at),
                  else_=_G.c.resolve_due_at)
    at_risk = _at_risk(due, _G.c.received_at, now, Fraction(share).limit_denominator(1000))
    return sa.case((due < now, SlaStatus.BREACHED.value), (at_risk, SlaStatus.AT_RISK.value),
                   else_=SlaStatus.ON_TRACK.value)


def mark(sess: Session, now: datetime, share: float) -> int:
    """Mark every open grievance whose clock runs; returns the rows whose status changed."""
    status = status_expression(now, share)
    result = sess.connection().execute(
        _G.update().where(_G.c.state.in_(OPEN), _G.c.clock_paused_at.is_(None),
                          _G.c.sla_status != status)
        .values(sla_status=status))
    return result.rowcount


def _claim(sess: Session, deadline: str, now: datetime) -> list[sa.Row]:
    """Set the escalation moment of each breach not yet escalated; only the rows this
    transaction set come back (another scheduler's are skipped once it commits)."""
    if deadline == ACKNOWLEDGE:
        column, due, states = _G.c.ack_escalated_at, _G.c.ack_due_at, (State.RECEIVED.value,)
    else:
        column, due, states = _G.c.resolve_escalated_at, _G.c.resolve_due_at, PAST_ACK
    return list(sess.connection().execute(
        _G.update().where(_G.c.state.in_(states), _G.c.clock_paused_at.is_(None),
                          column.is_(None), due < now)
        .values({column: now})
        .returning(_G.c.id, _G.c.office_id, _G.c.reference, due.label("due"))))


def _recipients(sess: Session, office_ids: set[int]) -> dict[int, list[sa.Row]]:
    """The active supervisors and focal points of each office (an admin where it has none)."""
    focal = sa.select(_F.c.office_id, _F.c.user_id).where(_F.c.office_id.in_(office_ids))
    sup = sa.select(_U.c.office_id, _U.c.id).where(_U.c.role == Role.SUPERVISOR.value,
                                                   _U.c.office_id.in_(office_ids))
    union = sa.union(focal, sup).subquery()
    rows = sess.execute(
        sa.select(union.c.office_id, _U.c.id, _U.c.email, _U.c.language, _U.c.full_name)
        .join(_U, _U.c.id == union.c.user_id).where(_U.c.is_active.is_(True))
        .order_by(union.c.office_id, _U.c.id)).all()
    out: dict[int, list[sa.Row]] = {}
    for row in rows:
        out.setdefault(row.office_id, []).append(row)
    if office_ids - set(out):
        admins = sess.execute(sa.select(sa.null().label("office_id"), _U.c.id, _U.c.email,
                                        _U.c.language, _U.c.full_name)
                              .where(_U.c.role == Role.ADMIN.value, _U.c.is_active.is_(True))
                              .order_by(_U.c.id)).all()
        for office_id in office_ids - set(out):
            out[office_id] = list(admins)
    return out


def _email(sess: Session, user: sa.Row, office: Office | None, deadline: str, g: sa.Row) -> int:
    if not user.email:
        return 0
    language = locale_chain(user.language, None)
    zone = ZoneInfo(office.timezone if office else "UTC")
    due = format_datetime(g.due, format="medium", tzinfo=zone, locale=language)
    base = current_app.config["PUBLIC_BASE_URL"]
    recipient = Recipient(participant_id=None, phone=None, email=user.email, language=language,
                          fallback_language=None, timezone=zone.key, channels=("email",),
                          params={"name": user.full_name,
                                  "centre": office.name if office else
                                  current_app.config["CENTRE_NAME"],
                                  "phone": current_app.config["HELPLINE"]})
    return enqueue(sess, recipient, TEMPLATES[deadline].name,
                   {"reference": g.reference, "due": due,
                    "url": base + PAGE_PATH.format(id=g.id)},
                   dedupe_key=f"grievance-escalated:{g.id}:{deadline}:{user.id}")


def escalate(sess: Session, now: datetime) -> dict[str, int]:
    """Escalate each breach not yet escalated, once: returns grievances, people and emails."""
    claimed = [(deadline, row) for deadline in (ACKNOWLEDGE, RESOLVE)
               for row in _claim(sess, deadline, now)]
    counts = {"escalated": len(claimed), "notified": 0, "emails": 0}
    if not claimed:
        return counts
    office_ids = {row.office_id for _d, row in claimed}
    people = _recipients(sess, office_ids)
    offices = {o.id: o for o in sess.scalars(sa.select(Office).where(Office.id.in_(office_ids)))}
    escalations, entries = [], []
    for deadline, g in sorted(claimed, key=lambda c: (c[1].id, c[0])):
        users = people.get(g.office_id, [])
        for user in users:
            escalations.append({"grievance_id": g.id, "user_id": user.id, "deadline": deadline,
                                "created_at": now, "seen_at": None})
            counts["emails"] += _email(sess, user, offices.get(g.office_id), deadline, g)
        entries.append({"grievance_id": g.id, "kind": EntryKind.ESCALATED.value, "event": deadline,
                        "public": False, "actor_id": None, "created_at": now})
        audit.record(sess, "grievances:sla:escalated", actor_id=None, object_type="grievance",
                     object_id=g.id, office_id=g.office_id, deadline=deadline,
                     due=g.due.isoformat(), user_ids=[u.id for u in users])
        logger.warning("grievance escalated id=%s deadline=%s people=%d", g.id, deadline,
                       len(users))
    conn = sess.connection()
    if escalations:
        conn.execute(_E.insert(), escalations)
    conn.execute(_GE.insert(), entries)
    counts["notified"] = len(escalations)
    return counts


def scan(sess: Session, now: datetime | None = None, *, config: Any = None) -> dict[str, int]:
    """Mark every open grievance, then escalate the new breaches (never commits)."""
    now = now or utcnow()
    config = config or current_app.config
    sess.flush()  # the statements below go to the connection: pending changes first
    changed = mark(sess, now, config["GRIEVANCE_AT_RISK_SHARE"])
    return {"marked": changed, **escalate(sess, now)}


def scan_job(app: Flask) -> dict[str, int]:
    """The scheduled scan (journey.grievances.domain registers it), in its own transaction."""
    from journey.core.db import db

    with app.app_context(), db.job_session() as sess:
        result = scan(sess)
    if result["escalated"]:
        logger.info("grievance sla scan marked=%d escalated=%d", result["marked"],
                    result["escalated"])
    return result


def mark_seen(sess: Session, user: User, grievance_id: int | None = None,
              escalation_id: int | None = None, now: datetime | None = None) -> int:
    """The user's escalations of a grievance (or one escalation) seen; returns rows changed."""
    where = [_E.c.user_id == user.id, _E.c.seen_at.is_(None)]
    if grievance_id is not None:
        where.append(_E.c.grievance_id == grievance_id)
    if escalation_id is not None:
        where.append(_E.c.id == escalation_id)
    now = now or utcnow()
    result = sess.connection().execute(_E.update().where(*where).values(seen_at=now))
    if result.rowcount:
        audit.record(sess, "grievances:escalation:seen", actor_id=user.id,
                     object_type="grievance", object_id=grievance_id,
                     escalation_id=escalation_id, rows=result.rowcount)
    return result.rowcount
