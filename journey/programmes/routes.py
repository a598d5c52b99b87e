"""Programme endpoints."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import select

from journey.core import audit
from journey.core.api import Blueprint
from journey.core.auth import current_user, requires
from journey.core.db import db, utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.organisations.models import Employer, ServiceProvider
from journey.programmes.models import Programme
from journey.programmes.schemas import ProgrammeSchema, ProgrammeUpdateSchema

blp = Blueprint("programmes", __name__, url_prefix="/programmes",
                description="Programmes: one corridor and sector each.")


@blp.get("/")
@requires("programmes:read")
@blp.response(200, ProgrammeSchema(many=True))
def list_programmes():
    """Every programme."""
    return db.session.scalars(select(Programme).options(selectinload(Programme.employers))
                              .order_by(Programme.code)).all()


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
    employer_ids = data.pop("employer_ids", [])
    _check_refs(sess, employer_ids, data.get("training_provider_id"))
    prog = Programme(**data, created_at=utcnow())
    sess.add(prog)
    sess.flush()
    _set_employers(sess, prog, employer_ids)
    audit.record(sess, "programmes:programme:create", actor_id=user.id, object_type="programme",
                 object_id=prog.id)
    return prog


@blp.patch("/<id:programme_id>")
@requires("programmes:manage")
@blp.arguments(ProgrammeUpdateSchema)
@blp.response(200, ProgrammeSchema)
def update_programme(data, programme_id: int):
    """Change a programme's partners, languages or checklist configuration (admins)."""
    sess = db.session
    user = current_user(sess)
    prog = sess.get(Programme, programme_id)
    if prog is None:
        raise NotFound("No such programme.")
    employer_ids = data.pop("employer_ids", None)
    _check_refs(sess, employer_ids or [], data.get("training_provider_id"))
    for key, value in data.items():
        setattr(prog, key, value)
    if employer_ids is not None:
        _set_employers(sess, prog, employer_ids)
    audit.record(sess, "programmes:programme:update", actor_id=user.id, object_type="programme",
                 object_id=prog.id, fields=sorted(data) + (["employer_ids"] if employer_ids else []))
    return prog


def _check_refs(sess, employer_ids: list[int], provider_id: int | None) -> None:
    errors = []
    found = set(sess.scalars(select(Employer.id).where(Employer.id.in_(employer_ids)))) \
        if employer_ids else set()
    for eid in employer_ids:
        if eid not in found:
            errors.append({"field": "employer_ids", "code": "not-found",
                           "message": f"No employer {eid}."})
    if provider_id is not None and sess.get(ServiceProvider, provider_id) is None:
        errors.append({"field": "training_provider_id", "code": "not-found",
                       "message": "No such service provider."})
    if errors:
        raise InvalidInput(errors=errors)


def _set_employers(sess, prog: Programme, employer_ids: list[int]) -> None:
    ids = list(dict.fromkeys(employer_ids))
    prog.employers = list(sess.scalars(select(Employer).where(Employer.id.in_(ids)))) if ids else []
    sess.flush()
