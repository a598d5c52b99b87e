"""Costs of a participant's migration, and who paid them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlmodel import select

from journey.core import audit
from journey.core.api import Blueprint
from journey.core.auth import current_user, requires
from journey.core.db import db, utcnow
from journey.costs.models import RECRUITMENT_COSTS, Cost, CostCategory, Payer
from journey.participants.services import load_participant

blp = Blueprint("costs", __name__, url_prefix="/participants",
                description="Migration costs and who paid them (Employer Pays).")


class CostSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    category = ma.fields.String(required=True,
                                validate=validate.OneOf([c.value for c in CostCategory]))
    amount = ma.fields.Decimal(required=True, places=2, as_string=True,
                               validate=validate.Range(min=0, max=10**9))
    currency = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    paid_by = ma.fields.String(required=True, validate=validate.OneOf([p.value for p in Payer]))
    paid_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)
    recorded_at = ma.fields.DateTime(dump_only=True)
    employer_pays_breach = ma.fields.Function(
        lambda c: c.paid_by == Payer.MIGRANT and c.category in RECRUITMENT_COSTS and c.amount > 0,
        dump_only=True, metadata={"type": "boolean"})


@blp.get("/<id:participant_id>/costs")
@requires("costs:read")
@blp.response(200, CostSchema(many=True))
def list_costs(participant_id: int):
    """Every cost recorded for the participant."""
    sess = db.session
    p = load_participant(sess, current_user(sess), participant_id, "costs:read")
    return sess.scalars(select(Cost).where(Cost.participant_id == p.id).order_by(Cost.id)).all()


@blp.post("/<id:participant_id>/costs")
@requires("costs:record")
@blp.arguments(CostSchema)
@blp.response(201, CostSchema)
def record_cost(data, participant_id: int):
    """Record a cost and who paid it; recruitment costs paid by the migrant block departure."""
    sess = db.session
    user = current_user(sess)
    p = load_participant(sess, user, participant_id, "costs:record")
    cost = Cost(participant_id=p.id, recorded_by=user.id, recorded_at=utcnow(), **data)
    sess.add(cost)
    sess.flush()
    audit.record(sess, "costs:cost:create", actor_id=user.id, object_type="cost", object_id=cost.id,
                 office_id=p.office_id, participant_id=p.id, category=cost.category,
                 paid_by=cost.paid_by)
    return cost
