"""A participant's skills passport: versioned entries, each with its verification."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, enum_check
from journey.core.i18n import _l


class EntryKind(enum.StrEnum):
    OCCUPATION = "occupation"
    SKILL = "skill"
    QUALIFICATION = "qualification"
    PRIOR_LEARNING = "prior_learning"  # recognised prior learning
    EXPERIENCE = "experience"
    LANGUAGE = "language"
    SOFT_SKILL = "soft_skill"
    TRAINING = "training"  # completed in the programme


class Verification(enum.StrEnum):
    """How far an entry has been checked, weakest first."""

    SELF_DECLARED = "self_declared"
    DOCUMENTS_SEEN = "documents_seen"
    ASSESSED = "assessed"  # assessed or tested
    CERTIFIED = "certified"
    RECOGNISED = "recognised"  # recognised in the destination country

    @property
    def rank(self) -> int:
        return list(Verification).index(self)

    @property
    def title(self) -> str:
        return str(VERIFICATION_TITLES[self])


VERIFICATION_TITLES = {
    Verification.SELF_DECLARED: _l("Self-declared"),
    Verification.DOCUMENTS_SEEN: _l("Documents seen"),
    Verification.ASSESSED: _l("Assessed or tested"),
    Verification.CERTIFIED: _l("Certified"),
    Verification.RECOGNISED: _l("Recognised in the destination country"),
}


# What a participant may agree to show on public verification pages, beyond a credential's or
# card's status, issuer and dates: their name, and entries of these kinds. Nothing by default.
DISCLOSABLE: tuple[str, ...] = ("name", *(k.value for k in EntryKind))


class RevisionChange(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    VERIFIED = "verified"
    RETIRED = "retired"


class Passport(SQLModel, table=True):
    """Per-participant passport settings: what the public verification page may show."""

    __tablename__ = "passports"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", unique=True)
    # What the participant agreed to show publicly, beyond a credential's status and issuer
    # (see journey.passports.services.DISCLOSABLE).
    disclosure: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    version: int = Field(default=1)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_by: int | None = Field(default=None, foreign_key="users.id")


class PassportEntry(SQLModel, table=True):
    """One line of a passport. Columns hold what is searched and matched on; `details` holds the
    rest of each kind's fields (validated by the kind's schema)."""

    __tablename__ = "passport_entries"
    __table_args__ = (
        enum_check("kind", EntryKind),
        enum_check("verification", Verification),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                           name="dates_ordered"),
        sa.CheckConstraint("verification = 'self_declared' OR verified_at IS NOT NULL",
                           name="verified_when_verified"),
        sa.CheckConstraint("(retired_at IS NULL) = (retired_by IS NULL)", name="retired_complete"),
        sa.Index("ix_passport_entries_participant_kind", "participant_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id")
    kind: str = Field(max_length=20)
    title: str = Field(max_length=255)
    esco_uri: str | None = Field(default=None, max_length=255)
    isco_code: str | None = Field(default=None, max_length=4, foreign_key="isco_groups.code",
                                  index=True)
    country: str | None = Field(default=None, max_length=2)
    language: str | None = Field(default=None, max_length=3)  # ISO 639-1 or 639-3
    start_date: date | None = None
    end_date: date | None = None
    acquired_abroad: bool = Field(default=False)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)

    verification: str = Field(default=Verification.SELF_DECLARED.value, max_length=20)
    verified_by: int | None = Field(default=None, foreign_key="users.id")
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    evidence: str | None = Field(default=None, max_length=1000)

    version: int = Field(default=1)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by: int | None = Field(default=None, foreign_key="users.id")


class PassportEntryRevision(SQLModel, table=True):
    """Each version of an entry as it was: nothing in a passport is overwritten silently."""

    __tablename__ = "passport_entry_revisions"
    __table_args__ = (
        sa.UniqueConstraint("entry_id", "version", name="uq_passport_entry_revisions_entry_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="passport_entries.id")
    version: int
    change: str = Field(max_length=20)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    reason: str | None = Field(default=None, max_length=500)
    changed_by: int | None = Field(default=None, foreign_key="users.id")
    changed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class RevokeReason(enum.StrEnum):
    """Why a share link was closed before it expired."""

    REVOKED = "revoked"  # staff revoked it
    CONSENT_WITHDRAWN = "consent_withdrawn"  # the participant withdrew consent to share


class ShareLink(SQLModel, table=True):
    """A time-limited, revocable link through which an employer sees a passport. The token is
    shown once; only its SHA-256 is stored."""

    __tablename__ = "share_links"
    __table_args__ = (
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="revoked_complete"),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoke_reason IS NULL)",
                           name="revoke_reason_complete"),
        enum_check("revoke_reason", RevokeReason),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    employer_id: int | None = Field(default=None, foreign_key="employers.id", index=True)
    audience: str = Field(max_length=200)  # who the link is for, as the caseworker wrote it
    # Entry kinds the link shows (empty: every kind).
    kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
    # Revoked for good: giving consent again never reopens a link closed by its withdrawal.
    revoke_reason: str | None = Field(default=None, max_length=20)
    view_count: int = Field(default=0)
    last_viewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
