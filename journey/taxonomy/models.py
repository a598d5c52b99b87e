"""The occupation taxonomy: ISCO-08 groups (major → sub-major → minor → unit) and ESCO occupations."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class IscoGroup(SQLModel, table=True):
    """One ISCO-08 group. The code's length is its level: '2' major, '22' sub-major, '222' minor,
    '2221' unit. Codes are strings: '0110' keeps its leading zero."""

    __tablename__ = "isco_groups"
    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_valid"),
        sa.CheckConstraint("length(code) = level", name="code_matches_level"),
        sa.CheckConstraint("(level = 1) = (parent_code IS NULL)", name="parent_unless_major"),
    )

    code: str = Field(primary_key=True, max_length=4)
    level: int
    label: str = Field(max_length=255)
    # Lower-cased, accent-folded label, for search.
    label_key: str = Field(max_length=255, index=True)
    parent_code: str | None = Field(default=None, max_length=4, foreign_key="isco_groups.code",
                                    index=True)


class EscoOccupation(SQLModel, table=True):
    """An ESCO occupation, filed under one ISCO-08 unit group."""

    __tablename__ = "esco_occupations"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=255, unique=True)
    label: str = Field(max_length=255)
    label_key: str = Field(max_length=255, index=True)
    isco_code: str = Field(max_length=4, foreign_key="isco_groups.code", index=True)
