"""Costs of a participant's migration: list, record and edit. They never commit."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import load_owned, utcnow
from journey.core.versions import Precondition, bump, check_version
from journey.costs.models import Cost
from journey.participants.services import load_participant


def list_costs(sess: Session, actor: User, participant_id: int) -> list[Cost]:
    """Every cost recorded for a participant the actor may see, oldest first."""
    p = load_participant(sess, actor, participant_id, "costs:read")
    audit.record(sess, "costs:cost:read", actor_id=actor.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id)
    return list(sess.scalars(select(Cost).where(Cost.participant_id == p.id).order_by(Cost.id)))


def record_cost(sess: Session, actor: User, participant_id: int, data: dict[str, Any]) -> Cost:
    """Record a cost and who paid it (audited with its category and payer, not its amount)."""
    p = load_participant(sess, actor, participant_id, "costs:record")
    cost = Cost(participant_id=p.id, recorded_by=actor.id, recorded_at=utcnow(), **data)
    sess.add(cost)
    sess.flush()
    audit.record(sess, "costs:cost:create", actor_id=actor.id, object_type="cost",
                 object_id=cost.id, office_id=p.office_id, participant_id=p.id,
                 category=cost.category, paid_by=cost.paid_by)
    return cost


_FIELDS = ("category", "amount", "currency", "paid_by", "paid_on", "note")


def update_cost(sess: Session, actor: User, participant_id: int, cost_id: int,
                data: dict[str, Any], *, expected: Precondition | None) -> Cost:
    """Edit a cost at the version read (audited with the fields changed, not their values)."""
    p = load_participant(sess, actor, participant_id, "costs:record")
    cost = load_owned(sess, Cost, cost_id, p.id, _("No such cost."))
    check_version(cost.version, expected,
                  _("Someone changed this cost since you read it; reload and try again."))
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
    return cost
