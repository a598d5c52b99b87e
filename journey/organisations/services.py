"""Offices, employers and service providers: list and create. They never commit."""

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
from journey.core.errors import Conflict
from journey.core.policy import require
from journey.core.unique import insert_unique
from journey.organisations.models import (
    Employer,
    NamedOrganisation,
    Office,
    ServiceProvider,
    organisation_key,
)

logger = logging.getLogger(__name__)


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
