"""Accounts' own tables: one-time password reset links (users and tokens live in journey.core.auth)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime
from journey.core.i18n import _l


class DeactivationReason(enum.StrEnum):
    """Why an admin deactivated an account: a code, kept in the audit event."""

    LEFT = "left"  # left the organisation
    LEAVE = "leave"  # away for a long time
    COMPROMISED = "compromised"  # the password or a device may be in someone else's hands
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(_REASON_TITLES[self])


_REASON_TITLES = {
    DeactivationReason.LEFT: _l("Left the organisation"),
    DeactivationReason.LEAVE: _l("Away for a long time"),
    DeactivationReason.COMPROMISED: _l("Account may be compromised"),
    DeactivationReason.OTHER: _l("Another reason"),
}


class ReactivationReason(enum.StrEnum):
    """Why an admin let a deactivated account log in again."""

    RETURNED = "returned"  # back from leave, or rejoined
    RESOLVED = "resolved"  # the security concern is resolved
    MISTAKE = "mistake"  # deactivated by mistake
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(_REASON_TITLES[self])


_REASON_TITLES.update({
    ReactivationReason.RETURNED: _l("Back from leave or rejoined"),
    ReactivationReason.RESOLVED: _l("The security concern is resolved"),
    ReactivationReason.MISTAKE: _l("Deactivated by mistake"),
    ReactivationReason.OTHER: _l("Another reason"),
})


class PasswordReset(SQLModel, table=True):
    """A one-time link an admin made for a user to set a new password; only its hash is kept."""

    __tablename__ = "password_resets"
    __table_args__ = (
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint("used_at IS NULL OR used_at >= created_at", name="used_after_creation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # SHA-256 of a 256-bit random token: a slow hash adds nothing to a secret that long.
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when a newer link for the same user replaced this one.
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
