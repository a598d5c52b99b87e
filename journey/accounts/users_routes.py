"""User lifecycle endpoints: read and edit a user, deactivate and reactivate, reset links, and
changing your own password. Thin: load through a schema, call one service, dump a schema."""

from __future__ import annotations

import functools

from journey.accounts import resets, services
from journey.accounts.schemas import (
    DeactivateSchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    ReactivateSchema,
    ResetLinkSchema,
    UserSchema,
    UserUpdateSchema,
)
from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition

blp = Blueprint("users", __name__, url_prefix="",
                description="User accounts: editing, deactivation, passwords.")


def _signed_in(view):
    """Authenticate (401) before the body is read, as `permission=` does for role checks."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return wrapper


def _etag(user) -> dict[str, str]:
    return {"ETag": f'"{services.user_version(user)}"'}


@blp.get("/users/<id:user_id>", permission="users:manage")
@blp.response(200, UserSchema)
def get_user(user_id: int):
    """One user (admins); the ETag is the version to send back when editing."""
    user = services.load_user(db.session, user_id)
    return user, _etag(user)


@blp.patch("/users/<id:user_id>", permission="users:manage")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@blp.alt_response(412, description="The version you sent is stale.")
def update_user(data, user_id: int):
    """Change a user's name, email, language, role or affiliation, at the version you read."""
    sess = db.session
    expected = precondition(data)
    user = services.update_user(sess, current_user(sess), services.load_user(sess, user_id),
                                data, expected)
    return user, _etag(user)


@blp.post("/users/<id:user_id>/deactivate", permission="users:manage")
@blp.arguments(DeactivateSchema)
@blp.response(200, UserSchema)
@blp.alt_response(409, description="Yourself, the last active admin, or already inactive.")
def deactivate_user(data, user_id: int):
    """Stop a user logging in; their sessions and tokens end at once."""
    sess = db.session
    return services.deactivate_user(sess, current_user(sess), services.load_user(sess, user_id),
                                    data["reason"])


@blp.post("/users/<id:user_id>/reactivate", permission="users:manage")
@blp.arguments(ReactivateSchema)
@blp.response(200, UserSchema)
@blp.alt_response(409, description="Already active.")
def reactivate_user(data, user_id: int):
    """Let a deactivated user log in again."""
    sess = db.session
    return services.reactivate_user(sess, current_user(sess), services.load_user(sess, user_id),
                                    data["reason"])


@blp.post("/users/<id:user_id>/password-reset", permission="users:manage")
@blp.response(201, ResetLinkSchema)
@blp.alt_response(409, description="The user is deactivated.")
def create_reset_link(user_id: int):
    """A one-time link for the user to set a new password, shown once (older links stop)."""
    sess = db.session
    user = services.load_user(sess, user_id)
    reset, token = resets.create_reset_link(sess, current_user(sess).id, user)
    return {"id": reset.id, "user_id": user.id, "expires_at": reset.expires_at,
            "url": resets.reset_url(token)}


@blp.post("/auth/password")
@_signed_in
@blp.arguments(PasswordChangeSchema)
@blp.response(200, PasswordChangedSchema)
@blp.alt_response(422, description="Wrong current password, or a weak new one.")
@blp.alt_response(429, description="Too many wrong current passwords.")
def change_password(data):
    """Change your own password; your other sessions and tokens end (not this one)."""
    sess = db.session
    ended = resets.change_password(sess, current_user(sess), data["current_password"],
                                   data["new_password"])
    return {"ended": ended}
