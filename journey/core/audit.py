"""Append-only, hash-chained audit log: who did what to which object, when, under which request.

Ids only, never personal data. Each event carries ``seq`` (its place in the chain: 1, 2, 3 …),
``prev_hash`` (the hash of event ``seq - 1``, or GENESIS for the first) and ``hash``: sha256 over a
canonical JSON of all its fields, id and prev_hash included (``event_hash``). Editing an event
changes its hash; removing one leaves a gap in ``seq`` and a ``prev_hash`` nothing matches.
``journey audit verify`` (journey.auditlog.chain) walks the chain. Triggers (migration 0007) refuse
UPDATE, DELETE, REPLACE and TRUNCATE; the chain shows whatever got past them anyway.

How events are chained without serialising requests or deadlocking:

* ``record()`` does not insert. It validates the event and buffers it on the session
  (``session.info``), remembering the (nested) transaction it was recorded in; a savepoint or
  transaction that rolls back drops its events, as it would have dropped their rows.
* A ``before_commit`` hook writes the buffer last: it flushes the ORM first (so every row lock the
  transaction needs is already taken), then on PostgreSQL takes ``pg_advisory_xact_lock(CHAIN_LOCK)``,
  reads the chain's head (``ORDER BY seq DESC LIMIT 1``, an index lookup), and inserts the events
  with their ids, seq and hashes. The lock is the last one the transaction takes and is held only
  for that insert and the COMMIT, so two transactions can never wait on each other through it:
  whoever holds it waits for nothing but its own INSERT (whose foreign keys take KEY SHARE locks
  on users/offices rows, which only a DELETE or key change of those rows would block; nothing
  does that). On SQLite every writing transaction is already BEGIN IMMEDIATE (journey.core.db),
  which serialises writers, so no extra lock is needed.
* The UNIQUE index on ``seq`` is the backstop: were two writers ever to chain onto the same head,
  the second would fail instead of forking the chain.
* Code that reads AuditEvent through the ORM in the same transaction sees its own buffered
  events: a ``do_orm_execute`` hook writes the buffer before a SELECT that touches audit_events
  (taking the chain lock at that point on PostgreSQL, which only such readers pay). ``flush()``
  does the same explicitly, e.g. before Core reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.util import find_tables
from sqlmodel import Field, SQLModel

from journey.core.db import UTCDateTime, utcnow

logger = logging.getLogger(__name__)

ACTION_RE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*:[a-z][a-z_]*$")
# Details may carry ids, counts, codes and field names; never free text from a person.
_ALLOWED_DETAIL_TYPES = (int, float, bool, str, type(None))

GENESIS = "0" * 64
"""The prev_hash of the first event."""
CHAIN_LOCK = int.from_bytes(b"jrnyaudt", "big")
"""The PostgreSQL advisory lock key held while appending to the chain."""
HASHED_FIELDS = ("id", "seq", "occurred_at", "actor_id", "action", "object_type", "object_id",
                 "office_id", "request_id", "details", "prev_hash")
_BUFFER = "journey_audit_buffer"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_office_occurred", "office_id", "occurred_at"),
        sa.Index("ix_audit_events_seq", "seq", unique=True),
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
    # The chain: position, the previous event's hash, and this event's own.
    seq: int = Field(nullable=False)
    prev_hash: str = Field(max_length=64, nullable=False)
    hash: str = Field(max_length=64, nullable=False)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any]) -> str:
    """sha256 (hex) of the event's HASHED_FIELDS as canonical JSON (sorted keys, no spaces).

    ``fields`` are the values as Python reads them back (aware occurred_at, details a dict), so
    the writer, the migration's backfill and the verifier compute the same string.
    """
    doc = {name: fields[name] for name in HASHED_FIELDS}
    doc["occurred_at"] = _canonical_time(doc["occurred_at"])
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_details(details: dict[str, Any]) -> dict[str, Any]:
    for key, value in details.items():
        if isinstance(value, list):
            bad = [v for v in value if not isinstance(v, int | str) or isinstance(v, bool)]
        else:
            bad = [] if isinstance(value, _ALLOWED_DETAIL_TYPES) else [value]
        if bad:
            raise TypeError(f"audit detail {key!r} must hold ids, codes or numbers")
    return details


_TABLE = AuditEvent.__table__
_INSERT = _TABLE.insert()
_NEWEST = sa.select(_TABLE.c.seq).order_by(_TABLE.c.seq.desc()).limit(1)
_HEAD_SEQ = _NEWEST.scalar_subquery()
_HEAD_HASH = _NEWEST.with_only_columns(_TABLE.c.hash).scalar_subquery()
_PG_NEXT_ID = sa.func.nextval(sa.func.pg_get_serial_sequence("audit_events", "id"))
# SQLite would give a row without an id max(id) + 1 (no AUTOINCREMENT); it is taken up front
# because the id is hashed. Under BEGIN IMMEDIATE nobody else can insert meanwhile.
_SQLITE_HEAD = sa.select(_HEAD_SEQ, _HEAD_HASH, sa.select(
    sa.func.coalesce(sa.func.max(_TABLE.c.id), 0) + 1).scalar_subquery())


def _head_and_ids(conn: sa.Connection, n: int) -> tuple[int, str, list[int]]:
    """The chain's head (seq, hash) and n fresh ids, in one round trip."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.select(_HEAD_SEQ, _HEAD_HASH, _PG_NEXT_ID)
                            .select_from(sa.func.generate_series(1, n))).all()
        ids = sorted(r[2] for r in rows)
        seq, prev = rows[0][0], rows[0][1]
    else:
        seq, prev, first = conn.execute(_SQLITE_HEAD).one()
        ids = list(range(first, first + n))
    return (seq, prev, ids) if seq is not None else (0, GENESIS, ids)


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
    """Add an audit event to the session's transaction; it is chained and written at commit,
    with the change it describes, and vanishes if that change is rolled back."""
    if not ACTION_RE.match(action):
        raise ValueError(f"audit action {action!r} is not domain:subject:action")
    fields = {
        "occurred_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "office_id": office_id,
        "request_id": g.get("request_id") if has_request_context() else None,
        "details": _check_details(details),
    }
    # Begins the transaction as the INSERT used to, so there is one to tie the event to.
    session.connection()
    txn = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_BUFFER, []).append((txn, fields))


def flush(session: Session) -> int:
    """Chain and insert the session's buffered events now; returns how many were written."""
    buffered = session.info.get(_BUFFER)
    if not buffered:
        return 0
    n = len(buffered)
    append(session.connection(), [fields for _txn, fields in buffered])
    buffered.clear()
    return n


def append(conn: sa.Connection, events: list[dict[str, Any]]) -> None:
    """Chain and insert events on this connection, in its transaction: the one way rows get into
    audit_events. Each event holds the fields record() fills (occurred_at, actor_id, action,
    object_type, object_id, office_id, request_id, details); bulk loaders (benchmarks, imports)
    that bypass the session call this instead of a plain INSERT."""
    if not events:
        return
    if conn.dialect.name == "postgresql":
        # A statement of its own: in READ COMMITTED the next statement's snapshot is taken after
        # the lock is granted, so it sees the head the previous holder committed.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    seq, prev, ids = _head_and_ids(conn, len(events))
    rows = []
    for event_id, fields in zip(ids, events, strict=True):
        seq += 1
        row = {**fields, "id": event_id, "seq": seq, "prev_hash": prev}
        row["hash"] = prev = event_hash(row)
        rows.append(row)
    conn.execute(_INSERT, rows)


def _within(txn: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ended:
            return True
        txn = txn.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    buffered = session.info.get(_BUFFER)
    if buffered:
        buffered[:] = [e for e in buffered if not _within(e[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _drop_closed(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without commit ends its transaction without a soft rollback; the session
    # object may be used again, and must not write these events in its next transaction.
    buffered = session.info.get(_BUFFER)
    if buffered and transaction.parent is None:
        buffered[:] = [e for e in buffered if not _within(e[0], transaction)]


@event.listens_for(Session, "before_commit")
def _write_on_commit(session: Session) -> None:
    # Fired for savepoints too; only the outermost commit writes, after everything else.
    if session.info.get(_BUFFER) and not session.in_nested_transaction():
        session.flush()
        flush(session)


@event.listens_for(Session, "after_commit")
def _nothing_left(session: Session) -> None:
    buffered = session.info.get(_BUFFER)
    if buffered and not session.in_nested_transaction():
        # Only a root transaction committed directly while a savepoint was open gets here.
        logger.error("audit events not written at commit count=%d", len(buffered))
        buffered.clear()


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    if state.session.info.get(_BUFFER) and state.is_select and _TABLE in find_tables(
            state.statement, include_joins=True):
        flush(state.session)
