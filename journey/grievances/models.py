"""A grievance, its history of notes and public replies, the offices' focal points, break-the-
glass grants and escalation notices.

Everything a complainant or a caseworker wrote is encrypted at rest (journey.core.crypto): the
description, the desired outcome, whom it is against when that is free text, the resolution
summary, every note, and the contact details of a complainant who is not a participant. The
tracking code is the complainant's only handle: the status page finds it by its SHA-256
(``tracking_hash``), and it is kept encrypted (``tracking_code``) only so that later messages
to the complainant can cite it; no page shows it again after intake.

Attachments are out of scope; they would be a table ``grievance_attachments`` keyed by
``grievance_id`` (encrypted blobs or a store's keys), with nothing here to change.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.crypto import EncryptedText
from journey.core.db import UTCDateTime, enum_check
from journey.core.i18n import _l


class Category(enum.StrEnum):
    RECRUITMENT_FEES = "recruitment_fees"
    CONTRACT_SUBSTITUTION = "contract_substitution"
    WAGES = "wages"
    WORKING_HOURS = "working_hours"
    DOCUMENT_CONFISCATION = "document_confiscation"
    HARASSMENT_GBV = "harassment_gbv"
    DISCRIMINATION = "discrimination"
    HOUSING = "housing"
    HEALTH = "health"
    PERMIT_VISA = "permit_visa"
    OTHER = "other"


CATEGORY_TITLES = {
    Category.RECRUITMENT_FEES: _l("Recruitment fees and debt"),
    Category.CONTRACT_SUBSTITUTION: _l("Contract substitution"),
    Category.WAGES: _l("Wages"),
    Category.WORKING_HOURS: _l("Working hours"),
    Category.DOCUMENT_CONFISCATION: _l("Documents taken away"),
    Category.HARASSMENT_GBV: _l("Harassment and gender-based violence"),
    Category.DISCRIMINATION: _l("Discrimination"),
    Category.HOUSING: _l("Housing"),
    Category.HEALTH: _l("Health"),
    Category.PERMIT_VISA: _l("Permit or visa"),
    Category.OTHER: _l("Something else"),
}
# Restricted unless whoever logs it says otherwise (issue #14: harassment and GBV).
RESTRICTED_BY_DEFAULT = frozenset({Category.HARASSMENT_GBV})


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_TITLES = {Severity.LOW: _l("Low"), Severity.MEDIUM: _l("Medium"),
                   Severity.HIGH: _l("High"), Severity.CRITICAL: _l("Critical")}


class Confidentiality(enum.StrEnum):
    STANDARD = "standard"  # the office's staff see it
    SENSITIVE = "sensitive"  # the office's staff see it when they open it; never in a list's text
    RESTRICTED = "restricted"  # focal points and the assignee; others see it masked


CONFIDENTIALITY_TITLES = {Confidentiality.STANDARD: _l("Standard"),
                          Confidentiality.SENSITIVE: _l("Sensitive"),
                          Confidentiality.RESTRICTED: _l("Restricted")}


class Channel(enum.StrEnum):
    STAFF = "staff"  # logged by a caseworker or supervisor (in person, by phone)
    SMS = "sms"
    WEB = "web"  # the anonymous public form
    EMAIL = "email"


CHANNEL_TITLES = {Channel.STAFF: _l("In person or by phone"), Channel.SMS: _l("SMS"),
                  Channel.WEB: _l("Web form"), Channel.EMAIL: _l("Email")}


class AgainstKind(enum.StrEnum):
    EMPLOYER = "employer"
    RECRUITER = "recruiter"
    OTHER = "other"


AGAINST_TITLES = {AgainstKind.EMPLOYER: _l("An employer"), AgainstKind.RECRUITER: _l("A recruiter"),
                  AgainstKind.OTHER: _l("Someone else")}


class State(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_REVIEW = "in_review"
    WAITING = "waiting"  # for information from the complainant or someone else
    RESOLVED = "resolved"
    APPEALED = "appealed"  # resolved, then appealed: the appeal is a grievance of its own
    CLOSED = "closed"


STATE_TITLES = {State.RECEIVED: _l("Received"), State.ACKNOWLEDGED: _l("Acknowledged"),
                State.IN_REVIEW: _l("In review"), State.WAITING: _l("Waiting for information"),
                State.RESOLVED: _l("Resolved"), State.APPEALED: _l("Appealed"),
                State.CLOSED: _l("Closed")}
# The SLA clock runs in these states (resolution); acknowledgement only in RECEIVED.
OPEN_STATES = (State.RECEIVED, State.ACKNOWLEDGED, State.IN_REVIEW, State.WAITING)
DONE_STATES = (State.RESOLVED, State.APPEALED, State.CLOSED)


class Decision(enum.StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    WITHDRAWN = "withdrawn"
    REFERRED = "referred"


DECISION_TITLES = {Decision.UPHELD: _l("Upheld"), Decision.PARTLY_UPHELD: _l("Partly upheld"),
                   Decision.NOT_UPHELD: _l("Not upheld"), Decision.WITHDRAWN: _l("Withdrawn"),
                   Decision.REFERRED: _l("Referred to another body")}


class SlaStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # less than a quarter of the time left
    BREACHED = "breached"
    PAUSED = "paused"  # waiting for information, with the clock stopped
    MET = "met"  # resolved in time
    MISSED = "missed"  # resolved after the deadline


SLA_TITLES = {SlaStatus.ON_TRACK: _l("On track"), SlaStatus.AT_RISK: _l("At risk"),
              SlaStatus.BREACHED: _l("Breached"), SlaStatus.PAUSED: _l("Clock paused"),
              SlaStatus.MET: _l("Met"), SlaStatus.MISSED: _l("Missed")}


class Grievance(SQLModel, table=True):
    __tablename__ = "grievances"
    __table_args__ = (
        enum_check("category", Category),
        enum_check("severity", Severity),
        enum_check("confidentiality", Confidentiality),
        enum_check("channel", Channel),
        enum_check("state", State),
        enum_check("sla_status", SlaStatus),
        sa.CheckConstraint("against_kind IS NULL OR against_kind IN ('employer', 'recruiter', "
                           "'other')", name="against_kind_valid"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('upheld', 'partly_upheld', "
                           "'not_upheld', 'withdrawn', 'referred')", name="decision_valid"),
        # Nothing is resolved without a decision and a summary of the resolution.
        sa.CheckConstraint("state NOT IN ('resolved', 'appealed', 'closed') OR "
                           "(decision IS NOT NULL AND resolution_summary IS NOT NULL "
                           "AND resolved_at IS NOT NULL)", name="resolved_with_decision"),
        sa.CheckConstraint("against_employer_id IS NULL OR against_kind = 'employer'",
                           name="employer_when_against_employer"),
        # The SLA scan reads open grievances by state and deadline.
        sa.Index("ix_grievances_open_sla", "state", "resolve_due_at"),
        sa.Index("ix_grievances_office_state", "office_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The staff's handle: GR-<year>-<id>, set once the id is known; not a secret.
    reference: str | None = Field(default=None, max_length=24, unique=True)
    # SHA-256 of the complainant's tracking code (shown to them once, sent in the
    # acknowledgement); the public status page finds the grievance by it.
    tracking_hash: str = Field(max_length=64, unique=True)
    tracking_code: str = Field(sa_type=EncryptedText("grievances.tracking_code"))
    office_id: int = Field(foreign_key="offices.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participants.id", index=True)
    appeal_of_id: int | None = Field(default=None, foreign_key="grievances.id", index=True)
    # How to reach a complainant who is not a participant (an SMS sender, a web form's optional
    # contact); a participant is reached through their own record.
    contact_phone: str | None = Field(default=None, sa_type=EncryptedText("grievances.contact_phone"))
    contact_email: str | None = Field(default=None, sa_type=EncryptedText("grievances.contact_email"))
    language: str = Field(default="en", max_length=16)  # for every message to the complainant
    category: str = Field(max_length=30)
    severity: str = Field(default=Severity.MEDIUM.value, max_length=10)
    confidentiality: str = Field(default=Confidentiality.STANDARD.value, max_length=12)
    channel: str = Field(max_length=10)
    state: str = Field(default=State.RECEIVED.value, max_length=20)
    against_kind: str | None = Field(default=None, max_length=10)
    against_employer_id: int | None = Field(default=None, foreign_key="employers.id", index=True)
    # A recruiter from the registry (journey.employers.models.Recruiter): complaints against
    # the same recruiter are counted by this id (journey.grievances.patterns).
    against_recruiter_id: int | None = Field(default=None, foreign_key="recruiters.id",
                                             index=True)
    # Anyone else (or a recruiter not in the registry), by name.
    against_name: str | None = Field(default=None, sa_type=EncryptedText("grievances.against_name"))
    description: str = Field(sa_type=EncryptedText("grievances.description"))
    desired_outcome: str | None = Field(default=None,
                                        sa_type=EncryptedText("grievances.desired_outcome"))
    decision: str | None = Field(default=None, max_length=20)
    resolution_summary: str | None = Field(
        default=None, sa_type=EncryptedText("grievances.resolution_summary"))
    assignee_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Deadlines, from the office's business days (journey.organisations.calendar) and settings.
    ack_due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    resolve_due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sla_status: str = Field(default=SlaStatus.ON_TRACK.value, max_length=10)
    # The clock stopped while waiting for information (explicit, audited); the resolution
    # deadline moves on by the time it stood still when it starts again.
    clock_paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Each breach is escalated exactly once: the scan sets these with a conditional UPDATE.
    ack_escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1)




class EntryKind(enum.StrEnum):
    TRANSITION = "transition"
    NOTE = "note"  # internal
    PUBLIC_REPLY = "public_reply"  # shown on the status page and sent to the complainant
    ASSIGNED = "assigned"
    CLOCK_PAUSED = "clock_paused"
    CLOCK_RESUMED = "clock_resumed"
    ESCALATED = "escalated"
    BREAK_GLASS = "break_glass"
    UPDATED = "updated"  # triage: category, severity... corrected (journey.grievances.triage)


class GrievanceEntry(SQLModel, table=True):
    """One line of a grievance's own history: a transition, a note, a public reply."""

    __tablename__ = "grievance_entries"
    __table_args__ = (enum_check("kind", EntryKind),)

    id: int | None = Field(default=None, primary_key=True)
    grievance_id: int = Field(foreign_key="grievances.id", index=True)
    kind: str = Field(max_length=20)
    event: str | None = Field(default=None, max_length=30)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    body: str | None = Field(default=None, sa_type=EncryptedText("grievance_entries.body"))
    public: bool = Field(default=False)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class FocalPoint(SQLModel, table=True):
    """A protection officer of an office: sees its restricted grievances and gets escalations."""

    __tablename__ = "grievance_focal_points"
    __table_args__ = (sa.UniqueConstraint("office_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AccessGrant(SQLModel, table=True):
    """Break-the-glass: a supervisor opened a restricted grievance, with a written reason."""

    __tablename__ = "grievance_access_grants"

    id: int | None = Field(default=None, primary_key=True)
    grievance_id: int = Field(foreign_key="grievances.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    reason: str = Field(sa_type=EncryptedText("grievance_access_grants.reason"))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Escalation(SQLModel, table=True):
    """A breach brought to one person's attention (on their pages, and by email), once."""

    __tablename__ = "grievance_escalations"
    __table_args__ = (
        sa.UniqueConstraint("grievance_id", "user_id", "deadline"),
        sa.CheckConstraint("deadline IN ('acknowledge', 'resolve')", name="deadline_valid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grievance_id: int = Field(foreign_key="grievances.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    deadline: str = Field(max_length=12)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
