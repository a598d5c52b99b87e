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
    INSURANCE = "insurance"
    EQUIPMENT = "equipment"
    LODGING = "lodging"
    PERMIT = "permit"
    CONTRACT = "contract"
    INTEGRATION = "integration"
    RETURN_SUPPORT = "return_support"
    OTHER = "other"


class Payer(enum.StrEnum):
    GOVERNMENT_ORIGIN = "government_origin"
    GOVERNMENT_DESTINATION = "government_destination"
    EMPLOYER = "employer"
    MIGRANT = "migrant"
    PROGRAMME = "programme"  # donor or programme budget


# Under the Employer Pays principle migrants pay none of these: the ILO definition of recruitment
# fees and related costs (2019): recruitment fees; medical costs; insurance; skills and
# qualification tests; training and orientation; equipment; travel and lodging; administrative
# costs (passports, visas, permits, contracts). Stipends, integration, return support and
# "other" lie outside it.
RECRUITMENT_COSTS = frozenset({
    CostCategory.RECRUITMENT_FEE, CostCategory.PRESELECTION, CostCategory.SKILLS_RECOGNITION,
    CostCategory.TRAINING, CostCategory.PASSPORT, CostCategory.VISA_FEE, CostCategory.TRAVEL,
    CostCategory.HEALTH_CHECK, CostCategory.INSURANCE, CostCategory.EQUIPMENT,
    CostCategory.LODGING, CostCategory.PERMIT, CostCategory.CONTRACT,
})


class Cost(SQLModel, table=True):
    __tablename__ = "costs"
    __table_args__ = (
        enum_check("category", CostCategory),
        enum_check("paid_by", Payer),
        enum_check("should_have_paid", Payer),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("refund_amount IS NULL OR refund_amount >= 0",
                           name="refund_not_negative"),
        # A refund is recorded whole: when, how much, by whom.
        sa.CheckConstraint("(refunded_at IS NULL) = (refund_amount IS NULL)",
                           name="refund_complete"),
        # The Employer Pays summaries read costs by placement.
        sa.Index("ix_costs_placement_payer", "placement_id", "paid_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    category: str = Field(max_length=30)
    amount: Decimal = Field(sa_type=sa.Numeric(12, 2))
    currency: str = Field(max_length=3)
    paid_by: str = Field(max_length=30)
    paid_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    # Who should have paid under the programme's cost-sharing (IOM seed Table 3, I:1544-1565).
    should_have_paid: str | None = Field(default=None, max_length=30)
    # What shows it was paid: a receipt's number, where the document is kept.
    evidence: str | None = Field(default=None, max_length=500)
    # The placement the cost belongs to, and whom it is held against (an employer or a
    # recruiter): an Employer Pays breach opens a grievance against them (journey.costs.breaches).
    placement_id: int | None = Field(default=None, foreign_key="placements.id")
    employer_id: int | None = Field(default=None, foreign_key="employers.id", index=True)
    recruiter_id: int | None = Field(default=None, foreign_key="recruiters.id", index=True)
    breach_grievance_id: int | None = Field(default=None, foreign_key="grievances.id")
    # A refund to the migrant closes the breach; the cost row keeps the history.
    refund_amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refunded_by: int | None = Field(default=None, foreign_key="users.id")
    refund_note: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})
