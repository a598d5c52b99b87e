"""Append-only audit log: who did what to which object, when, under which request. Ids only."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, utcnow

logger = logging.getLogger(__name__)

ACTION_RE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*:[a-z][a-z_]*$")
# Details may carry ids, counts, codes and field names; never free text from a person.
_ALLOWED_DETAIL_TYPES = (int, float, bool, str, type(None))


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_office_occurred", "office_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(max_length=80, index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = Field(default=None)
    # The office whose data was touched, so supervisors can read their office's trail.
    office_id: int | None = Field(default=None, foreign_key="offices.id")
    request_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


def _check_details(details: dict[str, Any]) -> dict[str, Any]:
    for key, value in details.items():
        if isinstance(value, list):
            bad = [v for v in value if not isinstance(v, int | str) or isinstance(v, bool)]
        else:
            bad = [] if isinstance(value, _ALLOWED_DETAIL_TYPES) else [value]
        if bad:
            raise TypeError(f"audit detail {key!r} must hold ids, codes or numbers")
    return details


_INSERT = AuditEvent.__table__.insert()


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    object_type: str,
    object_id: int | None = None,
    office_id: int | None = None,
    **details: Any,
) -> None:
    """Write an audit event in the session's transaction; it commits with the change it describes.

    A plain INSERT, not an ORM object: audit rows are written on every request and never read
    back in the same unit of work, and building a model instance costs more than the INSERT.
    """
    if not ACTION_RE.match(action):
        raise ValueError(f"audit action {action!r} is not domain:subject:action")
    # On the session's connection (its transaction), bypassing the ORM's bulk-insert machinery.
    session.connection().execute(_INSERT, [{
        "occurred_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "office_id": office_id,
        "request_id": g.get("request_id") if has_request_context() else None,
        "details": _check_details(details),
    }])
