"""Account services: create, edit, deactivate and reactivate users; issue and revoke tokens.

Passwords (change, one-time reset links) are in journey.accounts.resets.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.accounts.models import DeactivationReason, PasswordReset, ReactivationReason
from journey.accounts.passwords import strength_errors
from journey.accounts.sessions import end_sessions, revoke_tokens
from journey.core import audit
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, User, hash_password, issue_token, validate_affiliation
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _
from journey.core.policy import Role, allowed
from journey.core.versions import Precondition, check_version
from journey.organisations.models import Employer, Office, ServiceProvider

logger = logging.getLogger(__name__)

# The fields an admin edits on an existing user (PATCH /users/<id>, the user's admin page).
EDITABLE = ("full_name", "email", "role", "office_id", "employer_id", "provider_id", "language")


def _affiliation_errors(sess: Session, data: dict[str, Any]) -> list[dict[str, str]]:
    errors = validate_affiliation(data["role"], data.get("office_id"), data.get("employer_id"),
                                  data.get("provider_id"))
    for field, model in (("office_id", Office), ("employer_id", Employer),
                         ("provider_id", ServiceProvider)):
        if data.get(field) is not None and sess.get(model, data[field]) is None:
            errors.append({"field": field, "code": "not-found", "message": _("Does not exist.")})
    return errors


def _affiliation(role: Role, data: dict[str, Any]) -> dict[str, int | None]:
    """Only the affiliation the role has: a caseworker made admin leaves their office."""
    return {
        "office_id": data.get("office_id") if role in (Role.SUPERVISOR, Role.CASEWORKER) else None,
        "employer_id": data.get("employer_id") if role == Role.EMPLOYER else None,
        "provider_id": data.get("provider_id") if role == Role.PARTNER else None,
    }


def create_user(sess: Session, actor_id: int | None, data: dict[str, Any]) -> User:
    """Create a user with a hashed password and the affiliation their role needs."""
    errors = _affiliation_errors(sess, data)
    if errors:
        raise InvalidInput(errors=errors)
    # After the other fields: the user's own name and email are part of the check.
    errors = strength_errors("password", data["password"],
                             (data["username"], data["full_name"], data.get("email")))
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
        **_affiliation(role, data),
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


# --- editing, deactivating, reactivating -----------------------------------------------------

def user_version(user: User) -> int:
    """The version of a user's editable state, for If-Match and the edit form.

    The users table has no version column (it belongs to journey.core.auth); a fingerprint of
    the fields an edit can change refuses an edit made on a stale read just as well: any change
    since the read changes the number.
    """
    state = "\x1f".join(str(getattr(user, name)) for name in (*EDITABLE, "is_active"))
    return int.from_bytes(hashlib.sha256(state.encode()).digest()[:4], "big") % (2**31 - 2) + 1


def load_user(sess: Session, user_id: int) -> User:
    user = sess.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def _active_admins(sess: Session) -> int:
    return sess.scalar(select(sa.func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.is_active.is_(True)))


def _refuse_last_admin(sess: Session, user: User) -> None:
    if user.role == Role.ADMIN.value and user.is_active and _active_admins(sess) <= 1:
        raise Conflict(_("This is the last active admin; make another admin first."),
                       code="last-admin")


def update_user(sess: Session, actor: User, user: User, data: dict[str, Any],
                expected: Precondition | None) -> User:
    """Change a user's name, email, language, role or affiliation (admins)."""
    check_version(user_version(user), expected,
                  _("Someone changed this user meanwhile; reload and edit again."))
    merged = {name: data.get(name, getattr(user, name)) for name in EDITABLE}
    errors = _affiliation_errors(sess, merged)
    if errors:
        raise InvalidInput(errors=errors)
    role = Role(merged["role"])
    if role != Role(user.role):
        if user.id == actor.id:
            raise Conflict(_("You cannot change your own role."), code="own-role")
        _refuse_last_admin(sess, user)
    merged.update(_affiliation(role, merged))
    merged["full_name"] = merged["full_name"].strip()
    changed = sorted(name for name in EDITABLE if getattr(user, name) != merged[name])
    for name in changed:
        setattr(user, name, merged[name])
    if changed:
        sess.flush()
        audit.record(sess, "accounts:user:update", actor_id=actor.id, object_type="user",
                     object_id=user.id, office_id=user.office_id, fields=changed, role=user.role)
    return user


def cut_off(sess: Session, user: User, actor_id: int | None, *, reason: str,
            keep_session_id: int | None = None, keep_token_id: int | None = None) -> int:
    """End the user's server-side sessions and revoke their tokens at once (but the ones to
    keep); return how many ended."""
    ended = end_sessions(sess, user.id, reason=reason, keep_id=keep_session_id, actor_id=actor_id)
    return ended + revoke_tokens(sess, user.id, actor_id=actor_id, keep_id=keep_token_id)


def void_reset_links(sess: Session, user: User) -> None:
    """Stop every open reset link of the user (a newer link, or a deactivation)."""
    sess.execute(sa.update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
        PasswordReset.superseded_at.is_(None)).values(superseded_at=utcnow())
        .execution_options(synchronize_session=False))


def deactivate_user(sess: Session, actor: User | None, user: User, reason: str) -> User:
    """Stop a user from logging in, and cut off their sessions and tokens at once."""
    reason = DeactivationReason(reason).value
    if actor is not None and user.id == actor.id:
        raise Conflict(_("You cannot deactivate yourself."), code="cannot-deactivate-self")
    if not user.is_active:
        raise Conflict(_("This user is already deactivated."), code="already-inactive")
    _refuse_last_admin(sess, user)
    user.is_active = False
    sess.flush()
    actor_id = actor.id if actor else None
    cut_off(sess, user, actor_id, reason="deactivated")
    void_reset_links(sess, user)
    audit.record(sess, "accounts:user:deactivate", actor_id=actor_id, object_type="user",
                 object_id=user.id, office_id=user.office_id, reason=reason)
    logger.info("user %s deactivated by %s (%s)", user.id, actor_id, reason)
    return user


def reactivate_user(sess: Session, actor: User | None, user: User, reason: str) -> User:
    """Let a deactivated user log in again (with their old password, or a reset link)."""
    reason = ReactivationReason(reason).value
    if user.is_active:
        raise Conflict(_("This user is already active."), code="already-active")
    user.is_active = True
    sess.flush()
    actor_id = actor.id if actor else None
    audit.record(sess, "accounts:user:reactivate", actor_id=actor_id, object_type="user",
                 object_id=user.id, office_id=user.office_id, reason=reason)
    logger.info("user %s reactivated by %s", user.id, actor_id)
    return user


def last_deactivation(sess: Session, user: User) -> str | None:
    """The reason code of the user's last deactivation, from the audit log."""
    event = sess.scalars(select(AuditEvent).where(
        AuditEvent.action == "accounts:user:deactivate", AuditEvent.object_type == "user",
        AuditEvent.object_id == user.id).order_by(AuditEvent.id.desc()).limit(1)).first()
    return (event.details or {}).get("reason") if event is not None else None
