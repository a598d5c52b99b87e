"""Accounts: API tokens, server-side sessions, the second factor, user management and password
resets (users, api_tokens and user_sessions are defined in journey.core.auth, which reads them on
every request)."""

from flask import Flask

from journey.accounts import sessions_cli  # noqa: F401  (adds `journey users sessions` and co.)
from journey.accounts.cli import users_group
from journey.accounts.models import PasswordReset
from journey.accounts.pages import bp as pages_bp
from journey.accounts.routes import blp
from journey.accounts.security_pages import bp as security_pages
from journey.accounts.totp import RoleSecurity, UserTotp, second_factor
from journey.accounts.users_routes import blp as users_blp
from journey.core.auth import UserSession
from journey.core.domains import Category, Domain, NavLink, PersonalData
from journey.core.i18n import _l
from journey.core.policy import Role


def _init_app(app: Flask) -> None:
    # journey.core.auth asks this what a right password still owes (a code, an enrolment).
    app.extensions["journey_second_factor"] = second_factor


DOMAIN = Domain(
    name="accounts",
    nav_links=(NavLink("account_pages.users", _l("Users"), "users:manage", 80),),
    api_blueprints=(blp, users_blp),
    page_blueprints=(pages_bp, security_pages),
    models=(UserSession, UserTotp, RoleSecurity, PasswordReset),
    commands=(users_group,),
    permissions={"users:manage": frozenset({Role.ADMIN})},
    personal_data=(
        PersonalData("user_sessions", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="when each staff member signed in and the browser family; no address"),
        PersonalData("user_totp", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="a login secret (to be encrypted at rest), never exported"),
        PersonalData("password_resets", (Category.IDENTITY,), ("user_id",), subject="staff",
                     note="when an admin made a reset link for a user; the link itself is "
                          "stored only as a hash"),
    ),
    init_app=_init_app,
)
