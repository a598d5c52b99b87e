"""A cost of one participant's migration, with who paid it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, enum_check


class CostCategory(enum.StrEnum):
    RECRUITMENT_FEE = "recruitment_fee"
    PRESELECTION = "preselection"
    SKILLS_RECOGNITION = "skills_recognition"
    TRAINING = "training"
    STIPEND = "stipend"
    PASSPORT = "passport"
    VISA_FEE = "visa_fee"
    TRAVEL = "travel"
    HEALTH_CHECK = "health_check"
    INTEGRATION = "integration"
    RETURN_SUPPORT = "return_support"
    OTHER = "other"


class Payer(enum.StrEnum):
    GOVERNMENT_ORIGIN = "government_origin"
    GOVERNMENT_DESTINATION = "government_destination"
    EMPLOYER = "employer"
    MIGRANT = "migrant"
    PROGRAMME = "programme"  # donor or programme budget


# Under the Employer Pays principle migrants pay none of these (ILO definition of recruitment
# fees and related costs: recruitment, skills tests, medical checks, visas and permits, travel).
RECRUITMENT_COSTS = frozenset({
    CostCategory.RECRUITMENT_FEE, CostCategory.PRESELECTION, CostCategory.SKILLS_RECOGNITION,
    CostCategory.VISA_FEE, CostCategory.TRAVEL, CostCategory.HEALTH_CHECK,
})


class Cost(SQLModel, table=True):
    __tablename__ = "costs"
    __table_args__ = (
        enum_check("category", CostCategory),
        enum_check("paid_by", Payer),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    category: str = Field(max_length=30)
    amount: Decimal = Field(sa_type=sa.Numeric(12, 2))
    currency: str = Field(max_length=3)
    paid_by: str = Field(max_length=30)
    paid_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})
