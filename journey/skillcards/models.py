"""The return skill form (pre-filled from the passport, confirmed by the returnee) and its card."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, enum_check


class FormStatus(enum.StrEnum):
    OPEN = "open"  # pre-filled, waiting for the returnee to confirm or correct
    COMPLETED = "completed"


class CompletedVia(enum.StrEnum):
    CASEWORKER = "caseworker"
    SELF_LINK = "self_link"  # the returnee, through their own link


class SkillForm(SQLModel, table=True):
    """One return skill form per participant and migration cycle."""

    __tablename__ = "skill_forms"
    __table_args__ = (
        enum_check("status", FormStatus),
        enum_check("completed_via", CompletedVia),
        sa.UniqueConstraint("participant_id", "cycle", name="uq_skill_forms_participant_cycle"),
        sa.CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)",
                           name="completed_when_completed"),
        sa.CheckConstraint("(completed_at IS NULL) = (completed_via IS NULL)",
                           name="completion_complete"),
        sa.CheckConstraint("(link_token_hash IS NULL) = (link_expires_at IS NULL)",
                           name="link_complete"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    cycle: int = Field(default=1)
    status: str = Field(default=FormStatus.OPEN.value, max_length=20)
    # What the passport said when the form was made, and the answers as they stand now.
    prefill: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    version: int = Field(default=1)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by: int | None = Field(default=None, foreign_key="users.id")
    completed_via: str | None = Field(default=None, max_length=20)
    # The returnee's own link: only the SHA-256 of its token is kept.
    link_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    link_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SkillCard(SQLModel, table=True):
    """Issued when a skill form is completed. Its QR code leads to the public verification page."""

    __tablename__ = "skill_cards"
    __table_args__ = (
        sa.CheckConstraint("(revoked_at IS NULL) = (revocation_reason IS NULL)",
                           name="revocation_complete"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    form_id: int = Field(foreign_key="skill_forms.id", unique=True)
    credential_id: int | None = Field(default=None, foreign_key="credentials.id")
    # A public, unguessable id for the QR code and verification page: the card number alone
    # is short enough to guess.
    public_id: str = Field(max_length=32, unique=True)
    issued_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    issued_by: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
    revocation_reason: str | None = Field(default=None, max_length=500)
