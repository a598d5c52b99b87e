"""Accounts: API tokens and user management (the tables live in journey.core.auth)."""

from journey.accounts.cli import users_group
from journey.accounts.routes import blp
from journey.core.domains import Domain
from journey.core.policy import Role

DOMAIN = Domain(
    name="accounts",
    api_blueprints=(blp,),
    commands=(users_group,),
    permissions={"users:manage": frozenset({Role.ADMIN})},
)
