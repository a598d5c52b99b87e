"""Offices, employers and service providers: list, create and change. They never commit."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.policy import office_scope, require
from journey.core.unique import insert_unique
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import (
    Employer,
    NamedOrganisation,
    Office,
    ServiceProvider,
    organisation_key,
)

logger = logging.getLogger(__name__)


def check_office_filter(sess: Session, actor: User, office_id: int | None) -> None:
    """An office filter names an office the actor may see: any for an admin, else their own.
    (An unknown id would otherwise reach an audit event's foreign key: a 409, not a 422.)"""
    if office_id is None:
        return
    own = office_scope(actor)
    if sess.get(Office, office_id) is None or (own is not None and office_id != own):
        raise InvalidInput(errors=[{"field": "office_id", "code": "not-found",
                                    "message": _("No office of yours has this id.")}])


def list_offices(sess: Session, actor: User) -> list[Office]:
    """Every office, by name."""
    require(actor, "offices:read")
    return list(sess.scalars(select(Office).order_by(Office.name)))


def list_employers(sess: Session, actor: User) -> list[Employer]:
    """Every employer, by name."""
    require(actor, "organisations:read")
    return list(sess.scalars(select(Employer).order_by(Employer.name)))


def list_providers(sess: Session, actor: User) -> list[ServiceProvider]:
    """Every service provider, by name."""
    require(actor, "organisations:read")
    return list(sess.scalars(select(ServiceProvider).order_by(ServiceProvider.name)))


def _create(sess: Session, actor: User, obj: Any, *, taken: sa.Select, tag: str,
            message: str, code: str):
    """Insert obj, or 409 with the id of the row that already has its identity."""
    existing = insert_unique(sess, obj, taken)
    if existing is not None:
        raise Conflict(message, code=code, extra={"existing_id": existing})
    audit.record(sess, f"organisations:{tag}:create", actor_id=actor.id, object_type=tag,
                 object_id=obj.id)
    logger.debug("%s created id=%s", tag, obj.id)
    return obj


def create_office(sess: Session, actor: User, data: dict[str, Any]) -> Office:
    """Open an office; its code is unique (codes are upper-case ASCII, so SQL upper() is exact)."""
    require(actor, "offices:manage")
    office = Office(**data, created_at=utcnow())
    return _create(
        sess, actor, office,
        taken=select(Office.id).where(sa.func.upper(Office.code) == data["code"].upper()),
        tag="office", message=_("That code is already used."), code="code-taken")


def _create_named(sess: Session, actor: User, model: type[NamedOrganisation], data: dict[str, Any],
                  tag: str) -> Any:
    """Add an organisation whose name is unique once folded (organisation_key)."""
    require(actor, "organisations:manage")
    return _create(
        sess, actor, model(**data, created_at=utcnow()),
        taken=select(model.id).where(model.name_key == organisation_key(data["name"])),
        tag=tag, message=_("That name is already used."), code="name-taken")


def create_employer(sess: Session, actor: User, data: dict[str, Any]) -> Employer:
    """Add an employer; names are unique once folded (organisation_key)."""
    return _create_named(sess, actor, Employer, data, "employer")


def create_provider(sess: Session, actor: User, data: dict[str, Any]) -> ServiceProvider:
    """Add a service provider; names are unique once folded (organisation_key)."""
    return _create_named(sess, actor, ServiceProvider, data, "service_provider")


def load_office(sess: Session, actor: User, office_id: int,
                permission: str = "offices:read") -> Office:
    """The office, or 404."""
    require(actor, permission)
    office = sess.get(Office, office_id)
    if office is None:
        raise NotFound(_("No such office."))
    return office


def load_organisation(sess: Session, actor: User, model: type[NamedOrganisation], obj_id: int,
                      permission: str = "organisations:read") -> Any:
    """The employer or service provider, or 404."""
    require(actor, permission)
    obj = sess.get(model, obj_id)
    if obj is None:
        raise NotFound(_("No such organisation."))
    return obj


def _apply(sess: Session, actor: User, obj: Any, data: dict[str, Any],
           expected: Precondition | None, tag: str) -> Any:
    """Set the changed fields at the version the caller read, bump it and audit the change."""
    message = _("Someone changed this record since you read it; reload and try again.")
    check_version(obj.version, expected, message)
    changed = sorted(k for k, v in data.items() if getattr(obj, k) != v)
    if not changed:
        return obj
    for key in changed:
        setattr(obj, key, data[key])
    bump(sess, obj, expected, message)
    sess.flush()
    audit.record(sess, f"organisations:{tag}:update", actor_id=actor.id, object_type=tag,
                 object_id=obj.id, fields=changed, version=obj.version)
    logger.debug("%s updated id=%s", tag, obj.id)
    return obj


def update_office(sess: Session, actor: User, office_id: int, data: dict[str, Any], *,
                  expected: Precondition | None) -> Office:
    """Change an office's name, country or time zone at the version the caller read."""
    office = load_office(sess, actor, office_id, "offices:manage")
    return _apply(sess, actor, office, dict(data), expected, "office")


def _update_named(sess: Session, actor: User, model: type[NamedOrganisation], obj_id: int,
                  data: dict[str, Any], expected: Precondition | None, tag: str) -> Any:
    obj = load_organisation(sess, actor, model, obj_id, "organisations:manage")
    data = dict(data)
    if "name" in data:
        key = organisation_key(data["name"])
        other = sess.scalar(select(model.id).where(model.name_key == key, model.id != obj.id))
        if other is not None:
            raise Conflict(_("That name is already used."), code="name-taken",
                           extra={"existing_id": other})
    return _apply(sess, actor, obj, data, expected, tag)


def update_employer(sess: Session, actor: User, employer_id: int, data: dict[str, Any], *,
                    expected: Precondition | None) -> Employer:
    """Change an employer at the version the caller read; names stay unique once folded."""
    return _update_named(sess, actor, Employer, employer_id, data, expected, "employer")


def update_provider(sess: Session, actor: User, provider_id: int, data: dict[str, Any], *,
                    expected: Precondition | None) -> ServiceProvider:
    """Change a service provider at the version the caller read; names stay unique once folded."""
    return _update_named(sess, actor, ServiceProvider, provider_id, data, expected,
                         "service_provider")
