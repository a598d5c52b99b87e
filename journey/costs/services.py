"""Costs of a participant's migration: list and record. They never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
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
