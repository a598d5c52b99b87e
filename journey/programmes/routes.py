"""Programme endpoints."""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint
from sqlmodel import select

from journey.core import audit
from journey.core.auth import current_user, requires
from journey.core.db import db, utcnow
from journey.core.errors import Conflict, NotFound
from journey.programmes.models import Programme
from journey.programmes.schemas import ProgrammeSchema

blp = Blueprint("programmes", __name__, url_prefix="/programmes",
                description="Programmes: one corridor and sector each.")


@blp.get("/")
@requires("programmes:read")
@blp.response(200, ProgrammeSchema(many=True))
def list_programmes():
    """Every programme."""
    return db.session.scalars(select(Programme).order_by(Programme.code)).all()


@blp.get("/<id:programme_id>")
@requires("programmes:read")
@blp.response(200, ProgrammeSchema)
def get_programme(programme_id: int):
    """One programme."""
    prog = db.session.get(Programme, programme_id)
    if prog is None:
        raise NotFound("No such programme.")
    return prog


@blp.post("/")
@requires("programmes:manage")
@blp.arguments(ProgrammeSchema)
@blp.response(201, ProgrammeSchema)
def create_programme(data):
    """Create a programme (admins)."""
    sess = db.session
    user = current_user(sess)
    if sess.scalar(select(Programme.id).where(sa.func.upper(Programme.code) == data["code"])):
        raise Conflict("That programme code is taken.", code="code-taken")
    prog = Programme(**data, created_at=utcnow())
    sess.add(prog)
    sess.flush()
    audit.record(sess, "programmes:programme:create", actor_id=user.id, object_type="programme",
                 object_id=prog.id)
    return prog
