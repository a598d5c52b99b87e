"""Employers as a domain (issue #15): their people and Employer Pays commitments, vacancies,
candidates presented to them and the decisions they take, placements with their onboarding steps
and retention, and the recruiters registry.

The employer record itself is ``journey.organisations.models.Employer`` (users point at it); the
verification status lives there. Everything here hangs off it.

What an employer user may see is decided in journey.employers.access: the candidacies of their own
employer, and of a candidate only what journey.passports.disclosure allows. Notes written about a
person (a decision's note, a contest) are encrypted at rest.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.crypto import EncryptedText
from journey.core.db import UTCDateTime, enum_check
from journey.core.i18n import _l
from journey.organisations.models import organisation_key


class Verification(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


VERIFICATION_TITLES = {Verification.PENDING: _l("Pending verification"),
                       Verification.VERIFIED: _l("Verified"),
                       Verification.SUSPENDED: _l("Suspended")}


class EmployerContact(SQLModel, table=True):
    """A contact person of an employer (HR, the site manager who meets arrivals). Onboarding links
    for employers without an account go to a contact's email."""

    __tablename__ = "employer_contacts"

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employers.id", index=True)
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    language: str = Field(default="en", max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EmployerPaysCommitment(SQLModel, table=True):
    """A signed Employer Pays commitment: the employer pays every recruitment fee and related cost
    (IOM seed I:1485, I:1616, I:1660). A new version is a new row; the latest one counts."""

    __tablename__ = "employer_pays_commitments"
    __table_args__ = (sa.UniqueConstraint("employer_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employers.id", index=True)
    version: str = Field(max_length=20)  # the text's version, e.g. "2026-1"
    signed_on: date
    signatory_name: str = Field(max_length=200)
    signatory_title: str | None = Field(default=None, max_length=200)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Recruiter(SQLModel, table=True):
    """A recruitment agency: regulated, licensed, serving some corridors (IOM seed I:1658)."""

    __tablename__ = "recruiters"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(default="", max_length=64, unique=True)
    country: str = Field(max_length=2)
    licence_number: str | None = Field(default=None, max_length=64)
    issuing_authority: str | None = Field(default=None, max_length=200)
    licence_expires_on: date | None = None
    # Corridors served, as "NP-PT" (origin-destination, ISO 3166-1 alpha-2).
    corridors: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


def _keep_key(_mapper, _connection, target) -> None:
    target.name_key = organisation_key(target.name)


sa.event.listen(Recruiter, "before_insert", _keep_key)
sa.event.listen(Recruiter, "before_update", _keep_key)


class VacancyStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


VACANCY_STATUS_TITLES = {VacancyStatus.DRAFT: _l("Draft"), VacancyStatus.OPEN: _l("Open"),
                         VacancyStatus.FILLED: _l("Filled"), VacancyStatus.CLOSED: _l("Closed")}


class Vacancy(SQLModel, table=True):
    """Work an employer offers in a programme. Employers draft; staff publish (open)."""

    __tablename__ = "vacancies"
    __table_args__ = (
        enum_check("status", VacancyStatus),
        sa.CheckConstraint("positions >= 1", name="positions_positive"),
        sa.CheckConstraint("wage_amount IS NULL OR wage_amount >= 0", name="wage_not_negative"),
        sa.Index("ix_vacancies_employer_status", "employer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employer_id: int = Field(foreign_key="employers.id")
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    title: str = Field(max_length=200)
    # ESCO occupation URI and its ISCO-08 unit group.
    occupation_uri: str | None = Field(default=None, max_length=255)
    isco_code: str | None = Field(default=None, max_length=4)
    # ESCO skill URIs.
    required_skills: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    optional_skills: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    # [{"language": "pt", "level": "B1"}]: ISO 639-1 with a CEFR level.
    languages: list[dict] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    certificates: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    place: str = Field(max_length=200)
    positions: int = Field(default=1)
    start_date: date | None = None
    wage_amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    wage_currency: str | None = Field(default=None, max_length=3)
    wage_period: str | None = Field(default=None, max_length=10)  # hour, month, year
    conditions: str | None = Field(default=None, max_length=4000)
    status: str = Field(default=VacancyStatus.DRAFT.value, max_length=10)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    published_by: int | None = Field(default=None, foreign_key="users.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CandidacyState(enum.StrEnum):
    PRESENTED = "presented"
    SHORTLISTED = "shortlisted"
    INTERVIEWED = "interviewed"
    SELECTED = "selected"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by the centre or the participant (consent withdrawn)


CANDIDACY_STATE_TITLES = {
    CandidacyState.PRESENTED: _l("Presented"), CandidacyState.SHORTLISTED: _l("Shortlisted"),
    CandidacyState.INTERVIEWED: _l("Interviewed"), CandidacyState.SELECTED: _l("Selected"),
    CandidacyState.REJECTED: _l("Not selected"), CandidacyState.WITHDRAWN: _l("Withdrawn")}
ACTIVE_CANDIDACY = (CandidacyState.PRESENTED, CandidacyState.SHORTLISTED,
                    CandidacyState.INTERVIEWED)


class DecisionReason(enum.StrEnum):
    """The fixed list an employer picks from at every step (plus a note)."""

    SKILLS_MATCH = "skills_match"
    EXPERIENCE = "experience"
    LANGUAGE = "language"
    INTERVIEW_PERFORMANCE = "interview_performance"
    AVAILABILITY = "availability"
    SKILLS_GAP = "skills_gap"
    LANGUAGE_GAP = "language_gap"
    CERTIFICATE_MISSING = "certificate_missing"
    POSITION_FILLED = "position_filled"
    CANDIDATE_DECLINED = "candidate_declined"
    OTHER = "other"


DECISION_REASON_TITLES = {
    DecisionReason.SKILLS_MATCH: _l("Skills match the job"),
    DecisionReason.EXPERIENCE: _l("Relevant work experience"),
    DecisionReason.LANGUAGE: _l("Language level fits"),
    DecisionReason.INTERVIEW_PERFORMANCE: _l("Interview"),
    DecisionReason.AVAILABILITY: _l("Availability and start date"),
    DecisionReason.SKILLS_GAP: _l("Skills do not match the job"),
    DecisionReason.LANGUAGE_GAP: _l("Language level too low"),
    DecisionReason.CERTIFICATE_MISSING: _l("A required certificate is missing"),
    DecisionReason.POSITION_FILLED: _l("The positions are filled"),
    DecisionReason.CANDIDATE_DECLINED: _l("The candidate declined"),
    DecisionReason.OTHER: _l("Another reason"),
}


class Candidacy(SQLModel, table=True):
    """A participant presented to a vacancy, and where the employer's selection stands."""

    __tablename__ = "candidacies"
    __table_args__ = (
        enum_check("state", CandidacyState),
        sa.UniqueConstraint("vacancy_id", "participant_id"),
        # The employer's list of a vacancy's candidates, by state.
        sa.Index("ix_candidacies_vacancy_state", "vacancy_id", "state", "id"),
        # ... and in any state, a page at a time by id (keyset): no sort of the whole vacancy.
        sa.Index("ix_candidacies_vacancy_page", "vacancy_id", "id"),
        sa.Index("ix_candidacies_employer_state", "employer_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vacancy_id: int = Field(foreign_key="vacancies.id")
    participant_id: int = Field(foreign_key="participants.id", index=True)
    # The vacancy's employer, kept on the row so every employer query is one indexed filter.
    employer_id: int = Field(foreign_key="employers.id")
    # The agency that recruited the candidate, if any (checked again at placement).
    recruiter_id: int | None = Field(default=None, foreign_key="recruiters.id", index=True)
    state: str = Field(default=CandidacyState.PRESENTED.value, max_length=12)
    presented_by: int | None = Field(default=None, foreign_key="users.id")
    presented_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CandidacyStep(SQLModel, table=True):
    """One step of a candidacy (presented, shortlisted, ...): who took it, the reason from the
    fixed list, and a note (encrypted). The timeline of the selection."""

    __tablename__ = "candidacy_steps"
    __table_args__ = (enum_check("state", CandidacyState),
                      enum_check("reason", DecisionReason))

    id: int | None = Field(default=None, primary_key=True)
    candidacy_id: int = Field(foreign_key="candidacies.id", index=True)
    state: str = Field(max_length=12)
    reason: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, sa_type=EncryptedText("candidacy_steps.note"))
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class PlacementStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class Placement(SQLModel, table=True):
    """A participant working for an employer through a vacancy: contract dates, the recruiter,
    retention. A participant holds at most one active placement (a partial unique index)."""

    __tablename__ = "placements"
    __table_args__ = (
        enum_check("status", PlacementStatus),
        sa.CheckConstraint("contract_end IS NULL OR contract_start IS NULL "
                           "OR contract_end >= contract_start", name="contract_ends_after_start"),
        sa.CheckConstraint("(status = 'ended') = (ended_at IS NOT NULL)", name="ended_complete"),
        sa.Index("uq_placements_one_active", "participant_id", unique=True,
                 sqlite_where=sa.text("status = 'active'"),
                 postgresql_where=sa.text("status = 'active'")),
        sa.Index("ix_placements_employer_status", "employer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    employer_id: int = Field(foreign_key="employers.id")
    vacancy_id: int | None = Field(default=None, foreign_key="vacancies.id", index=True)
    candidacy_id: int | None = Field(default=None, foreign_key="candidacies.id")
    recruiter_id: int | None = Field(default=None, foreign_key="recruiters.id", index=True)
    programme_id: int | None = Field(default=None, foreign_key="programmes.id", index=True)
    contract_start: date | None = None
    contract_end: date | None = None
    arrived_on: date | None = None  # from the continuum's arrival; retention counts from it
    status: str = Field(default=PlacementStatus.ACTIVE.value, max_length=10)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=30)
    # Circular re-entry: the placement this one hires the same worker again after.
    rehire_of_id: int | None = Field(default=None, foreign_key="placements.id")
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class StepStatus(enum.StrEnum):
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    CONTESTED = "contested"  # the participant says it did not happen: a grievance is open


STEP_STATUS_TITLES = {StepStatus.WAITING: _l("Waiting for the employer"),
                      StepStatus.CONFIRMED: _l("Confirmed"),
                      StepStatus.CONTESTED: _l("Contested")}


class OnboardingStep(SQLModel, table=True):
    """A step the employer confirms (contract signed, first wage paid ...), from the programme's
    list (journey.employers.onboarding)."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        enum_check("status", StepStatus),
        sa.UniqueConstraint("placement_id", "key"),
        sa.CheckConstraint("status = 'waiting' OR confirmed_at IS NOT NULL",
                           name="confirmed_when_done"),
        sa.Index("ix_onboarding_steps_status", "status", "placement_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    placement_id: int = Field(foreign_key="placements.id", index=True)
    key: str = Field(max_length=40)
    position: int = Field(default=0)
    due_on: date | None = None
    status: str = Field(default=StepStatus.WAITING.value, max_length=10)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: int | None = Field(default=None, foreign_key="users.id")  # None: through a link
    # The link it was confirmed through (no foreign key: links point at steps already).
    confirmed_via_link_id: int | None = None
    note: str | None = Field(default=None, sa_type=EncryptedText("onboarding_steps.note"))
    contested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    contest_grievance_id: int | None = Field(default=None, foreign_key="grievances.id")
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class OnboardingLink(SQLModel, table=True):
    """A signed, expiring, single-use link confirming one onboarding step, emailed to an employer
    contact without an account. Only the SHA-256 of its nonce is stored."""

    __tablename__ = "onboarding_links"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="onboarding_steps.id", index=True)
    nonce_hash: str = Field(max_length=64, unique=True)
    contact_id: int | None = Field(default=None, foreign_key="employer_contacts.id")
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RetentionCheck(SQLModel, table=True):
    """Whether the worker is still with the employer 3, 6 and 12 months after arrival."""

    __tablename__ = "retention_checks"
    __table_args__ = (
        sa.UniqueConstraint("placement_id", "months"),
        sa.CheckConstraint("months IN (3, 6, 12)", name="months_valid"),
        sa.Index("ix_retention_checks_due", "recorded_at", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    placement_id: int = Field(foreign_key="placements.id", index=True)
    months: int
    due_on: date
    retained: bool | None = None
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
