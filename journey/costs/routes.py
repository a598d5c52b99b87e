"""Costs of a participant's migration, and who paid them."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.costs import services
from journey.costs.schemas import CostSchema, CostUpdateSchema

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


@blp.patch("/<id:participant_id>/costs/<id:cost_id>", permission="costs:record")
@blp.arguments(CostUpdateSchema)
@blp.response(200, CostSchema)
@blp.alt_response(409, description="The version you sent is stale.")
@blp.alt_response(412, description="The If-Match version is stale.")
def update_cost(data, participant_id: int, cost_id: int):
    """Edit a cost at the version you read (If-Match or the version field)."""
    sess = db.session
    expected = precondition(data)
    cost = services.update_cost(sess, current_user(sess), participant_id, cost_id, data,
                                expected=expected)
    return cost, {"ETag": f'"{cost.version}"'}
