"""The journey's records: checklist items, visas and permits, and the kinds of timeline entry
continuum records (stage changes, checklist updates, permit changes, guard overrides) in the
shared timeline (journey.core.timeline).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.continuum.stages import Stage
from journey.core.crypto import EncryptedText
from journey.core.db import UTCDateTime, enum_check


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"
    BLOCKED = "blocked"


class ChecklistItem(SQLModel, table=True):
    __tablename__ = "checklist_items"
    __table_args__ = (
        enum_check("status", ItemStatus),
        enum_check("stage", Stage),
        sa.UniqueConstraint("participant_id", "cycle", "key"),
        sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="completed_when_done"),
        sa.Index("ix_checklist_items_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    stage: str = Field(max_length=20)
    cycle: int = Field(default=1)
    key: str = Field(max_length=60)
    title: str = Field(max_length=200)
    required: bool = Field(default=True)
    status: str = Field(default=ItemStatus.PENDING.value, max_length=20)
    due_date: date | None = None
    completed_by: int | None = Field(default=None, foreign_key="users.id")
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    evidence_note: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1)


class PermitType(enum.StrEnum):
    WORK_VISA = "work_visa"
    WORK_PERMIT = "work_permit"
    RESIDENCE_PERMIT = "residence_permit"
    JOB_SEARCH_VISA = "job_search_visa"
    SEASONAL_WORK_VISA = "seasonal_work_visa"
    TRAINING_VISA = "training_visa"
    OTHER = "other"


class PermitStatus(enum.StrEnum):
    PLANNED = "planned"
    APPLIED = "applied"
    GRANTED = "granted"
    REFUSED = "refused"
    ISSUED = "issued"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# A permit in one of these statuses lets a participant travel and stay.
VALID_PERMIT_STATUSES = (PermitStatus.GRANTED.value, PermitStatus.ISSUED.value)


class Permit(SQLModel, table=True):
    __tablename__ = "permits"
    __table_args__ = (
        enum_check("type", PermitType),
        enum_check("status", PermitStatus),
        sa.CheckConstraint("expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on",
                           name="expiry_after_issue"),
        sa.Index("ix_permits_status_expires", "status", "expires_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    type: str = Field(max_length=30)
    issuing_country: str = Field(max_length=2)
    # Sensitive: encrypted at rest, never listed, never logged.
    number: str | None = Field(default=None, sa_type=EncryptedText("permits.number"))
    status: str = Field(default=PermitStatus.PLANNED.value, max_length=20)
    applied_on: date | None = None
    decided_on: date | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    # Permits tied to one employer are a known risk (IOM seed line 1360): flag them.
    employer_tied: bool = Field(default=False)
    employer_id: int | None = Field(default=None, foreign_key="employers.id")
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1)


class EventKind(enum.StrEnum):
    """The timeline entries continuum records (registered as timeline kinds in its domain)."""

    STAGE_ENTERED = "stage_entered"
    STAGE_LEFT = "stage_left"
    GUARD_OVERRIDDEN = "guard_overridden"
    CHECKLIST_UPDATED = "checklist_updated"
    CHECKLIST_ITEM_DUE = "checklist_item_due"
    CHECKLIST_ITEM_OVERDUE = "checklist_item_overdue"
    PERMIT_RECORDED = "permit_recorded"
    PERMIT_UPDATED = "permit_updated"
    PERMIT_EXPIRING = "permit_expiring"
