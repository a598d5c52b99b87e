"""Costs of a participant's migration, and who paid them; refunds of Employer Pays breaches; the
categories; the Employer Pays summary."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.costs import breaches, services, summary
from journey.costs.schemas import (
    CategorySchema,
    CostSchema,
    CostUpdateSchema,
    RefundSchema,
    SummaryQuerySchema,
    SummarySchema,
    category_list,
)

blp = Blueprint("costs", __name__, url_prefix="/participants",
                description="Migration costs and who paid them (Employer Pays).")
summary_blp = Blueprint("cost_summary", __name__, url_prefix="/costs",
                        description="The cost categories and the Employer Pays summary.")


@blp.get("/<id:participant_id>/costs", permission="costs:read")
@blp.response(200, CostSchema(many=True))
def list_costs(participant_id: int):
    """Every cost recorded for the participant."""
    return services.list_costs(db.session, current_user(), participant_id)


@blp.post("/<id:participant_id>/costs", permission="costs:record")
@blp.arguments(CostSchema)
@blp.response(201, CostSchema)
@blp.alt_response(422, description="Invalid fields, or a placement that is not the "
                                   "participant's, or an unknown employer or recruiter.")
def record_cost(data, participant_id: int):
    """Record a cost and who paid it. A recruitment fee or related cost (ILO) paid by the
    migrant breaks Employer Pays: it blocks departure and opens a grievance against the
    recruiter, else the employer."""
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


@blp.post("/<id:participant_id>/costs/<id:cost_id>/refund", permission="costs:refund")
@blp.arguments(RefundSchema)
@blp.response(200, CostSchema)
@blp.alt_response(409, description="Not an Employer Pays breach still open "
                                   "(code not-a-breach), or a stale version.")
@blp.alt_response(412, description="The If-Match version is stale.")
@blp.alt_response(422, description="More than is left to give back.")
def refund_cost(data, participant_id: int, cost_id: int):
    """Record money given back to the migrant for a breach. Once the refunds reach the amount
    paid the breach is closed and departure is no longer blocked by it; the cost keeps what was
    paid and by whom, and the grievance gets a note."""
    sess = db.session
    expected = precondition(data, required=False)
    cost = breaches.refund(sess, current_user(sess), participant_id, cost_id, data,
                           expected=expected)
    return cost, {"ETag": f'"{cost.version}"'}


@summary_blp.get("/categories", permission="costs:read")
@summary_blp.response(200, CategorySchema(many=True))
def categories():
    """The cost categories, and which are within the ILO definition of recruitment fees and
    related costs (the migrant must not pay those)."""
    return category_list()


@summary_blp.get("/summary", permission="costs:summary")
@summary_blp.arguments(SummaryQuerySchema, location="query")
@summary_blp.response(200, SummarySchema)
@summary_blp.alt_response(422, description="An unknown programme or employer, or (for an "
                                           "employer user) another employer.")
def cost_summary(args):
    """Costs per placement by payer against the programme's budget per hire, and the Employer
    Pays breaches by employer and by recruiter. An employer user sees their own."""
    return summary.summary(db.session, current_user(), **args)
