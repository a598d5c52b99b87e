"""Programmes: list, read, create and change. They never commit."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.policy import require
from journey.core.unique import insert_unique
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import Employer, ServiceProvider
from journey.programmes.models import Programme

logger = logging.getLogger(__name__)


def list_programmes(sess: Session, actor: User) -> list[Programme]:
    """Every programme, by code, with its partner employers."""
    require(actor, "programmes:read")
    return list(sess.scalars(select(Programme).options(selectinload(Programme.employers))
                             .order_by(Programme.code)))


def load_programme(sess: Session, actor: User, programme_id: int,
                   permission: str = "programmes:read") -> Programme:
    """The programme, or 404."""
    require(actor, permission)
    prog = sess.get(Programme, programme_id)
    if prog is None:
        raise NotFound(_("No such programme."))
    return prog


def _check_refs(sess: Session, employer_ids: list[int], provider_id: int | None) -> None:
    errors = []
    found = set(sess.scalars(select(Employer.id).where(Employer.id.in_(employer_ids)))) \
        if employer_ids else set()
    for eid in employer_ids:
        if eid not in found:
            errors.append({"field": "employer_ids", "code": "not-found",
                           "message": _("No employer %(id)s.", id=eid)})
    if provider_id is not None and sess.get(ServiceProvider, provider_id) is None:
        errors.append({"field": "training_provider_id", "code": "not-found",
                       "message": _("No such service provider.")})
    if errors:
        raise InvalidInput(errors=errors)


def _set_employers(sess: Session, prog: Programme, employer_ids: list[int]) -> None:
    ids = list(dict.fromkeys(employer_ids))
    prog.employers = list(sess.scalars(select(Employer).where(Employer.id.in_(ids)))) if ids else []
    sess.flush()


def create_programme(sess: Session, actor: User, data: dict[str, Any]) -> Programme:
    """Create a programme; its code is unique (409 with the existing programme's id)."""
    require(actor, "programmes:manage")
    data = dict(data)
    # Codes are upper-case ASCII (the schema), so SQL upper() compares them exactly.
    taken = select(Programme.id).where(sa.func.upper(Programme.code) == data["code"].upper())
    employer_ids = data.pop("employer_ids", [])
    _check_refs(sess, employer_ids, data.get("training_provider_id"))
    prog = Programme(**data, created_at=utcnow())
    existing = insert_unique(sess, prog, taken)
    if existing is not None:
        raise Conflict(_("That programme code is taken."), code="code-taken",
                       extra={"existing_id": existing})
    _set_employers(sess, prog, employer_ids)
    audit.record(sess, "programmes:programme:create", actor_id=actor.id, object_type="programme",
                 object_id=prog.id)
    logger.debug("programme created id=%s", prog.id)
    return prog


def update_programme(sess: Session, actor: User, programme_id: int, data: dict[str, Any], *,
                     expected: Precondition | None = None) -> Programme:
    """Change a programme's name, partners, languages or checklist configuration, at the
    version the caller read when they name one."""
    prog = load_programme(sess, actor, programme_id, "programmes:manage")
    data = dict(data)
    data.pop("version", None)
    message = _("Someone changed this programme since you read it; reload and try again.")
    check_version(prog.version, expected, message)
    employer_ids = data.pop("employer_ids", None)
    _check_refs(sess, employer_ids or [], data.get("training_provider_id"))
    for key, value in data.items():
        setattr(prog, key, value)
    if employer_ids is not None:
        _set_employers(sess, prog, employer_ids)
    bump(sess, prog, expected, message)
    audit.record(sess, "programmes:programme:update", actor_id=actor.id, object_type="programme",
                 object_id=prog.id, fields=sorted(data) + (["employer_ids"] if employer_ids else []))
    return prog
