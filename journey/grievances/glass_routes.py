"""API of grievance confidentiality and reports: an office's focal points, break-the-glass on
a restricted grievance, and the patterns of complaints."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.grievances import glass, patterns
from journey.grievances.glass_schemas import (
    AccessGrantSchema,
    BreakGlassSchema,
    FocalPointCreateSchema,
    FocalPointSchema,
    PatternsQuerySchema,
    PatternsSchema,
)

blp = Blueprint("grievance_glass", __name__, url_prefix="",
                description="Grievance confidentiality (focal points, break-the-glass) and the "
                            "patterns of complaints for reports.")

_FOCAL = "/offices/<id:office_id>/grievance-focal-points"


@blp.get(_FOCAL, permission="grievances:read")
@blp.response(200, FocalPointSchema(many=True))
def list_focal_points(office_id: int):
    """The office's focal points (protection officers): they see its restricted grievances and
    are told when someone breaks the glass. Another office's are a 404 (admins see every one)."""
    return glass.focal_points(db.session, current_user(), office_id)


@blp.post(_FOCAL, permission="grievances:focal_points")
@blp.arguments(FocalPointCreateSchema)
@blp.response(201, FocalPointSchema)
@blp.alt_response(404, description="No such office, or not yours.")
@blp.alt_response(409, description="Already a focal point of the office (already-focal-point).")
def add_focal_point(data, office_id: int):
    """Name an active supervisor or caseworker of the office a focal point (audited)."""
    return glass.add_focal_point(db.session, current_user(), office_id, data["user_id"])


@blp.delete(f"{_FOCAL}/<id:user_id>", permission="grievances:focal_points")
@blp.response(204)
@blp.alt_response(404, description="No such office, or the person is not a focal point of it.")
def remove_focal_point(office_id: int, user_id: int):
    """Stop a staff member being a focal point of the office (audited)."""
    glass.remove_focal_point(db.session, current_user(), office_id, user_id)


@blp.post("/grievances/<id:grievance_id>/break-glass", permission="grievances:break_glass")
@blp.arguments(BreakGlassSchema)
@blp.response(201, AccessGrantSchema)
@blp.alt_response(404, description="No such grievance in your scope.")
@blp.alt_response(409, description="You see the grievance in full already (not-masked).")
def break_glass(data, grievance_id: int):
    """Open a restricted grievance you do not see in full, with a written reason. It stays open
    to you for GRIEVANCE_BREAK_GLASS_HOURS; the opening is audited and the office's focal points
    are told by email (the grievance's reference and your name only)."""
    return glass.break_glass(db.session, current_user(), grievance_id, data["reason"])


@blp.get("/grievances/patterns", permission="grievances:report")
@blp.arguments(PatternsQuerySchema, location="query")
@blp.response(200, PatternsSchema)
def grievance_patterns(args):
    """How many grievances by employer, recruiter, category, office, state and month, in your
    scope. Restricted ones are counted, but never attributed by name unless you see them."""
    return patterns.patterns(db.session, current_user(), date_from=args.get("date_from"),
                             date_to=args.get("date_to"), office_id=args.get("office_id"))
