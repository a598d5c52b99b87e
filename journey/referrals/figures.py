"""Closed-loop figures (issue #16): of the referrals sent in a period, how many reached a final
state (declined, completed, withdrawn, expired) within 30 days of being sent, what the outcome
was, and how fast partners answered; overall and by service, by partner (the service provider)
and by the participant's sex.

The share is honest about time: a referral still open and sent less than 30 days ago may yet
close in time, so it is counted apart (``open_within_30``) and left out of the share's
denominator. Every referral sent falls in exactly one of closed_within_30, closed_after_30,
open_past_30 and open_within_30.

Counts are GROUP BYs in SQL on SQLite and PostgreSQL alike. Response-time percentiles are not:
SQLite has no percentile function and PostgreSQL's is an ordered-set aggregate, so the
answered referrals' (keys, sent_at, responded_at) come from one query for every breakdown, and
each group's median and 90th percentile are taken in Python from its sorted times, interpolated
as PostgreSQL's percentile_cont does.

Scope: staff see the referrals of the participants they may see (journey.referrals.access:
caseworkers and supervisors their office's, admins everyone's); an office filter names an office
the user may see (check_office_filter), else 422. Figures name no one; the read is audited.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput
from journey.core.i18n import _
from journey.core.policy import require
from journey.organisations.models import ServiceProvider
from journey.organisations.services import check_office_filter
from journey.participants.models import Participant
from journey.referrals.access import referral_scope
from journey.referrals.models import DirectoryService, Referral
from journey.referrals.states import Outcome, State

WINDOW_DAYS = 30
_R = Referral
_CLOSED = _R.closed_at.is_not(None)
_OPEN = _R.closed_at.is_(None)


def _within(sess: Session, start, end, days: int) -> sa.ColumnElement[bool]:
    """``end`` is at most ``days`` days after ``start``, in this database's dialect."""
    if sess.get_bind().dialect.name == "postgresql":
        # days is this module's constant, never user input.
        return end <= start + sa.literal_column(f"interval '{int(days)} days'")
    # SQLite keeps UTC timestamps as text; julianday reads them as days.
    return sa.func.julianday(end) - sa.func.julianday(start) <= days


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _aggregates(sess: Session, cutoff: datetime) -> list[sa.ColumnElement]:
    """The counts of one group of referrals (all sent, so sent_at is set)."""
    in_time = sa.and_(_CLOSED, _within(sess, _R.sent_at, _R.closed_at, WINDOW_DAYS))
    young = _R.sent_at > cutoff
    return [
        sa.func.count().label("sent"),
        _count(in_time).label("closed_within_30"),
        _count(sa.and_(_CLOSED, sa.not_(in_time))).label("closed_after_30"),
        _count(sa.and_(_OPEN, sa.not_(young))).label("open_past_30"),
        _count(sa.and_(_OPEN, young)).label("open_within_30"),
        _count(_R.outcome == Outcome.PROVIDED.value).label("completed_provided"),
        _count(_R.outcome == Outcome.NOT_PROVIDED.value).label("completed_not_provided"),
        _count(_R.state == State.DECLINED.value).label("declined"),
        _count(_R.state == State.WITHDRAWN.value).label("withdrawn"),
        _count(_R.state == State.EXPIRED.value).label("expired"),
        _count(_R.responded_at.is_not(None)).label("answered"),
        # Closed without the partner ever answering: expired, or withdrawn while waiting.
        _count(sa.and_(_R.responded_at.is_(None), _CLOSED)).label("never_answered"),
        _count(_R.state == State.SENT.value).label("awaiting_answer"),
    ]


# Each breakdown: its name, the key columns (id, then what names it) and the joins they need.
# An alias: the scope's subquery reads participants too, and must not correlate to this join.
_P = Participant.__table__.alias("person")
_S = DirectoryService.__table__
_SP = ServiceProvider.__table__
_BREAKDOWNS = {
    "by_service": ((_R.service_id.label("service_id"), _S.c.name.label("name")),
                   lambda q: q.join(_S, _S.c.id == _R.service_id)),
    "by_partner": ((_R.provider_id.label("provider_id"), _SP.c.name.label("name")),
                   lambda q: q.join(_SP, _SP.c.id == _R.provider_id)),
    "by_sex": ((_P.c.sex.label("sex"),), lambda q: q.join(_P, _P.c.id == _R.participant_id)),
}


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of values already sorted, interpolated linearly between the
    two nearest ranks (PostgreSQL's percentile_cont); None when there are none."""
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * fraction
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def _share(row: dict[str, Any]) -> float | None:
    decided = row["sent"] - row["open_within_30"]
    return round(row["closed_within_30"] / decided, 4) if decided else None


def _hours(values: list[float]) -> dict[str, float | None]:
    return {"response_median_hours": _round(percentile(values, 0.5)),
            "response_p90_hours": _round(percentile(values, 0.9))}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _where(user: User, office_id: int | None, since: date | None,
           until: date | None) -> list[sa.ColumnElement[bool]]:
    where = [referral_scope(user), _R.sent_at.is_not(None)]
    if office_id is not None:
        where.append(_R.office_id == office_id)
    if since is not None:
        where.append(_R.sent_at >= datetime.combine(since, time(0), UTC))
    if until is not None:
        where.append(_R.sent_at < datetime.combine(until + timedelta(days=1), time(0), UTC))
    return where


def _reasons(sess: Session, where, key=None, join=None) -> dict[Any, list[dict[str, Any]]]:
    """Why services were not provided, per group: {key: [{reason, count}]}, most frequent first
    (one group, key None, without a key column)."""
    keys = () if key is None else (key,)
    query = sa.select(*keys, _R.outcome_reason, sa.func.count()).select_from(_R)
    rows = sess.execute(
        (join(query) if join else query)
        .where(*where, _R.outcome == Outcome.NOT_PROVIDED.value)
        .group_by(*keys, _R.outcome_reason)
        .order_by(*keys, sa.func.count().desc(), _R.outcome_reason))
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        group = row[0] if keys else None
        out[group].append({"reason": row[-2], "count": row[-1]})
    return out


def closed_loop(sess: Session, user: User, *, office_id: int | None = None,
                since: date | None = None, until: date | None = None,
                now: datetime | None = None) -> dict[str, Any]:
    """The closed-loop figures of the referrals sent from ``since`` to ``until`` (both days
    included, UTC) in the user's scope, for one office or all; overall and by service, partner
    and sex. The read is audited."""
    require(user, "referrals:report")
    check_office_filter(sess, user, office_id)
    if since is not None and until is not None and until < since:
        raise InvalidInput(errors=[{"field": "until", "code": "invalid",
                                    "message": _("The end of the period is before its start.")}])
    now = now or utcnow()
    cutoff = now - timedelta(days=WINDOW_DAYS)
    where = _where(user, office_id, since, until)
    aggregates = _aggregates(sess, cutoff)

    overall = dict(sess.execute(sa.select(*aggregates).select_from(_R).where(*where))
                   .mappings().one())
    result: dict[str, Any] = {"office_id": office_id, "since": since, "until": until,
                              "as_of": now, "window_days": WINDOW_DAYS}
    groups: dict[str, dict[Any, dict[str, Any]]] = {}
    for name, (keys, join) in _BREAKDOWNS.items():
        query = join(sa.select(*keys, *aggregates).select_from(_R)).where(*where) \
            .group_by(*keys).order_by(sa.func.count().desc(), *keys)
        reasons = _reasons(sess, where, keys[0], join)
        groups[name] = {}
        for row in sess.execute(query).mappings():
            key = row[keys[0].name]
            groups[name][key] = {**row, "not_provided_reasons": reasons.get(key, [])}

    # One query for every group's percentiles (see the module's docstring).
    elapsed: dict[str, dict[Any, list[float]]] = {name: defaultdict(list) for name in groups}
    overall_hours: list[float] = []
    answered = sess.execute(
        sa.select(_R.service_id, _R.provider_id, _P.c.sex, _R.sent_at, _R.responded_at)
        .select_from(_R).join(_P, _P.c.id == _R.participant_id)
        .where(*where, _R.responded_at.is_not(None)))
    for service_id, provider_id, sex, sent_at, responded_at in answered:
        hours = (responded_at - sent_at).total_seconds() / 3600
        overall_hours.append(hours)
        for name, key in (("by_service", service_id), ("by_partner", provider_id),
                          ("by_sex", sex)):
            elapsed[name][key].append(hours)

    overall_hours.sort()
    overall.update(_hours(overall_hours), closed_within_30_share=_share(overall),
                   not_provided_reasons=_reasons(sess, where).get(None, []))
    result["overall"] = overall
    for name, rows in groups.items():
        for key, item in rows.items():
            item.update(_hours(sorted(elapsed[name].get(key, []))),
                        closed_within_30_share=_share(item))
        result[name] = list(rows.values())

    audit.record(sess, "referrals:figures:read", actor_id=user.id, object_type="referral",
                 office_id=office_id, since=since and since.isoformat(),
                 until=until and until.isoformat(), referrals=overall["sent"])
    return result
