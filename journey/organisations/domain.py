"""Organisations: offices, employers and service providers."""

from journey.core.domains import Domain, NavLink
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.organisations.pages import bp as pages_bp
from journey.organisations.routes import blp

DOMAIN = Domain(
    name="organisations",
    nav_links=(NavLink("organisation_pages.admin_index", _l("Administration"), "offices:manage",
                       95),),
    api_blueprints=(blp,),
    page_blueprints=(pages_bp,),
    models=(Office, Employer, ServiceProvider),
    permissions={
        "offices:read": STAFF,
        "offices:manage": frozenset({Role.ADMIN}),
        "organisations:read": frozenset(Role),
        "organisations:manage": frozenset({Role.ADMIN}),
    },
)
