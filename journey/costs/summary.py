"""The Employer Pays summary: what each placement cost, by payer, against its programme's budget
per hire; and the breaches (migrant-paid recruitment costs) by employer and by recruiter, open
and refunded. Every total is summed in SQL (GROUP BY); amounts in different currencies are never
added up, each currency has its own row.

Scope: staff see the placements of the participants they may see (admins all, caseworkers and
supervisors their office's); an employer user sees only their employer's placements, and the
breaches held against it. Counts and sums name no one; the per-placement rows carry ids only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.errors import InvalidInput
from journey.core.policy import OFFICE_ROLES, Role, require
from journey.costs import tables
from journey.costs.models import RECRUITMENT_COSTS, Cost, Payer
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme

PAYERS = tuple(p.value for p in Payer)
_CENT = Decimal("0.01")
_PL = tables.placements
_C = Cost.__table__
_P = Participant.__table__
_PR = Programme.__table__


def _sum(expr) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(expr), 0)


def _by_payer(amount) -> list[sa.ColumnElement]:
    """One sum per payer, and the total, of the costs in the group."""
    return [_sum(sa.case((_C.c.paid_by == payer, amount), else_=0)).label(payer)
            for payer in PAYERS] + [_sum(amount).label("total"),
                                    _sum(_C.c.refund_amount).label("refunded")]


def _ever_breach() -> sa.ColumnElement[bool]:
    """A migrant-paid recruitment cost, refunded or not."""
    return sa.and_(_C.c.paid_by == Payer.MIGRANT.value,
                   _C.c.category.in_([c.value for c in RECRUITMENT_COSTS]), _C.c.amount > 0)


def _still_open() -> sa.ColumnElement[bool]:
    """Of a breach: not refunded in full (journey.costs.rules.breach_open)."""
    return sa.or_(_C.c.refunded_at.is_(None), _C.c.refund_amount < _C.c.amount)


def _money(value) -> Decimal | None:
    if value is None:
        return None
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(_CENT)


def _check_filters(sess: Session, user: User, programme_id: int | None,
                   employer_id: int | None) -> int | None:
    """The employer the summary is confined to: an employer user's own (naming another is a
    422, as an unknown one is); for staff the filter given, if it exists."""
    errors = []
    if programme_id is not None and sess.get(Programme, programme_id) is None:
        errors.append({"field": "programme_id", "code": "not-found",
                       "message": _("No such programme.")})
    if Role(user.role) == Role.EMPLOYER:
        if employer_id is not None and employer_id != user.employer_id:
            errors.append({"field": "employer_id", "code": "not-found",
                           "message": _("No employer of yours has this id.")})
        employer_id = user.employer_id if user.employer_id is not None else -1
    elif employer_id is not None and sess.get(Employer, employer_id) is None:
        errors.append({"field": "employer_id", "code": "not-found",
                       "message": _("No such employer.")})
    if errors:
        raise InvalidInput(errors=errors)
    return employer_id


def _office_scope(user: User, participant_id) -> sa.ColumnElement[bool] | None:
    """Staff confined to an office see its participants' placements and costs (None: no limit)."""
    role = Role(user.role)
    if role == Role.ADMIN or role == Role.EMPLOYER:
        return None
    if role in OFFICE_ROLES and user.office_id is not None:
        return participant_id.in_(sa.select(_P.c.id).where(_P.c.office_id == user.office_id))
    return sa.false()


def _placement_where(user: User, programme_id: int | None,
                     employer_id: int | None) -> list[sa.ColumnElement[bool]]:
    where = []
    if programme_id is not None:
        where.append(_PL.c.programme_id == programme_id)
    if employer_id is not None:
        where.append(_PL.c.employer_id == employer_id)
    office = _office_scope(user, _PL.c.participant_id)
    if office is not None:
        where.append(office)
    return where


def _per_placement(where, *, after_id: int | None = None, limit: int | None = None):
    """SELECT per placement and currency: the sums by payer, the budget, over/under."""
    ids = sa.select(_PL.c.id).where(*where)
    if after_id is not None:
        ids = ids.where(_PL.c.id > after_id)
    if limit is not None:
        ids = ids.order_by(_PL.c.id).limit(limit)
    page = ids.subquery("page")
    total = _sum(_C.c.amount)
    return (
        sa.select(_PL.c.id.label("placement_id"), _PL.c.participant_id, _PL.c.employer_id,
                  _PL.c.recruiter_id, _PL.c.programme_id, _PL.c.status, _C.c.currency,
                  *_by_payer(_C.c.amount), _PR.c.budget_per_hire, _PR.c.budget_currency,
                  sa.case((_C.c.currency == _PR.c.budget_currency,
                           total - _PR.c.budget_per_hire), else_=None).label("over_budget"))
        .select_from(_PL.join(page, page.c.id == _PL.c.id)
                     .outerjoin(_C, _C.c.placement_id == _PL.c.id)
                     .outerjoin(_PR, _PR.c.id == _PL.c.programme_id))
        .group_by(_PL.c.id, _PL.c.participant_id, _PL.c.employer_id, _PL.c.recruiter_id,
                  _PL.c.programme_id, _PL.c.status, _C.c.currency, _PR.c.budget_per_hire,
                  _PR.c.budget_currency)
        .order_by(_PL.c.id, _C.c.currency))


def _totals(where):
    """SELECT per currency over every placement in the filter. The costs are summed per
    placement and currency first, from the costs alone (in index order), and only then joined
    to their placement's budget: grouping after the joins sorted every cost."""
    scoped = sa.select(_PL.c.id).where(*where) if where else None
    per = (sa.select(_C.c.placement_id, _C.c.currency, *_by_payer(_C.c.amount))
           .where(_C.c.placement_id.is_not(None) if scoped is None
                  else _C.c.placement_id.in_(scoped))
           .group_by(_C.c.placement_id, _C.c.currency).subquery("per"))
    compared = _PR.c.budget_currency == per.c.currency
    over = sa.and_(compared, per.c.total > _PR.c.budget_per_hire)
    within = sa.and_(compared, per.c.total <= _PR.c.budget_per_hire)
    return (sa.select(per.c.currency,
                      *[_sum(per.c[name]).label(name) for name in (*PAYERS, "total",
                                                                   "refunded")],
                      sa.func.count().label("placements"),
                      _sum(sa.case((over, 1), else_=0)).label("over_budget"),
                      _sum(sa.case((within, 1), else_=0)).label("within_budget"))
            .select_from(per.join(_PL, _PL.c.id == per.c.placement_id)
                         .outerjoin(_PR, _PR.c.id == _PL.c.programme_id))
            .group_by(per.c.currency).order_by(per.c.currency))


def _breaches(user: User, programme_id: int | None, employer_id: int | None, key, name, join):
    """SELECT the breaches grouped by whom they are held against (key) and currency."""
    open_ = _still_open()
    where = [_ever_breach()]
    if employer_id is not None:
        where.append(_C.c.employer_id == employer_id)
    if programme_id is not None:
        # The placement's programme, else the participant's.
        where.append(sa.func.coalesce(
            sa.select(_PL.c.programme_id).where(_PL.c.id == _C.c.placement_id)
            .scalar_subquery(),
            sa.select(_P.c.programme_id).where(_P.c.id == _C.c.participant_id)
            .scalar_subquery()) == programme_id)
    office = _office_scope(user, _C.c.participant_id)
    if office is not None:
        where.append(office)
    outstanding = _C.c.amount - sa.func.coalesce(_C.c.refund_amount, 0)
    return (sa.select(key.label("id"), name.label("name"), _C.c.currency,
                      sa.func.count().label("breaches"),
                      _sum(sa.case((open_, 1), else_=0)).label("open"),
                      _sum(sa.case((open_, outstanding), else_=0)).label("open_amount"),
                      _sum(sa.case((open_, 0), else_=1)).label("refunded"),
                      _sum(_C.c.refund_amount).label("refunded_amount"))
            .select_from(join).where(*where)
            .group_by(key, name, _C.c.currency)
            .order_by(sa.func.count().desc(), key, _C.c.currency))


def _rows(result, money: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in result.mappings():
        item = dict(row)
        for k in money:
            if k in item:
                item[k] = _money(item[k])
        out.append(item)
    return out


_PAYER_MONEY = (*PAYERS, "total", "refunded")


def summary(sess: Session, user: User, *, programme_id: int | None = None,
            employer_id: int | None = None, after_id: int | None = None,
            limit: int = 100) -> dict[str, Any]:
    """The Employer Pays summary in the user's scope, for a programme and an employer (both
    optional; an employer user's is always their own): totals per currency, a page of
    placements, and the breaches by employer and by recruiter."""
    require(user, "costs:summary")
    employer_id = _check_filters(sess, user, programme_id, employer_id)
    where = _placement_where(user, programme_id, employer_id)
    placements = _rows(sess.execute(_per_placement(where, after_id=after_id, limit=limit)),
                       (*_PAYER_MONEY, "budget_per_hire", "over_budget"))
    page_ids = sorted({r["placement_id"] for r in placements})
    totals = _rows(sess.execute(_totals(where)), _PAYER_MONEY)
    count = sess.scalar(sa.select(sa.func.count()).select_from(_PL).where(*where))
    money = ("open_amount", "refunded_amount")
    emp = _rows(sess.execute(_breaches(
        user, programme_id, employer_id, _C.c.employer_id, Employer.__table__.c.name,
        _C.outerjoin(Employer.__table__, Employer.__table__.c.id == _C.c.employer_id))), money)
    rec = _rows(sess.execute(_breaches(
        user, programme_id, employer_id, _C.c.recruiter_id, tables.recruiters.c.name,
        _C.outerjoin(tables.recruiters, tables.recruiters.c.id == _C.c.recruiter_id))), money)
    audit.record(sess, "costs:summary:read", actor_id=user.id, object_type="employer" if
                 employer_id is not None else "programme",
                 object_id=employer_id if employer_id is not None else programme_id,
                 programme_id=programme_id, placements=len(page_ids))
    return {
        "programme_id": programme_id, "employer_id": employer_id, "placement_count": count,
        "totals": totals, "placements": placements,
        "next_after_id": page_ids[-1] if len(page_ids) == limit else None,
        "breaches_by_employer": [{"employer_id": r.pop("id"), **r} for r in emp],
        "breaches_by_recruiter": [{"recruiter_id": r.pop("id"), **r} for r in rec],
    }


def employer_summary(sess: Session, user: User, *, employer_id: int | None = None,
                     after_id: int | None = None, limit: int = 100) -> dict[str, Any]:
    """One employer's summary: an employer user's own (employer_id may only name it); staff name
    the employer (422 without one)."""
    if employer_id is None and Role(user.role) != Role.EMPLOYER:
        require(user, "costs:summary")
        raise InvalidInput(errors=[{"field": "employer_id", "code": "required",
                                    "message": _("Choose an employer.")}])
    return summary(sess, user, employer_id=employer_id, after_id=after_id, limit=limit)
