"""My work's grievance sections: grievances due within two days, breached ones, and the
escalations addressed to the user (unseen first). Two queries whatever the caseload: one counts
every section by assignee, one lists the first items of each (row_number over the section).

Who sees what: a caseworker the grievances assigned to them; a supervisor their office's; an
admin every office's (or one). Always inside journey.grievances.access: a restricted grievance
the user does not see in full is listed masked, with its reference and deadline only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.policy import allowed
from journey.grievances import access
from journey.grievances.models import OPEN_STATES, Escalation, Grievance, State
from journey.participants.models import Participant

_G = Grievance.__table__
_E = Escalation.__table__
_P = Participant.__table__

DUE_WITHIN = timedelta(days=2)
SECTIONS = ("grievances_due", "grievances_breached", "escalations")
OPEN = tuple(s.value for s in OPEN_STATES)
# What a masked item keeps: which grievance, and the deadline.
_KEPT_WHEN_MASKED = ("section", "id", "reference", "office_id", "deadline", "due_at",
                     "sla_status", "escalation_id", "escalated_at", "seen_at", "caseworker_id")


def _governing() -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """The deadline that runs now: acknowledgement while received, resolution after."""
    received = _G.c.state == State.RECEIVED.value
    return (sa.case((received, _G.c.ack_due_at), else_=_G.c.resolve_due_at),
            sa.case((received, sa.literal("acknowledge")), else_=sa.literal("resolve")))


def _columns(user: User, now: datetime, section, deadline, due_at, escalation=None):
    e = escalation
    null_int, null_time = sa.null().cast(sa.Integer), sa.null().cast(_G.c.received_at.type)
    return (section.label("section"), _G.c.id, _G.c.reference, _G.c.office_id, _G.c.state,
            _G.c.category, _G.c.severity, _G.c.sla_status, deadline.label("deadline"),
            due_at.label("due_at"), _G.c.assignee_id.label("caseworker_id"),
            _G.c.participant_id, _P.c.reference.label("participant_reference"),
            _P.c.given_name, _P.c.family_name,
            access.full_view(user, now).label("full"),
            (e.c.id if e is not None else null_int).label("escalation_id"),
            (e.c.created_at if e is not None else null_time).label("escalated_at"),
            (e.c.seen_at if e is not None else null_time).label("seen_at"))


def _union(user: User, now: datetime, office_id: int | None, view: str) -> sa.Subquery:
    gov, kind = _governing()
    where = [access.scope(user), _G.c.state.in_(OPEN), _G.c.clock_paused_at.is_(None),
             gov <= now + DUE_WITHIN]
    if view == "mine":
        where.append(_G.c.assignee_id == user.id)
    if office_id is not None:
        where.append(_G.c.office_id == office_id)
    section = sa.case((gov < now, sa.literal("grievances_breached")),
                      else_=sa.literal("grievances_due"))
    joined = _G.outerjoin(_P, _P.c.id == _G.c.participant_id)
    work = sa.select(*_columns(user, now, section, kind, gov)).select_from(joined).where(*where)
    # Escalations addressed to the user, whatever the grievance's state now.
    due = sa.case((_E.c.deadline == "acknowledge", _G.c.ack_due_at), else_=_G.c.resolve_due_at)
    esc = (sa.select(*_columns(user, now, sa.literal("escalations"), _E.c.deadline, due, _E))
           .select_from(_E.join(_G, _G.c.id == _E.c.grievance_id).outerjoin(
               _P, _P.c.id == _G.c.participant_id))
           .where(_E.c.user_id == user.id, access.scope(user)))
    if office_id is not None:
        esc = esc.where(_G.c.office_id == office_id)
    return sa.union_all(work, esc).subquery("grievance_work")


def collect(sess: Session, user: User, now: datetime, office_id: int | None, view: str,
            limit: int, out: dict[str, dict[str, Any]],
            counts: dict[str, dict[int | None, int]]) -> None:
    """Fill the grievance sections of ``out`` and their counts by assignee (two queries)."""
    if not allowed(user, "grievances:read"):
        return
    u = _union(user, now, office_id, view)
    unseen = sa.func.sum(sa.case((sa.and_(u.c.escalation_id.is_not(None), u.c.seen_at.is_(None)),
                                  1), else_=0))
    for section, cw, n, new in sess.execute(
            sa.select(u.c.section, u.c.caseworker_id, sa.func.count(), unseen)
            .group_by(u.c.section, u.c.caseworker_id)):
        out[section]["total"] += n
        if section == "escalations":
            out[section]["unseen"] = out[section].get("unseen", 0) + (new or 0)
        else:  # escalations are the user's own, not a caseworker's
            counts[section][cw] = n
    # Breached longest ago first, due soonest first; unseen escalations first, newest first.
    order = (sa.case((u.c.seen_at.is_(None), 0), else_=1), u.c.escalated_at.desc(),
             u.c.due_at, u.c.id)
    rank = sa.func.row_number().over(partition_by=u.c.section, order_by=order).label("rank")
    inner = sa.select(u, rank).subquery()
    rows = sess.execute(sa.select(inner).where(inner.c.rank <= limit)
                        .order_by(inner.c.section, inner.c.rank)).mappings()
    for row in rows:
        item = {k: v for k, v in row.items() if k not in ("rank", "full")}
        if row["full"]:
            item["masked"] = False
        else:
            item = {k: (v if k in _KEPT_WHEN_MASKED else None) for k, v in item.items()}
            item["masked"] = True
        out[row["section"]]["items"].append(item)
