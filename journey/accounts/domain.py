"""Accounts: API tokens, server-side sessions and user management (users, api_tokens and
user_sessions are defined in journey.core.auth, which reads them on every request)."""

from journey.accounts.cli import users_group
from journey.accounts.routes import blp
from journey.core.auth import UserSession
from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import Role

DOMAIN = Domain(
    name="accounts",
    api_blueprints=(blp,),
    models=(UserSession,),
    commands=(users_group,),
    permissions={"users:manage": frozenset({Role.ADMIN})},
    personal_data=(
        PersonalData("user_sessions", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="when each staff member signed in and the browser family; no address"),
    ),
)
