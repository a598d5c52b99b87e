"""Costs of a participant's migration: list, record and edit. They never commit.

A cost may belong to one of the participant's placements and be held against an employer or a
recruiter (by default the placement's); a recruitment cost the migrant paid opens a grievance
(journey.costs.breaches)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import load_owned, utcnow
from journey.core.errors import InvalidInput
from journey.core.versions import Precondition, bump, check_version
from journey.costs import breaches, tables
from journey.costs.models import Cost
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant


def list_costs(sess: Session, actor: User, participant_id: int) -> list[Cost]:
    """Every cost recorded for a participant the actor may see, oldest first."""
    p = load_participant(sess, actor, participant_id, "costs:read")
    audit.record(sess, "costs:cost:read", actor_id=actor.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id)
    return list(sess.scalars(select(Cost).where(Cost.participant_id == p.id).order_by(Cost.id)))


def placements_of(sess: Session, participant_id: int) -> list[sa.Row]:
    """The participant's placements (id, employer_id, recruiter_id, status), newest first."""
    pl = tables.placements
    return list(sess.execute(
        sa.select(pl.c.id, pl.c.employer_id, pl.c.recruiter_id, pl.c.status,
                  pl.c.contract_start)
        .where(pl.c.participant_id == participant_id).order_by(pl.c.id.desc())))


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "code": "not-found", "message": message}


def _amount(data: dict[str, Any]) -> None:
    """Amounts as Decimal (a caller may pass "50.00"), so the Employer Pays check can compare."""
    if data.get("amount") is not None and not isinstance(data["amount"], Decimal):
        data["amount"] = Decimal(str(data["amount"]))


def _parties(sess: Session, p: Participant, data: dict[str, Any]) -> None:
    """Check the placement (one of the participant's), employer and recruiter a cost names; a
    placement newly named brings its employer and recruiter unless the data names others."""
    errors = []
    if data.get("placement_id") is not None:
        pl = tables.placements
        row = sess.execute(sa.select(pl.c.employer_id, pl.c.recruiter_id).where(
            pl.c.id == data["placement_id"], pl.c.participant_id == p.id)).first()
        if row is None:
            errors.append(_error("placement_id",
                                 _("No placement of this participant has this id.")))
        else:
            data.setdefault("employer_id", row.employer_id)
            data.setdefault("recruiter_id", row.recruiter_id)
    if data.get("employer_id") is not None and sess.get(Employer, data["employer_id"]) is None:
        errors.append(_error("employer_id", _("No such employer.")))
    if data.get("recruiter_id") is not None and sess.scalar(
            sa.select(tables.recruiters.c.id).where(
                tables.recruiters.c.id == data["recruiter_id"])) is None:
        errors.append(_error("recruiter_id", _("No such recruiter.")))
    if errors:
        raise InvalidInput(errors=errors)


def record_cost(sess: Session, actor: User, participant_id: int, data: dict[str, Any]) -> Cost:
    """Record a cost and who paid it (audited with its category and payer, not its amount); one
    that breaks Employer Pays opens a grievance."""
    p = load_participant(sess, actor, participant_id, "costs:record")
    data = dict(data)
    _amount(data)
    _parties(sess, p, data)
    cost = Cost(participant_id=p.id, recorded_by=actor.id, recorded_at=utcnow(), **data)
    sess.add(cost)
    sess.flush()
    audit.record(sess, "costs:cost:create", actor_id=actor.id, object_type="cost",
                 object_id=cost.id, office_id=p.office_id, participant_id=p.id,
                 category=cost.category, paid_by=cost.paid_by)
    breaches.open_if_breach(sess, actor, p, cost)
    return cost


_FIELDS = ("category", "amount", "currency", "paid_by", "paid_on", "note", "should_have_paid",
           "evidence", "placement_id", "employer_id", "recruiter_id")


def update_cost(sess: Session, actor: User, participant_id: int, cost_id: int,
                data: dict[str, Any], *, expected: Precondition | None) -> Cost:
    """Edit a cost at the version read (audited with the fields changed, not their values); an
    edit that makes it an Employer Pays breach opens a grievance, once."""
    p = load_participant(sess, actor, participant_id, "costs:record")
    cost = load_owned(sess, Cost, cost_id, p.id, _("No such cost."))
    check_version(cost.version, expected,
                  _("Someone changed this cost since you read it; reload and try again."))
    data = dict(data)
    if "placement_id" in data and data["placement_id"] == cost.placement_id:
        del data["placement_id"]  # the same placement: its parties are not brought again
    _parties(sess, p, data)
    changed = sorted(k for k in _FIELDS if k in data and getattr(cost, k) != data[k])
    for k in changed:
        setattr(cost, k, data[k])
    if changed:
        bump(sess, cost, expected,
             _("Someone changed this cost at the same time; reload and try again."))
        sess.flush()
        audit.record(sess, "costs:cost:update", actor_id=actor.id, object_type="cost",
                     object_id=cost.id, office_id=p.office_id, participant_id=p.id,
                     fields=changed, category=cost.category, paid_by=cost.paid_by)
        breaches.open_if_breach(sess, actor, p, cost)
    return cost
