"""The organisations users belong to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime


class Office(SQLModel, table=True):
    """A migrant resource centre: caseworkers and supervisors work here."""

    __tablename__ = "offices"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    timezone: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Employer(SQLModel, table=True):
    __tablename__ = "employers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    country: str = Field(max_length=2)
    sector: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ServiceProvider(SQLModel, table=True):
    """A partner agency receiving referrals: job centre, health or legal service, consulate."""

    __tablename__ = "service_providers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    country: str = Field(max_length=2)
    kind: str = Field(max_length=50)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
