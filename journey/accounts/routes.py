"""Authentication (API tokens) and user administration."""

from __future__ import annotations

from flask import current_app
from sqlmodel import select

from journey.accounts import services
from journey.accounts.schemas import (
    IssuedTokenSchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from journey.core.api import Blueprint
from journey.core.auth import ApiToken, User, authenticate, current_user, login_succeeded
from journey.core.db import db

blp = Blueprint("accounts", __name__, url_prefix="", description="Tokens and users.")


@blp.post("/auth/tokens")
@blp.arguments(TokenRequestSchema)
@blp.response(201, IssuedTokenSchema)
@blp.alt_response(401, description="Wrong credentials.")
@blp.alt_response(429, description="Too many failed attempts.")
def create_token(data):
    """Exchange a username and password for an API token (shown once)."""
    sess = db.session
    user = authenticate(sess, data["username"], data["password"])
    login_succeeded(sess, user)
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
