"""Audit events for requests that are about to be refused.

A refused request rolls back, and an audit event written in its transaction would go with it. So
the request's transaction is ended first, and the event written in a transaction of its own: ended
first, because on SQLite every transaction takes the write lock (journey.core.db), and a second
one opened beside it would wait for the first until busy_timeout.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.db import db


def record_before_refusal(sess: Session, action: str, *, actor_id: int | None, object_type: str,
                          object_id: int | None = None, office_id: int | None = None,
                          **details: Any) -> None:
    """Roll the request's session back, then write one audit event in its own transaction.

    Pass plain ids: objects loaded in `sess` are expired by the rollback. Any other session (a
    job's, a command's) is left alone: the event joins its transaction, and the caller decides.
    """
    event = {"actor_id": actor_id, "object_type": object_type, "object_id": object_id,
             "office_id": office_id, **details}
    if not (has_request_context() and g.get("_journey_session") is sess):
        audit.record(sess, action, **event)
        return
    sess.rollback()
    with db.job_session() as s:
        audit.record(s, action, **event)
