"""A programme runs one corridor (origin → destination) in one sector."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime


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
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
