"""Consent records: one row per grant; a withdrawal closes the row, it never deletes it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, enum_check


class Purpose(enum.StrEnum):
    CASE_MANAGEMENT = "case_management"
    UPDATES = "updates"  # SMS and email updates
    SHARE_EMPLOYERS = "share_employers"
    SHARE_PROVIDERS = "share_providers"
    MONITORING = "monitoring"  # monitoring and evaluation


class Method(enum.StrEnum):
    VERBAL = "verbal"
    SIGNED = "signed"
    SMS = "sms"
    EMAIL = "email"
    WEB = "web"


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consent_records"
    __table_args__ = (
        enum_check("purpose", Purpose),
        enum_check("method", Method),
        enum_check("withdrawal_method", Method, name="withdrawal_method_valid"),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawal_method IS NULL)", name="withdrawal_complete"
        ),
        sa.Index("ix_consent_records_participant_purpose", "participant_id", "purpose"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id")
    purpose: str = Field(max_length=30)
    method: str = Field(max_length=10)
    note: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: int | None = Field(default=None, foreign_key="users.id")
    withdrawal_method: str | None = Field(default=None, max_length=10)
    withdrawal_note: str | None = Field(default=None, max_length=500)
