"""Authentication (API tokens, second factor), sessions, and user administration."""

from __future__ import annotations

import functools

from flask import current_app, g
from sqlmodel import select

from journey.accounts import services, sessions, totp
from journey.accounts.schemas import (
    IssuedTokenSchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from journey.accounts.security_schemas import (
    AdminEndAllSchema,
    EndedSchema,
    OtpSchema,
    RoleSecuritySchema,
    RoleSecurityUpdateSchema,
    SignOutEverywhereSchema,
    TotpEnrolmentSchema,
    UserSessionSchema,
)
from journey.core.api import Blueprint
from journey.core.auth import (
    ApiToken,
    User,
    authenticate,
    current_user,
    login_succeeded,
    second_factor,
)
from journey.core.db import db
from journey.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from journey.core.i18n import _
from journey.core.policy import Role

blp = Blueprint("accounts", __name__, url_prefix="",
                description="Tokens, sessions, the second factor and users.")


def _signed_in(view):
    """Authenticate (401) before the body is read, as `permission=` does for other routes."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_user(db.session)
        return view(*args, **kwargs)

    return wrapper


@blp.post("/auth/tokens")
@blp.arguments(TokenRequestSchema)
@blp.response(201, IssuedTokenSchema)
@blp.alt_response(401, description="Wrong credentials, or a code is needed (otp-required) "
                                   "or wrong (otp-invalid).")
@blp.alt_response(403, description="The role requires a second factor the user has not set up "
                                   "(otp-enrolment-required): do so on the account page.")
@blp.alt_response(429, description="Too many failed attempts.")
def create_token(data):
    """Exchange a username, password and (once set up) a TOTP code for an API token (shown once)."""
    sess = db.session
    user = authenticate(sess, data["username"], data["password"])
    owed = second_factor(sess, user)
    if owed == totp.AWAIT_ENROLMENT:
        raise Forbidden(_("Your role requires a second factor: set it up on your account page "
                          "first."), code="otp-enrolment-required")
    if owed == totp.AWAIT_CODE:
        if not data.get("otp"):
            raise Unauthorized(_("Enter the code from your authenticator app."),
                               code="otp-required")
        try:
            totp.check_code(sess, user, data["otp"], purpose="login")
        except InvalidInput as err:
            raise Unauthorized(err.detail, code="otp-invalid") from err
    login_succeeded(sess, user, second_factor=owed is not None)
    days = data.get("expires_in_days") or current_app.config["TOKEN_DEFAULT_DAYS"]
    token, secret = services.create_token(sess, user, data["name"], days)
    return {**token.model_dump(), "token": secret}


@blp.get("/auth/tokens")
@blp.response(200, TokenSchema(many=True))
def list_tokens():
    """Your tokens (never their secrets)."""
    sess = db.session
    user = current_user(sess)
    return sess.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                        .order_by(ApiToken.id)).all()


@blp.delete("/auth/tokens/<id:token_id>")
@blp.response(204)
def revoke_token(token_id: int):
    """Revoke a token at once."""
    services.revoke_token(db.session, current_user(), token_id)


@blp.get("/auth/me")
@blp.response(200, UserSchema)
def me():
    """Who the token belongs to."""
    return current_user(db.session)


# --- your sessions and second factor ------------------------------------------------------------

@blp.get("/auth/sessions")
@blp.response(200, UserSessionSchema(many=True))
def list_my_sessions():
    """Your live browser sessions (the pages' logins)."""
    sess = db.session
    return sessions.list_sessions(sess, current_user(sess).id)


@blp.delete("/auth/sessions/<id:session_id>")
@blp.response(204)
def end_my_session(session_id: int):
    """End one of your sessions at once."""
    sess = db.session
    user = current_user(sess)
    sessions.end_one_session(sess, user, user.id, session_id)


@blp.post("/auth/sessions/end-all")
@_signed_in
@blp.arguments(SignOutEverywhereSchema)
@blp.response(200, EndedSchema)
def sign_out_everywhere(data):
    """Sign out everywhere: end all your sessions and revoke your tokens (but the one in use,
    unless keep_current is false)."""
    sess = db.session
    user = current_user(sess)
    keep = g.get("api_token_id") if data["keep_current"] else None
    ended, revoked = sessions.sign_out_everywhere(sess, user, keep_token_id=keep)
    return {"sessions": ended, "tokens": revoked}


@blp.post("/auth/totp")
@blp.response(201, TotpEnrolmentSchema)
@blp.alt_response(409, description="A second factor is already set up.")
def start_totp():
    """Start setting up a TOTP second factor: the secret, shown until it is confirmed."""
    sess = db.session
    user = current_user(sess)
    row = totp.start_enrolment(sess, user)
    return {"secret": row.secret, "uri": totp.provisioning_uri(user, row)}


@blp.post("/auth/totp/confirm")
@_signed_in
@blp.arguments(OtpSchema)
@blp.response(204)
@blp.alt_response(429, description="Too many wrong codes; wait and try again.")
def confirm_totp(data):
    """Confirm the second factor with a code from it; from then on logins need a code."""
    sess = db.session
    totp.confirm_enrolment(sess, current_user(sess), data["otp"])


@blp.post("/auth/totp/disable")
@_signed_in
@blp.arguments(OtpSchema)
@blp.response(204)
@blp.alt_response(429, description="Too many wrong codes; wait and try again.")
def disable_totp(data):
    """Turn your second factor off, with a current code."""
    sess = db.session
    totp.disable(sess, current_user(sess), data["otp"])


# --- users (admins) -----------------------------------------------------------------------------

@blp.get("/users", permission="users:manage")
@blp.response(200, UserSchema(many=True))
def list_users():
    """Every user (admins)."""
    return db.session.scalars(select(User).order_by(User.id)).all()


@blp.post("/users", permission="users:manage")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data):
    """Create a user (admins)."""
    return services.create_user(db.session, current_user().id, data)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


@blp.get("/users/<id:user_id>/tokens", permission="users:manage")
@blp.response(200, TokenSchema(many=True))
def list_user_tokens(user_id: int):
    """A user's API tokens, revoked ones too (admins; revoke with DELETE /auth/tokens/{id})."""
    return sessions.list_tokens(db.session, _user(user_id).id)


@blp.get("/users/<id:user_id>/sessions", permission="users:manage")
@blp.response(200, UserSessionSchema(many=True))
def list_user_sessions(user_id: int):
    """A user's live sessions (admins)."""
    return sessions.list_sessions(db.session, _user(user_id).id)


@blp.delete("/users/<id:user_id>/sessions/<id:session_id>", permission="users:manage")
@blp.response(204)
def end_user_session(user_id: int, session_id: int):
    """End one of a user's sessions at once (admins)."""
    sessions.end_one_session(db.session, current_user(), _user(user_id).id, session_id)


@blp.post("/users/<id:user_id>/sessions/end-all", permission="users:manage")
@blp.arguments(AdminEndAllSchema)
@blp.response(200, EndedSchema)
def end_user_sessions(data, user_id: int):
    """End all of a user's sessions and (unless revoke_tokens is false) revoke their tokens."""
    sess = db.session
    user, actor = _user(user_id), current_user()
    ended = sessions.end_sessions(sess, user.id, reason="revoked", actor_id=actor.id)
    revoked = sessions.revoke_tokens(sess, user.id, actor_id=actor.id) if data[
        "revoke_tokens"] else 0
    return {"sessions": ended, "tokens": revoked}


@blp.get("/security/roles/<role>", permission="users:manage")
@blp.response(200, RoleSecuritySchema)
def get_role_security(role: str):
    """What a role's logins require (admins)."""
    return {"role": _role(role), "require_totp": totp.role_rules(db.session)[role]}


@blp.delete("/users/<id:user_id>/totp", permission="users:manage")
@blp.response(204)
def reset_user_totp(user_id: int):
    """Remove a user's second factor, e.g. after a lost phone (admins): their sessions and tokens
    end, and their next login sets a new one up where their role requires it."""
    if not totp.reset_by_admin(db.session, current_user().id, _user(user_id)):
        raise NotFound(_("This user has no second factor."))


@blp.put("/security/roles/<role>", permission="users:manage")
@blp.arguments(RoleSecurityUpdateSchema)
@blp.response(200, RoleSecuritySchema)
def put_role_security(data, role: str):
    """Require (or stop requiring) a TOTP second factor of a role's logins (admins). Users of the
    role without one are sent to set it up right after their password."""
    row = totp.set_role_rule(db.session, current_user(), _role(role), data["require_totp"])
    return {"role": row.role, "require_totp": row.require_totp}


def _role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise NotFound(_("No such role."))
    return role
