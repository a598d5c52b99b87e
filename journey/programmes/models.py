"""A programme runs one corridor (origin → destination) in one sector.

No `from __future__ import annotations` here: SQLModel resolves Relationship types at runtime.
"""


from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from journey.core.db import UTCDateTime
from journey.organisations.models import Employer


class ProgrammeEmployer(SQLModel, table=True):
    """An employer taking part in a programme."""

    __tablename__ = "programme_employers"

    programme_id: int = Field(foreign_key="programmes.id", primary_key=True)
    employer_id: int = Field(foreign_key="employers.id", primary_key=True)


class Programme(SQLModel, table=True):
    __tablename__ = "programmes"
    __table_args__ = (
        sa.CheckConstraint("origin_country != destination_country", name="distinct_countries"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    origin_country: str = Field(max_length=2)
    destination_country: str = Field(max_length=2)
    sector: str = Field(max_length=100)
    # ISCO-08 unit group codes the programme trains and places for.
    occupations: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    default_language: str = Field(default="en", max_length=16)
    # Other languages the programme works in (BCP 47), besides the default.
    languages: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    training_provider_id: int | None = Field(default=None, foreign_key="service_providers.id")
    # How this programme adapts the default checklists (journey.stages.checklists).
    checklist_config: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    # The numbers messages and pages cite for this programme's participants, each optional:
    # {"helpline": ..., "emergency": ..., "embassy": ...} (journey.programmes.contacts).
    # NULL for programmes created before the column (a JSON server default cannot be compared
    # on PostgreSQL, so `db check` could not hold it): read as no numbers of its own.
    contacts: dict[str, Any] | None = Field(default_factory=dict, sa_type=sa.JSON, nullable=True)
    # The budget per hire the Employer Pays summary compares each placement's costs with.
    budget_per_hire: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    budget_currency: str | None = Field(default=None, max_length=3)
    # The onboarding steps employers confirm for this programme's placements, in order (keys
    # of journey.employers.onboarding.STEP_TITLES); NULL: the default list.
    onboarding_steps: list[str] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Optimistic concurrency (journey.core.versions): an edit may name the version it read.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})

    # Loaded on demand: most code needs a programme's settings, not its partners.
    employers: list[Employer] = Relationship(link_model=ProgrammeEmployer)

