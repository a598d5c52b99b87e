"""The participant record."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.crypto import BlindIndex, EncryptedText, keep_blind_index
from journey.core.db import UTCDateTime, enum_check
from journey.stages import Stage


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    ANOTHER = "another"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class Disability(enum.StrEnum):
    """Whether the participant reports a disability (Washington Group short set in the details)."""

    NO = "no"
    YES = "yes"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"
    UNKNOWN = "unknown"


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Participant(SQLModel, table=True):
    __tablename__ = "participants"
    __table_args__ = (
        enum_check("sex", Sex),
        enum_check("stage", Stage),
        enum_check("disability", Disability),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("cycle >= 1", name="cycle_positive"),
        sa.CheckConstraint("sex = 'another' OR sex_self_described IS NULL", name="self_described_sex"),
        sa.Index("ix_participants_office_stage", "office_id", "stage"),
        sa.Index("ix_participants_name_key_dob", "name_key", "date_of_birth"),
        sa.Index("ix_participants_office_family_name", "office_id", "family_name", "id"),
        sa.Index("ix_participants_office_created", "office_id", "created_at", "id"),
        # The default sort (-created_at, then -id) with no office filter: an admin's list reads
        # a page off this index backwards instead of sorting the whole table.
        sa.Index("ix_participants_created_id", "created_at", "id"),
        # Free-text search (search_text LIKE '%…%'): a pg_trgm GIN index on PostgreSQL. SQLite
        # gets a plain index (it ignores the postgresql_* options), which its LIKE cannot seek
        # but which a count of matches can scan instead of the wide table.
        sa.Index("ix_participants_search_text_trgm", "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    office_id: int = Field(foreign_key="offices.id")
    programme_id: int | None = Field(default=None, foreign_key="programmes.id", index=True)
    # Written only by journey.continuum.services.apply_transition.
    stage: str = Field(default=Stage.INTAKE.value, max_length=20)
    previous_stage: str | None = Field(default=None, max_length=20)
    stage_entered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Circular migration: a rehire starts a new cycle with fresh checklists.
    cycle: int = Field(default=1)
    employer_id: int | None = Field(default=None, foreign_key="employers.id", index=True)
    # The caseworker who holds the case ("My work" lists their items); reassigned by supervisors.
    caseworker_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    arrival_date: date | None = None
    return_date: date | None = None

    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    # Case-, accent- and order-insensitive form of the names, for duplicate detection.
    name_key: str = Field(max_length=200)
    # Lower-cased names and reference joined, for free-text search (the phone is encrypted: a
    # search by phone goes through phone_index).
    search_text: str = Field(max_length=500)
    date_of_birth: date
    sex: str = Field(max_length=20)
    # Encrypted at rest (journey.core.crypto), like the contact details and the notes below.
    sex_self_described: str | None = Field(default=None,
                                           sa_type=EncryptedText("participants.sex_self_described"))
    gender_identity: str | None = Field(default=None,
                                        sa_type=EncryptedText("participants.gender_identity"))

    nationality: str = Field(max_length=2)
    origin_country: str = Field(max_length=2, index=True)
    destination_country: str | None = Field(default=None, max_length=2, index=True)

    phone: str | None = Field(default=None, sa_type=EncryptedText("participants.phone"))  # E.164
    # Keyed blind index of the phone: duplicate check, inbound SMS, search by number.
    phone_index: str | None = Field(default=None, sa_type=BlindIndex("phone"), index=True)
    email: str | None = Field(default=None, sa_type=EncryptedText("participants.email"))
    language: str = Field(max_length=16)
    timezone: str = Field(max_length=64)
    channels: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)

    disability: str = Field(default=Disability.UNKNOWN.value, max_length=20)
    disability_details: str | None = Field(
        default=None, sa_type=EncryptedText("participants.disability_details"))
    notes: str | None = Field(default=None, sa_type=EncryptedText("participants.notes"))

    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Set when the record was anonymised (journey.privacy.erasure): the row stays for the counts.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Optimistic concurrency: every write bumps it, and a stale write is refused.
    version: int = Field(default=1)


keep_blind_index(Participant, "phone_index")
