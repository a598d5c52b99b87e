"""Passwords: a user changes their own; an admin makes a one-time reset link.

A reset link carries a 256-bit random token; only its SHA-256 is stored, so the database never
holds a usable link. Making a new link supersedes the user's older ones. Using one sets the
password, marks the link used and cuts off every session and token of the user.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.accounts.models import PasswordReset
from journey.accounts.passwords import strength_errors
from journey.accounts.services import cut_off, void_reset_links
from journey.core import audit
from journey.core.audit import AuditEvent
from journey.core.auth import (
    User,
    current_session_id,
    hash_password,
    token_digest,
    verify_password,
)
from journey.core.db import db, utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound, ProblemError, TooManyRequests
from journey.core.i18n import _

logger = logging.getLogger(__name__)

# The audit action that counts wrong current passwords (an action tag, not a secret).
WRONG_PASSWORD = "accounts:password:wrong_current"  # noqa: S105


class LinkUnusable(ProblemError):
    """A reset link that was used, expired or replaced: 410, with why (``reason``)."""

    status, code = 410, "reset-link-unusable"

    def __init__(self, reason: str) -> None:
        super().__init__(_("This link no longer works."), extra={"reason": reason})
        self.reason = reason


# --- one-time reset links ----------------------------------------------------------------------

def create_reset_link(sess: Session, actor_id: int | None, user: User) -> tuple[PasswordReset, str]:
    """A new one-time link for the user (older ones stop working); the token is returned once."""
    if not user.is_active:
        raise Conflict(_("Reactivate this user before making a reset link."), code="user-inactive")
    void_reset_links(sess, user)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    reset = PasswordReset(user_id=user.id, token_hash=token_digest(token), created_by=actor_id,
                          created_at=now,
                          expires_at=now + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"]))
    sess.add(reset)
    sess.flush()
    audit.record(sess, "accounts:password_reset:create", actor_id=actor_id,
                 object_type="password_reset", object_id=reset.id, office_id=user.office_id,
                 user_id=user.id, hours=current_app.config["PASSWORD_RESET_HOURS"])
    return reset, token


def reset_url(token: str) -> str:
    """The public reset page's address for a token, on PUBLIC_BASE_URL (never the request's Host
    header, which a client chooses)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/password/reset/{token}"


def resolve_reset_link(sess: Session, token: str) -> tuple[PasswordReset, User]:
    """The open link and its user: 404 for a token never made, 410 (LinkUnusable) otherwise."""
    if not token or len(token) > 200 or "\x00" in token:
        raise NotFound(_("No such link."))
    reset = sess.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == token_digest(token)))
    if reset is None:
        raise NotFound(_("No such link."))
    user = sess.get(User, reset.user_id)
    if reset.used_at is not None:
        raise LinkUnusable("used")
    if reset.superseded_at is not None or user is None or not user.is_active:
        raise LinkUnusable("superseded")
    if reset.expires_at <= utcnow():
        raise LinkUnusable("expired")
    return reset, user


def use_reset_link(sess: Session, token: str, password: str) -> User:
    """Set the user's new password through the link; cut off all their sessions and tokens."""
    reset, user = resolve_reset_link(sess, token)
    errors = strength_errors("password", password, (user.username, user.full_name, user.email))
    if errors:
        raise InvalidInput(errors=errors)
    now = utcnow()
    # A compare-and-set: two submissions of one link cannot both set a password.
    used = sess.execute(sa.update(PasswordReset).where(
        PasswordReset.id == reset.id, PasswordReset.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise LinkUnusable("used")
    user.password_hash = hash_password(password)
    sess.flush()
    cut_off(sess, user, None, reason="password-reset")
    audit.record(sess, "accounts:password_reset:use", actor_id=user.id,
                 object_type="password_reset", object_id=reset.id, office_id=user.office_id,
                 user_id=user.id)
    logger.info("user %s set a new password through reset link %s", user.id, reset.id)
    return user


# --- a user changes their own password ----------------------------------------------------------

def _recent_wrong_attempts(sess: Session, user: User) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return sess.scalar(select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == WRONG_PASSWORD, AuditEvent.object_type == "user",
        AuditEvent.object_id == user.id, AuditEvent.occurred_at >= since))


def _record_wrong_attempt(user_id: int, office_id: int | None) -> None:
    # In its own transaction: the request's 422 rolls back, and the count must survive it.
    with db.job_session() as s:
        audit.record(s, WRONG_PASSWORD, actor_id=user_id, object_type="user", object_id=user_id,
                     office_id=office_id)


def change_password(sess: Session, user: User, current: str, new: str) -> int:
    """Change your own password; ends your other sessions and tokens. Returns how many ended.

    Wrong current passwords are counted per user (in the audit log): after LOGIN_MAX_FAILURES in
    LOGIN_WINDOW_SECONDS, 429, so a borrowed session cannot guess its way to a new password.
    """
    cfg = current_app.config
    if _recent_wrong_attempts(sess, user) >= cfg["LOGIN_MAX_FAILURES"]:
        raise TooManyRequests(_("Too many wrong passwords; try again later."),
                              headers={"Retry-After": str(cfg["LOGIN_WINDOW_SECONDS"])})
    if not verify_password(user, current):
        user_id, office_id = user.id, user.office_id
        sess.rollback()
        _record_wrong_attempt(user_id, office_id)
        raise InvalidInput(errors=[{"field": "current_password", "code": "wrong-password",
                                    "message": _("This is not your current password.")}])
    if new == current:
        raise InvalidInput(errors=[{"field": "new_password", "code": "unchanged",
                                    "message": _("Choose a password different from the current one.")}])
    errors = strength_errors("new_password", new, (user.username, user.full_name, user.email))
    if errors:
        raise InvalidInput(errors=errors)
    user.password_hash = hash_password(new)
    sess.flush()
    # The session or token making this request stays; every other one ends.
    ended = cut_off(sess, user, user.id, reason="password-changed",
                    keep_session_id=current_session_id(), keep_token_id=g.get("api_token_id"))
    audit.record(sess, "accounts:password:change", actor_id=user.id, object_type="user",
                 object_id=user.id, office_id=user.office_id, ended=ended)
    return ended

