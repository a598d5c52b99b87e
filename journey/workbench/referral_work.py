"""My work's referral sections, for the same participants as the rest of the page (a
caseworker's own, a supervisor's office, an admin's every office or one):

* referrals_due: open referrals whose deadline falls within two days (the partner's answer while
  sent, the completion once accepted or in progress);
* referrals_overdue: open referrals past that deadline, and those that expired without an answer
  in the last 30 days (escalated ones say when);
* referrals_declined: declined in the last 30 days, with the partner's reason.

One query whatever the caseload: the first items of each section (row_number over the section),
and one row per section and caseworker carrying that group's count (a window count).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.policy import allowed
from journey.organisations.models import ServiceProvider
from journey.participants.models import Participant
from journey.referrals.models import DirectoryService, Referral
from journey.referrals.states import OPEN_STATES, State

_R = Referral.__table__
_S = DirectoryService.__table__
_SP = ServiceProvider.__table__
_P = Participant.__table__

DUE_WITHIN = timedelta(days=2)
RECENT = timedelta(days=30)
SECTIONS = ("referrals_overdue", "referrals_due", "referrals_declined")
OPEN = tuple(s.value for s in OPEN_STATES)
# Answered by the partner's response (sent; expired and declined were judged on it).
_RESPONSE_STATES = (State.SENT.value, State.EXPIRED.value, State.DECLINED.value)


def _select(people: list[sa.ColumnElement[bool]], now: datetime) -> sa.Subquery:
    state = _R.c.state
    response = state.in_(_RESPONSE_STATES)
    due = sa.case((response, _R.c.response_due_at), else_=_R.c.complete_due_at)
    deadline = sa.case((response, sa.literal("response")), else_=sa.literal("completion"))
    expired, declined = state == State.EXPIRED.value, state == State.DECLINED.value
    section = sa.case((declined, sa.literal("referrals_declined")),
                      (sa.or_(expired, due < now), sa.literal("referrals_overdue")),
                      else_=sa.literal("referrals_due"))
    where = [*people, sa.or_(sa.and_(state.in_(OPEN), due <= now + DUE_WITHIN),
                             sa.and_(sa.or_(expired, declined), _R.c.closed_at >= now - RECENT))]
    joined = (_R.join(_P, _P.c.id == _R.c.participant_id)
              .join(_S, _S.c.id == _R.c.service_id).join(_SP, _SP.c.id == _R.c.provider_id))
    return (sa.select(section.label("section"), _R.c.id, _R.c.reference, _R.c.state,
                      _R.c.urgency, _R.c.service_id, _S.c.name.label("service_name"),
                      _R.c.provider_id, _SP.c.name.label("provider_name"),
                      deadline.label("deadline"), due.label("due_at"), _R.c.escalated_at,
                      _R.c.decline_reason, _R.c.closed_at,
                      _P.c.id.label("participant_id"),
                      _P.c.reference.label("participant_reference"), _P.c.given_name,
                      _P.c.family_name, _P.c.office_id, _P.c.caseworker_id)
            .select_from(joined).where(*where).subquery("referral_work"))


def collect(sess: Session, user: User, people: list[sa.ColumnElement[bool]], now: datetime,
            limit: int, out: dict[str, dict[str, Any]],
            counts: dict[str, dict[int | None, int]]) -> None:
    """Fill the referral sections of ``out`` and their counts by caseworker (one query)."""
    if not allowed(user, "referrals:read"):
        return
    u = _select(people, now)
    # Overdue longest ago first, due soonest first; declined newest first.
    order = (sa.case((u.c.section == "referrals_declined", u.c.closed_at)).desc(), u.c.due_at,
             u.c.id)
    group = (u.c.section, u.c.caseworker_id)
    inner = sa.select(
        u, sa.func.row_number().over(partition_by=u.c.section, order_by=order).label("rank"),
        sa.func.row_number().over(partition_by=group, order_by=order).label("group_rank"),
        sa.func.count().over(partition_by=group).label("group_total")).subquery()
    # The first items of each section, and one row per (section, caseworker) for its count.
    rows = sess.execute(sa.select(inner).where(sa.or_(inner.c.rank <= limit,
                                                      inner.c.group_rank == 1))
                        .order_by(inner.c.section, inner.c.rank)).mappings()
    for row in rows:
        section = row["section"]
        if row["group_rank"] == 1:
            counts[section][row["caseworker_id"]] = row["group_total"]
            out[section]["total"] += row["group_total"]
        if row["rank"] <= limit:
            out[section]["items"].append({k: v for k, v in row.items() if k not in (
                "section", "rank", "group_rank", "group_total")})
