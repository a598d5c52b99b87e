"""TOTP second factor (RFC 6238, pyotp): enrolment, checking a code once, and per-role rules.

A code is accepted for the current 30-second step or one either side (clock drift), and only for
a step later than the last one used, so a code seen over someone's shoulder cannot be replayed.
Failed codes count as failed logins of the (username, address) pair: the same back-off applies.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, select

from journey.accounts.sessions import end_sessions, revoke_tokens
from journey.core import audit
from journey.core.auth import User, check_login_allowed, record_login_failure
from journey.core.crypto import EncryptedText
from journey.core.db import UTCDateTime, enum_check, utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _
from journey.core.policy import Role

logger = logging.getLogger(__name__)

AWAIT_CODE = "otp"
AWAIT_ENROLMENT = "otp-enrolment"


class UserTotp(SQLModel, table=True):
    """A user's TOTP secret; confirmed_at is set once they have entered a code from it."""

    __tablename__ = "user_totp"

    user_id: int = Field(foreign_key="users.id", primary_key=True, sa_column_kwargs={
        "autoincrement": False})
    # Whoever reads it can make codes: encrypted at rest like participants' sensitive columns.
    secret: str = Field(sa_type=EncryptedText("user_totp.secret"))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last time step whose code was accepted; only later steps are accepted after it.
    last_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class RoleSecurity(SQLModel, table=True):
    """What an admin requires of a role's logins (a missing row requires nothing extra)."""

    __tablename__ = "role_security"
    __table_args__ = (enum_check("role", Role),)

    role: str = Field(max_length=20, primary_key=True)
    require_totp: bool = Field(default=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_by: int | None = Field(default=None, foreign_key="users.id")


def confirmed(sess: Session, user_id: int) -> UserTotp | None:
    """The user's confirmed TOTP, or None when they have not enrolled."""
    row = sess.get(UserTotp, user_id)
    return row if row is not None and row.confirmed_at is not None else None


def role_requires_totp(sess: Session, role: str) -> bool:
    return bool(sess.scalar(select(RoleSecurity.require_totp).where(RoleSecurity.role == role)))


def second_factor(sess: Session, user: User) -> str | None:
    """What a right password still owes: a code, an enrolment (the role requires TOTP), or None."""
    if confirmed(sess, user.id) is not None:
        return AWAIT_CODE
    if role_requires_totp(sess, user.role):
        return AWAIT_ENROLMENT
    return None


def start_enrolment(sess: Session, user: User) -> UserTotp:
    """The user's unconfirmed secret, made on first call and kept until confirmed."""
    row = sess.get(UserTotp, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict(_("A second factor is already set up; turn it off first."),
                       code="otp-already-enrolled")
    if row is None:
        row = UserTotp(user_id=user.id, secret=pyotp.random_base32(), created_at=utcnow())
        sess.add(row)
        sess.flush()
    return row


def provisioning_uri(user: User, row: UserTotp) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(row.secret).provisioning_uri(
        name=user.username, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no outside request)."""
    return segno.make_qr(uri, error="m").svg_inline(scale=4, svgclass="qr", omitsize=True)


def _use_code(sess: Session, row: UserTotp, code: str) -> bool:
    """Accept a code for a step later than the last one used, and mark that step used."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(row.secret)
    now_step = totp.timecode(utcnow())
    for step in (now_step - 1, now_step, now_step + 1):
        if row.last_step is not None and step <= row.last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            # Conditional, so two requests racing with one code cannot both win.
            won = sess.execute(
                sa.update(UserTotp).where(UserTotp.user_id == row.user_id, sa.or_(
                    UserTotp.last_step.is_(None), UserTotp.last_step < step))
                .values(last_step=step), execution_options={"synchronize_session": False})
            if won.rowcount != 1:
                return False
            row.last_step = step
            return True
    return False


def _invalid(purpose: str) -> InvalidInput:
    message = _("That code is not right, or was already used. Enter the current code.")
    return InvalidInput(message, code="otp-invalid",
                        errors=[{"field": "otp" if purpose == "login" else "code",
                                 "code": "otp-invalid", "message": message}])


def check_code(sess: Session, user: User, code: str, *, purpose: str) -> UserTotp:
    """Check a code from the user's confirmed secret (`purpose`: login or disable).

    Wrong codes are failed logins of the pair (back-off, audit in their own transaction);
    raises 429 while the pair is backing off, InvalidInput(code otp-invalid) for a wrong code.
    """
    key, user_id = check_login_allowed(sess, user.username), user.id
    row = confirmed(sess, user_id)
    if row is None or not _use_code(sess, row, code):
        # As in authenticate: end this transaction (on SQLite it holds the write lock) before
        # the failure is written in its own, and touch no expired object in between.
        sess.rollback()
        record_login_failure(key, user_id=user_id, reason="otp-invalid",
                             action="accounts:login:fail" if purpose == "login"
                             else "accounts:totp:fail", purpose=purpose)
        raise _invalid(purpose)
    return row


def confirm_enrolment(sess: Session, user: User, code: str) -> UserTotp:
    """Confirm the pending secret with a code from it: from now on logins ask for a code."""
    key, user_id = check_login_allowed(sess, user.username), user.id
    row = sess.get(UserTotp, user_id)
    if row is None or row.confirmed_at is not None:
        raise Conflict(_("Start the set-up again."), code="otp-not-pending")
    if not _use_code(sess, row, code):
        sess.rollback()
        record_login_failure(key, user_id=user_id, reason="otp-invalid",
                             action="accounts:totp:fail", purpose="enrol")
        raise _invalid("enrol")
    row.confirmed_at = utcnow()
    audit.record(sess, "accounts:totp:enrol", actor_id=user.id, object_type="user",
                 object_id=user.id)
    logger.info("totp enrolled user_id=%s", user.id)
    return row


def disable(sess: Session, user: User, code: str) -> None:
    """Turn the second factor off, proven with a current code."""
    row = check_code(sess, user, code, purpose="disable")
    sess.delete(row)
    audit.record(sess, "accounts:totp:disable", actor_id=user.id, object_type="user",
                 object_id=user.id)
    logger.info("totp disabled user_id=%s", user.id)


def reset_by_admin(sess: Session, actor_id: int | None, user: User) -> bool:
    """Remove a user's second factor (a lost or replaced phone): their sessions and tokens end,
    and their next login sets a new one up if their role requires it. False if they had none."""
    row = sess.get(UserTotp, user.id)
    if row is None:
        return False
    sess.delete(row)
    end_sessions(sess, user.id, reason="otp-reset", actor_id=actor_id)
    revoke_tokens(sess, user.id, actor_id=actor_id)
    audit.record(sess, "accounts:totp:reset", actor_id=actor_id, object_type="user",
                 object_id=user.id)
    logger.info("totp reset user_id=%s by actor_id=%s", user.id, actor_id)
    return True


def role_rules(sess: Session) -> dict[str, bool]:
    """Every role and whether it requires TOTP."""
    stored = dict(sess.execute(select(RoleSecurity.role, RoleSecurity.require_totp)).all())
    return {role.value: bool(stored.get(role.value, False)) for role in Role}


def set_role_rule(sess: Session, actor: User | None, role: str, require_totp: bool) -> RoleSecurity:
    """Require (or stop requiring) TOTP of a role's logins (actor None: from the command line)."""
    row = sess.get(RoleSecurity, role)
    if row is None:
        row = RoleSecurity(role=role, updated_at=utcnow())
        sess.add(row)
    changed = row.require_totp != require_totp
    actor_id = actor.id if actor is not None else None
    row.require_totp, row.updated_at, row.updated_by = require_totp, utcnow(), actor_id
    sess.flush()
    if changed:
        signed_out = _sign_out_unenrolled(sess, role, actor_id) if require_totp else 0
        audit.record(sess, "accounts:role_security:update", actor_id=actor_id,
                     object_type="role_security", role=role, require_totp=require_totp,
                     users_signed_out=signed_out)
    return row


def _sign_out_unenrolled(sess: Session, role: str, actor_id: int | None) -> int:
    """End the sessions and tokens of the role's users without TOTP: their next login enrols."""
    unenrolled = sess.scalars(select(User.id).where(
        User.role == role, User.is_active.is_(True),
        ~sa.exists().where(UserTotp.user_id == User.id, UserTotp.confirmed_at.is_not(None))))
    count = 0
    for user_id in unenrolled.all():
        ended = end_sessions(sess, user_id, reason="otp-required", actor_id=actor_id)
        revoked = revoke_tokens(sess, user_id, actor_id=actor_id)
        count += bool(ended or revoked)
    return count
