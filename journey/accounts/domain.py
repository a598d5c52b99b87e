"""Accounts: API tokens, server-side sessions, user management and password resets (users,
api_tokens and user_sessions are defined in journey.core.auth, which reads them on every request)."""

from journey.accounts.cli import users_group
from journey.accounts.models import PasswordReset
from journey.accounts.pages import bp as pages_bp
from journey.accounts.routes import blp
from journey.accounts.users_routes import blp as users_blp
from journey.core.auth import UserSession
from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import Role

DOMAIN = Domain(
    name="accounts",
    api_blueprints=(blp, users_blp),
    page_blueprints=(pages_bp,),
    models=(UserSession, PasswordReset),
    commands=(users_group,),
    permissions={"users:manage": frozenset({Role.ADMIN})},
    personal_data=(
        PersonalData("user_sessions", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="when each staff member signed in and the browser family; no address"),
        PersonalData("password_resets", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="when an admin made a reset link for a user; the link itself is "
                          "stored only as a hash"),
    ),
)
