"""The trivial domain's one table.

Its own metadata, so this test-only table never joins the application's (Alembic, `db check`
and the tests that walk every table see only the real schema); the test creates it itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from journey.participants.models import Participant


class TrivialBase(SQLModel, registry=registry()):
    pass


class Note(TrivialBase, table=True):
    __tablename__ = "trivial_notes"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey(Participant.__table__.c.id), nullable=False, index=True))
    text: str = Field(max_length=500)
    source: str = Field(max_length=10)
