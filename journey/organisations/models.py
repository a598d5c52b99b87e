"""The organisations users belong to."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime


def organisation_key(name: str) -> str:
    """The identity of an organisation's name: two names with the same key are the same name.

    Compared in Python, not with SQL ``lower()``, which SQLite applies to ASCII only ("6Å" and
    "6å" would differ there and collide on PostgreSQL). NFKC folds compatibility forms (full-width
    letters, ligatures), casefold folds case in every script, invisible format characters are
    dropped and whitespace is collapsed. Stored as a SHA-256 digest: NFKC can expand a 200
    character name many times over, and an index entry must stay small.
    """
    text = unicodedata.normalize("NFKC", name)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = " ".join(text.split())
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Office(SQLModel, table=True):
    """A migrant resource centre: caseworkers and supervisors work here."""

    __tablename__ = "offices"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    timezone: str = Field(max_length=64)
    # ISO weekdays the office works (1 = Monday ... 7 = Sunday): "12345" is Monday to Friday.
    # Business-day deadlines (journey.organisations.calendar) count these, less its holidays.
    working_days: str = Field(default="12345", max_length=7,
                              sa_column_kwargs={"server_default": "12345"})
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Optimistic concurrency (journey.core.versions): an edit names the version it read.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class OfficeHoliday(SQLModel, table=True):
    """A public holiday or closure day of an office: not a business day."""

    __tablename__ = "office_holidays"
    __table_args__ = (sa.UniqueConstraint("office_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    day: date
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class NamedOrganisation(SQLModel):
    """The columns of an organisation known by a name that is unique once folded."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # organisation_key(name), set from the name at every flush (_keep_key): the unique rule.
    name_key: str = Field(default="", max_length=64, unique=True)
    country: str = Field(max_length=2)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Employer(NamedOrganisation, table=True):
    __tablename__ = "employers"

    sector: str | None = Field(default=None, max_length=100)
    # ISIC Rev. 4: a section letter or a division, group or class code ("A", "01", "0111").
    isic_code: str | None = Field(default=None, max_length=4)
    # pending -> verified (by an admin) -> suspended; only a verified employer gets candidates
    # (journey.employers.models.Verification; checked by the schemas, not a CHECK constraint:
    # adding one would rebuild this table on SQLite, which many tables reference).
    verification: str = Field(default="pending", max_length=10,
                              sa_column_kwargs={"server_default": "pending"})
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ServiceProvider(NamedOrganisation, table=True):
    """A partner agency receiving referrals: job centre, health or legal service, consulate."""

    __tablename__ = "service_providers"

    kind: str = Field(max_length=50)
    # HSDS organization: what it does and how to reach it (journey.referrals' directory). The
    # email receives referrals and signed links for services that have none of their own.
    description: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    website: str | None = Field(default=None, max_length=500)


def _keep_key(_mapper, _connection, target) -> None:
    # At every flush, however the row was made (service, demo loader, test factory): SQLModel's
    # constructor bypasses attribute events, so an attribute listener would miss it.
    target.name_key = organisation_key(target.name)


for _model in (Employer, ServiceProvider):
    sa.event.listen(_model, "before_insert", _keep_key)
    sa.event.listen(_model, "before_update", _keep_key)
