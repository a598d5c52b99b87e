"""The participant's timeline, shared by every domain.

A domain registers the kinds of entry it records (``Domain.timeline_kinds``) and writes them with
:func:`record`: one row in ``journey_events``, handed to every registered handler in the same
transaction (notifications queue messages, skill cards open a form). A domain whose history lives
in its own tables contributes it through a provider (``Domain.timeline_providers``) instead; the
timeline never reads another domain's tables itself. The registries live on the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, utcnow
from journey.core.per_app import PerApp

Entry = dict[str, Any]  # id, kind, occurred_at, actor_id, stage, reason, data
Provider = Callable[[Session, Any], list[Entry]]
Handler = Callable[[Session, Any, Entry], None]


class JourneyEvent(SQLModel, table=True):
    """One recorded timeline entry: the participant's history and the feed notifications and
    reports consume. ``kind`` is any kind a domain registered (no closed list in the schema)."""

    __tablename__ = "journey_events"
    __table_args__ = (
        sa.Index("ix_journey_events_participant_at", "participant_id", "occurred_at", "id"),
        sa.Index("ix_journey_events_kind_id", "kind", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id")
    kind: str = Field(max_length=40)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    stage: str | None = Field(default=None, max_length=20)
    # The reason a person gave (a transition's reason, an override's justification).
    reason: str | None = Field(default=None, max_length=2000)
    # One reminder per item and offset: scheduled events carry a key, and a key is written once.
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


@dataclass
class Registry:
    """One app's timeline: the kinds domains registered, their providers and handlers."""

    kinds: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (title, domain)
    providers: list[Provider] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)

    def add_kind(self, name: str, title: Any, domain: str) -> None:
        if name in self.kinds and self.kinds[name][1] != domain:
            raise ValueError(f"timeline kind {name!r} is registered by {self.kinds[name][1]}")
        if len(name) > JourneyEvent.__table__.c.kind.type.length:
            raise ValueError(f"timeline kind {name!r} is too long")
        self.kinds[name] = (title, domain)

    def title(self, kind: str) -> str:
        """The kind's title in the current language (the kind itself when unregistered)."""
        entry = self.kinds.get(kind)
        return str(entry[0]) if entry else kind


# registry() is the (current) app's Registry; init_app(app) gives an app its own.
registry = PerApp("journey_timeline", Registry)
init_app = registry.init_app


# A plain INSERT: entries are append-only and building a model instance costs more than it.
_INSERT = JourneyEvent.__table__.insert()
_T = JourneyEvent.__table__


def record(sess: Session, participant: Any, kind: str, *, actor_id: int | None = None,
           reason: str | None = None, dedupe_key: str | None = None, at: datetime | None = None,
           **data: Any) -> Entry:
    """Write a timeline entry of a registered kind and hand it to the registered handlers."""
    kind = str(getattr(kind, "value", kind))
    reg = registry()
    if kind not in reg.kinds:
        raise ValueError(f"unregistered timeline kind {kind!r}")
    entry = {"participant_id": participant.id, "kind": kind, "occurred_at": at or utcnow(),
             "actor_id": actor_id, "stage": participant.stage, "reason": reason,
             "dedupe_key": dedupe_key, "data": data}
    sess.connection().execute(_INSERT, [entry])
    for handler in reg.handlers:
        handler(sess, participant, entry)
    return entry


def recorded(sess: Session, participant_id: int) -> list[Entry]:
    """The participant's recorded entries, oldest first (plain rows: read often, never changed)."""
    return list(sess.execute(sa.select(_T).where(_T.c.participant_id == participant_id)
                             .order_by(_T.c.occurred_at, _T.c.id)).mappings().all())


def entries(sess: Session, participant: Any) -> list[Entry]:
    """Everything on the participant's timeline: recorded entries, then each provider's, merged
    in time order (at the same instant recorded entries come first, then providers in order)."""
    merged: list[tuple[datetime, int, Entry]] = [(e["occurred_at"], 0, e)
                                                 for e in recorded(sess, participant.id)]
    for rank, provider in enumerate(registry().providers, start=1):
        merged.extend((e["occurred_at"], rank, e) for e in provider(sess, participant))
    # Stable: each source keeps its own order among entries of the same instant.
    merged.sort(key=lambda item: (item[0], item[1]))
    return [e for _at, _rank, e in merged]
