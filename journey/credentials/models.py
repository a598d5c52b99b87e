"""Signing keys and the credentials issued with them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, enum_check


class SigningKey(SQLModel, table=True):
    """A public key the organisation has signed credentials with. Kept after rotation so that
    credentials signed with an old key still verify; the private key never enters the database."""

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)  # RFC 7638 JWK thumbprint
    public_jwk: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Scope(enum.StrEnum):
    """What a credential covers."""

    PASSPORT = "passport"
    ENTRY = "entry"  # a single qualification or skill
    SKILL_CARD = "skill_card"


class Credential(SQLModel, table=True):
    """An issued AchievementCredential. `token` is the signed VC-JWT as handed out."""

    __tablename__ = "credentials"
    __table_args__ = (
        enum_check("scope", Scope),
        sa.CheckConstraint("(scope = 'entry') = (entry_id IS NOT NULL)", name="entry_scope"),
        sa.CheckConstraint("(revoked_at IS NULL) = (revocation_reason IS NULL)",
                           name="revocation_complete"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)  # the credential's id is urn:uuid:<uuid>
    participant_id: int = Field(foreign_key="participants.id", index=True)
    scope: str = Field(max_length=20)
    entry_id: int | None = Field(default=None, foreign_key="passport_entries.id", index=True)
    entry_version: int | None = None
    kid: str = Field(max_length=64, foreign_key="signing_keys.kid")
    language: str = Field(max_length=16)  # the participant's language, besides English
    token: str = Field(sa_type=sa.Text)
    issued_by: int | None = Field(default=None, foreign_key="users.id")
    issued_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
    revocation_reason: str | None = Field(default=None, max_length=500)
