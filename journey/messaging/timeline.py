"""Messaging's part of the participant's timeline: every message and its delivery status."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.models import OutboxMessage

_OUTBOX = OutboxMessage.__table__
_MESSAGES = (sa.select(_OUTBOX.c.id, _OUTBOX.c.created_at, _OUTBOX.c.channel, _OUTBOX.c.template,
                       _OUTBOX.c.language, _OUTBOX.c.status, _OUTBOX.c.skip_reason)
             .where(_OUTBOX.c.participant_id == sa.bindparam("pid")).order_by(_OUTBOX.c.id))


def message_entries(sess: Session, participant: Any) -> list[dict[str, Any]]:
    """The participant's outbox messages as timeline entries of kind "message"."""
    return [{"id": m.id, "kind": "message", "occurred_at": m.created_at, "actor_id": None,
             "stage": None, "reason": None,
             "data": {"channel": m.channel, "template": m.template, "language": m.language,
                      "status": m.status, "skip_reason": m.skip_reason}}
            for m in sess.execute(_MESSAGES, {"pid": participant.id})]
