"""Organisations: offices, employers and service providers."""

from journey.core.domains import Domain
from journey.core.policy import STAFF, Role
from journey.organisations.models import Employer, Office, OfficeHoliday, ServiceProvider
from journey.organisations.routes import blp

DOMAIN = Domain(
    name="organisations",
    api_blueprints=(blp,),
    models=(Office, OfficeHoliday, Employer, ServiceProvider),
    permissions={
        "offices:read": STAFF,
        "offices:manage": frozenset({Role.ADMIN}),
        "organisations:read": frozenset(Role),
        "organisations:manage": frozenset({Role.ADMIN}),
    },
)
