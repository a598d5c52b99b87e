"""GET /my-work: what needs the caller's attention (the same service as the page)."""

from __future__ import annotations

import marshmallow as ma

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.workbench import services
from journey.workbench.schemas import MyWorkQuerySchema, MyWorkSchema

blp = Blueprint("workbench", __name__, url_prefix="",
                description="My work: each caseworker's due items, expiring permits, replies "
                            "and message problems.")


@blp.get("/my-work", permission="workbench:read")
@blp.arguments(MyWorkQuerySchema, location="query", unknown=ma.RAISE)
@blp.response(200, MyWorkSchema)
def my_work(args):
    """Checklist items due and overdue, permits expiring and expired, unanswered replies,
    failed or skipped messages (a caseworker's own participants; a supervisor's office, with
    counts per caseworker; an admin's every office, or one with office_id)."""
    return services.my_work(db.session, current_user(), office_id=args.get("office_id"),
                            limit=args["limit"])


@blp.post("/my-work/escalations/<id:escalation_id>/seen", permission="workbench:read")
@blp.response(204)
def see_escalation(escalation_id: int):
    """Mark an escalation addressed to you seen (opening the grievance does it too)."""
    services.see_escalation(db.session, current_user(), escalation_id)
