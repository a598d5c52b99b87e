"""Offices, employers and service providers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from journey.core import audit
from journey.core.api import Blueprint
from journey.core.auth import current_user, requires
from journey.core.db import db, utcnow
from journey.core.errors import Conflict
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.organisations.schemas import EmployerSchema, OfficeSchema, ServiceProviderSchema

blp = Blueprint("organisations", __name__, url_prefix="",
                description="Offices, employers and service providers.")


def _create(model, data: dict, unique_field: str, tag: str):
    sess = db.session
    user = current_user(sess)
    column = getattr(model, unique_field)
    if sess.scalar(select(model.id).where(sa.func.lower(column) == data[unique_field].lower())):
        raise Conflict(f"That {unique_field} is already used.", code=f"{unique_field}-taken")
    obj = model(**data, created_at=utcnow())
    sess.add(obj)
    sess.flush()
    audit.record(sess, f"organisations:{tag}:create", actor_id=user.id, object_type=tag,
                 object_id=obj.id)
    return obj


@blp.get("/offices")
@requires("offices:read")
@blp.response(200, OfficeSchema(many=True))
def list_offices():
    """Migrant resource centres."""
    return db.session.scalars(select(Office).order_by(Office.name)).all()


@blp.post("/offices")
@requires("offices:manage")
@blp.arguments(OfficeSchema)
@blp.response(201, OfficeSchema)
def create_office(data):
    """Open an office (admins)."""
    return _create(Office, data, "code", "office")


@blp.get("/employers")
@requires("organisations:read")
@blp.response(200, EmployerSchema(many=True))
def list_employers():
    """Employers taking part in programmes."""
    return db.session.scalars(select(Employer).order_by(Employer.name)).all()


@blp.post("/employers")
@requires("organisations:manage")
@blp.arguments(EmployerSchema)
@blp.response(201, EmployerSchema)
def create_employer(data):
    """Add an employer (admins)."""
    return _create(Employer, data, "name", "employer")


@blp.get("/service-providers")
@requires("organisations:read")
@blp.response(200, ServiceProviderSchema(many=True))
def list_providers():
    """Partner agencies that receive referrals."""
    return db.session.scalars(select(ServiceProvider).order_by(ServiceProvider.name)).all()


@blp.post("/service-providers")
@requires("organisations:manage")
@blp.arguments(ServiceProviderSchema)
@blp.response(201, ServiceProviderSchema)
def create_provider(data):
    """Add a service provider (admins)."""
    return _create(ServiceProvider, data, "name", "service_provider")
