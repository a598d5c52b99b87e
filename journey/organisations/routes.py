"""Offices, employers and service providers: load through a schema, call one service, dump."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.organisations import services
from journey.organisations.schemas import EmployerSchema, OfficeSchema, ServiceProviderSchema

blp = Blueprint("organisations", __name__, url_prefix="",
                description="Offices, employers and service providers.")


@blp.get("/offices", permission="offices:read")
@blp.response(200, OfficeSchema(many=True))
def list_offices():
    """Migrant resource centres."""
    return services.list_offices(db.session, current_user())


@blp.post("/offices", permission="offices:manage")
@blp.arguments(OfficeSchema)
@blp.response(201, OfficeSchema)
@blp.alt_response(409, description="The code is taken; existing_id names the office.")
def create_office(data):
    """Open an office (admins)."""
    return services.create_office(db.session, current_user(), data)


@blp.get("/employers", permission="organisations:read")
@blp.response(200, EmployerSchema(many=True))
def list_employers():
    """Employers taking part in programmes."""
    return services.list_employers(db.session, current_user())


@blp.post("/employers", permission="organisations:manage")
@blp.arguments(EmployerSchema)
@blp.response(201, EmployerSchema)
@blp.alt_response(409, description="The name is taken (ignoring case, width and spacing); "
                                    "existing_id names the employer.")
def create_employer(data):
    """Add an employer (admins)."""
    return services.create_employer(db.session, current_user(), data)


@blp.get("/service-providers", permission="organisations:read")
@blp.response(200, ServiceProviderSchema(many=True))
def list_providers():
    """Partner agencies that receive referrals."""
    return services.list_providers(db.session, current_user())


@blp.post("/service-providers", permission="organisations:manage")
@blp.arguments(ServiceProviderSchema)
@blp.response(201, ServiceProviderSchema)
@blp.alt_response(409, description="The name is taken (ignoring case, width and spacing); "
                                    "existing_id names the provider.")
def create_provider(data):
    """Add a service provider (admins)."""
    return services.create_provider(db.session, current_user(), data)
