"""Referrals as a domain (issue #16): a service directory on a subset of Open Referral HSDS 3.0,
and closed-loop referrals of participants to partner services.

The directory: a service (HSDS ``service``) belongs to a service provider (HSDS ``organization``:
journey.organisations.models.ServiceProvider), is offered at locations (``service_at_location``),
in languages, over service areas, at opening hours (``schedule``). A confidential location (a
shelter, a safe house) is shown to staff only (journey.referrals.access.location_visible).

A referral sends one participant to one directory service: one transition table
(journey.referrals.states) moves it draft -> sent -> accepted | declined -> in progress ->
completed | withdrawn, or expired when the partner does not answer by its deadline. The fields
shared with the partner are chosen when it is made; the partner sees only those
(journey.referrals.disclosure). Notes written about the person are encrypted at rest.
"""

from __future__ import annotations

import enum
from datetime import datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.crypto import EncryptedText
from journey.core.db import UTCDateTime, enum_check
from journey.referrals.states import (
    DeclineReason,
    Outcome,
    OutcomeReason,
    ReferralEventKind,
    State,
    Urgency,
)


class ServiceStatus(enum.StrEnum):
    """HSDS service.status."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


class EligibleSex(enum.StrEnum):
    ANY = "any"
    FEMALE = "female"
    MALE = "male"


class DirectoryService(SQLModel, table=True):
    """A service of a provider: what it offers, to whom, how to apply, its capacity and flags."""

    __tablename__ = "directory_services"
    __table_args__ = (
        enum_check("status", ServiceStatus),
        enum_check("eligible_sex", EligibleSex),
        sa.CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
                           name="ages_ordered"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("waiting_days IS NULL OR waiting_days >= 0",
                           name="waiting_not_negative"),
        sa.Index("ix_directory_services_provider", "provider_id", "status"),
        sa.Index("ix_directory_services_assured", "assured_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="service_providers.id")
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    status: str = Field(default=ServiceStatus.ACTIVE.value, max_length=20)
    url: str | None = Field(default=None, max_length=500)
    # Where referrals and signed links go when the provider has no user account.
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    # Eligibility (HSDS eligibility_description, minimum_age, maximum_age) made structured.
    min_age: int | None = None
    max_age: int | None = None
    eligible_sex: str = Field(default=EligibleSex.ANY.value, max_length=10)
    # Migration statuses served (journey.referrals.directory.STATUSES); empty: everyone.
    eligible_statuses: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    eligibility_note: str | None = Field(default=None, max_length=1000)
    free_of_charge: bool = Field(default=True)
    fees_description: str | None = Field(default=None, max_length=1000)
    application_process: str | None = Field(default=None, max_length=2000)
    documents_required: str | None = Field(default=None, max_length=1000)
    # Places in all, and how long a new client waits (days); None: not known.
    capacity: int | None = None
    waiting_days: int | None = None
    # Categories (HSDS taxonomy terms) and flags, as columns: search filters on them.
    legal_aid: bool = Field(default=False)
    health: bool = Field(default=False)
    housing: bool = Field(default=False)
    employment: bool = Field(default=False)
    training: bool = Field(default=False)
    psychosocial: bool = Field(default=False)
    financial: bool = Field(default=False)
    women_only: bool = Field(default=False)
    sogiesc_safe: bool = Field(default=False)
    # Deadlines of referrals to this service; None: the settings' (REFERRAL_RESPONSE_DAYS,
    # REFERRAL_COMPLETION_DAYS).
    response_days: int | None = None
    completion_days: int | None = None
    # When the entry was last confirmed (HSDS assured_date); stale after 180 days.
    assured_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    assured_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class DirectoryLocation(SQLModel, table=True):
    """A place a provider serves people at (HSDS location with its physical address)."""

    __tablename__ = "directory_locations"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="service_providers.id", index=True)
    name: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(max_length=2)
    latitude: float | None = None
    longitude: float | None = None
    # A shelter or safe house: its address and name are shown to staff only.
    confidential: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ServiceAtLocation(SQLModel, table=True):
    """HSDS service_at_location: a service offered at a location."""

    __tablename__ = "directory_service_locations"
    __table_args__ = (sa.UniqueConstraint("service_id", "location_id"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="directory_services.id")
    location_id: int = Field(foreign_key="directory_locations.id", index=True)


class ServiceLanguage(SQLModel, table=True):
    """A language the service is given in (ISO 639-1, as journey's languages)."""

    __tablename__ = "directory_service_languages"
    __table_args__ = (sa.UniqueConstraint("service_id", "language"),
                      sa.Index("ix_directory_service_languages_language", "language",
                               "service_id"))

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="directory_services.id")
    language: str = Field(max_length=16)


class ServiceArea(SQLModel, table=True):
    """HSDS service_area: a place the service covers, by name ("Lisbon", "Setúbal district")."""

    __tablename__ = "directory_service_areas"

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="directory_services.id", index=True)
    name: str = Field(max_length=200)
    # Folded (casefold, accents kept) for search by place.
    name_key: str = Field(max_length=200, index=True)


class ServiceSchedule(SQLModel, table=True):
    """HSDS schedule, weekly: the service opens on an ISO weekday (1 = Monday) from opens_at to
    closes_at, at a location or everywhere it is offered."""

    __tablename__ = "directory_schedules"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_valid"),
        sa.CheckConstraint("opens_at < closes_at", name="opens_before_closing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="directory_services.id", index=True)
    location_id: int | None = Field(default=None, foreign_key="directory_locations.id")
    weekday: int
    opens_at: time
    closes_at: time


class Referral(SQLModel, table=True):
    """One participant referred to one directory service, and where it stands."""

    __tablename__ = "referrals"
    __table_args__ = (
        enum_check("state", State),
        enum_check("urgency", Urgency),
        enum_check("decline_reason", DeclineReason),
        enum_check("outcome", Outcome),
        enum_check("outcome_reason", OutcomeReason),
        # A completed referral has its outcome; a service not provided has its reason.
        sa.CheckConstraint("state != 'completed' OR outcome IS NOT NULL",
                           name="completed_has_outcome"),
        sa.CheckConstraint("outcome IS NULL OR outcome = 'provided' OR outcome_reason IS NOT NULL",
                           name="not_provided_has_reason"),
        sa.CheckConstraint("state != 'declined' OR decline_reason IS NOT NULL",
                           name="declined_has_reason"),
        # The deadline scan (journey.referrals.deadlines): open referrals by deadline.
        sa.Index("ix_referrals_state_response", "state", "response_due_at"),
        sa.Index("ix_referrals_state_complete", "state", "complete_due_at"),
        # A partner's list, newest first.
        sa.Index("ix_referrals_provider", "provider_id", "id"),
        sa.Index("ix_referrals_participant", "participant_id", "id"),
        sa.Index("ix_referrals_office", "office_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "REF-" and the id in base 36 upper-case, set once the row has an id.
    reference: str | None = Field(default=None, max_length=16, unique=True)
    participant_id: int = Field(foreign_key="participants.id")
    # The referring office: escalations go to its supervisors and focal points.
    office_id: int = Field(foreign_key="offices.id")
    service_id: int = Field(foreign_key="directory_services.id", index=True)
    provider_id: int = Field(foreign_key="service_providers.id")
    grievance_id: int | None = Field(default=None, foreign_key="grievances.id", index=True)
    state: str = Field(default=State.DRAFT.value, max_length=12)
    urgency: str = Field(default=Urgency.ROUTINE.value, max_length=10)
    # Why the person is referred, for the partner (always shared with it; encrypted).
    reason: str | None = Field(default=None, sa_type=EncryptedText("referrals.reason"))
    # The participant's fields the partner may see (journey.referrals.states.SHAREABLE).
    shared_fields: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by: int | None = Field(default=None, foreign_key="users.id")
    response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Half the response time: the partner is reminded once (reminded_at).
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    complete_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A breach (no answer by response_due_at, or not completed by complete_due_at) escalates
    # once to the referring office.
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=30)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=20)
    outcome_reason: str | None = Field(default=None, max_length=30)
    # When the referral reached a final state (declined, completed, withdrawn, expired).
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ReferralEvent(SQLModel, table=True):
    """One step of a referral (sent, accepted, a progress note, completed ...): who, when, the
    reason from the fixed lists and a note (encrypted). The referral's history and timeline."""

    __tablename__ = "referral_events"
    __table_args__ = (enum_check("kind", ReferralEventKind),
                      sa.Index("ix_referral_events_referral", "referral_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referrals.id")
    kind: str = Field(max_length=12)
    from_state: str | None = Field(default=None, max_length=12)
    to_state: str = Field(max_length=12)
    reason: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, sa_type=EncryptedText("referral_events.note"))
    # Whether the partner sees the note (its own notes, and the caseworker's messages to it).
    partner_visible: bool = Field(default=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    # Acted through a signed link (journey.referrals.links): no user account.
    via_link_id: int | None = Field(default=None, foreign_key="referral_links.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class LinkPurpose(enum.StrEnum):
    RESPOND = "respond"  # accept or decline
    OUTCOME = "outcome"  # record progress, report the outcome


class ReferralLink(SQLModel, table=True):
    """A signed, expiring link for a partner without an account, for one referral and one
    purpose, emailed to the service. Only the SHA-256 of its nonce is stored."""

    __tablename__ = "referral_links"
    __table_args__ = (enum_check("purpose", LinkPurpose),
                      sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"))

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referrals.id", index=True)
    purpose: str = Field(max_length=10)
    nonce_hash: str = Field(max_length=64, unique=True)
    email: str | None = Field(default=None, max_length=254)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Set when the purpose is done (the answer given, the outcome reported): it works no more.
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
