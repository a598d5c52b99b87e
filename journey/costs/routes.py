"""Costs of a participant's migration, and who paid them."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.costs import services
from journey.costs.schemas import CostSchema

blp = Blueprint("costs", __name__, url_prefix="/participants",
                description="Migration costs and who paid them (Employer Pays).")


@blp.get("/<id:participant_id>/costs", permission="costs:read")
@blp.response(200, CostSchema(many=True))
def list_costs(participant_id: int):
    """Every cost recorded for the participant."""
    return services.list_costs(db.session, current_user(), participant_id)


@blp.post("/<id:participant_id>/costs", permission="costs:record")
@blp.arguments(CostSchema)
@blp.response(201, CostSchema)
def record_cost(data, participant_id: int):
    """Record a cost and who paid it; recruitment costs paid by the migrant block departure."""
    return services.record_cost(db.session, current_user(), participant_id, data)
