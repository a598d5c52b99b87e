"""Programme endpoints: load through a schema, call one service, dump through a schema."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.programmes import services
from journey.programmes.schemas import ProgrammeSchema, ProgrammeUpdateSchema

blp = Blueprint("programmes", __name__, url_prefix="/programmes",
                description="Programmes: one corridor and sector each.")


@blp.get("/", permission="programmes:read")
@blp.response(200, ProgrammeSchema(many=True))
def list_programmes():
    """Every programme."""
    return services.list_programmes(db.session, current_user())


@blp.get("/<id:programme_id>", permission="programmes:read")
@blp.response(200, ProgrammeSchema)
def get_programme(programme_id: int):
    """One programme."""
    return services.load_programme(db.session, current_user(), programme_id)


@blp.post("/", permission="programmes:manage")
@blp.arguments(ProgrammeSchema)
@blp.response(201, ProgrammeSchema)
@blp.alt_response(409, description="The code is taken; existing_id names the programme.")
def create_programme(data):
    """Create a programme (admins)."""
    return services.create_programme(db.session, current_user(), data)


@blp.patch("/<id:programme_id>", permission="programmes:manage")
@blp.arguments(ProgrammeUpdateSchema)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(409, description="The version you sent is stale.")
@blp.alt_response(412, description="The If-Match version is stale.")
def update_programme(data, programme_id: int):
    """Change a programme's partners, languages or checklist configuration (admins), at the
    version you read when you send one (If-Match or the version field)."""
    expected = precondition(data, required=False)
    prog = services.update_programme(db.session, current_user(), programme_id, data,
                                     expected=expected)
    return prog, {"ETag": f'"{prog.version}"'}
