"""Account services: create users, issue and revoke tokens."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import ApiToken, User, hash_password, issue_token, validate_affiliation
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _
from journey.core.policy import Role, allowed
from journey.organisations.models import Employer, Office, ServiceProvider


def create_user(sess: Session, actor_id: int | None, data: dict[str, Any]) -> User:
    """Create a user with a hashed password and the affiliation their role needs."""
    errors = validate_affiliation(data["role"], data.get("office_id"), data.get("employer_id"),
                                  data.get("provider_id"))
    for field, model in (("office_id", Office), ("employer_id", Employer),
                         ("provider_id", ServiceProvider)):
        if data.get(field) is not None and sess.get(model, data[field]) is None:
            errors.append({"field": field, "code": "not-found", "message": _("Does not exist.")})
    if errors:
        raise InvalidInput(errors=errors)
    exists = sess.scalar(select(User.id).where(
        sa.func.lower(User.username) == data["username"].lower()))
    if exists:
        raise Conflict(_("That username is taken."), code="username-taken")
    role = Role(data["role"])
    user = User(
        username=data["username"],
        full_name=data["full_name"].strip(),
        email=data.get("email"),
        role=role.value,
        office_id=data.get("office_id") if role in (Role.SUPERVISOR, Role.CASEWORKER) else None,
        employer_id=data.get("employer_id") if role == Role.EMPLOYER else None,
        provider_id=data.get("provider_id") if role == Role.PARTNER else None,
        language=data.get("language", "en"),
        password_hash=hash_password(data["password"]),
        created_at=utcnow(),
    )
    sess.add(user)
    sess.flush()
    audit.record(sess, "accounts:user:create", actor_id=actor_id, object_type="user",
                 object_id=user.id, office_id=user.office_id, role=user.role)
    return user


def create_token(sess: Session, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    token, secret = issue_token(sess, user, name, days)
    audit.record(sess, "accounts:token:create", actor_id=user.id, object_type="api_token",
                 object_id=token.id, days=days)
    return token, secret


def revoke_token(sess: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke one of your own tokens (admins may revoke anyone's)."""
    token = sess.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not allowed(actor, "users:manage")):
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(sess, "accounts:token:revoke", actor_id=actor.id, object_type="api_token",
                     object_id=token.id)
    return token
