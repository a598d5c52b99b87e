"""Append-only, hash-chained audit log: who did what to which object, when, under which request.

Ids only, never personal data. Events (``audit_events``) are written with the change they
describe and chained afterwards, apart from the commit path, by a sealer: the chain is a second
append-only table, ``audit_seals``, one row per event: ``seq`` (its place in the chain: 1, 2, 3
…), ``event_id``, ``prev_hash`` (the hash of seal ``seq - 1``, or GENESIS for the first) and
``hash``: sha256 over a canonical JSON of the event's fields, its id, its seq and prev_hash
(``event_hash``, unchanged since the chain lived on the event rows, so heads noted before
migration 0016 still verify). Editing an event changes its hash; removing one leaves a seal
naming nothing, or a gap in ``seq``. ``journey audit verify`` (journey.auditlog.chain) walks the
seals. Triggers refuse UPDATE, DELETE, REPLACE and TRUNCATE on both tables (migrations 0007,
0016); the chain shows whatever got past them anyway.

Why two steps: chaining at commit meant holding one lock from the chain's head read to COMMIT, so
on PostgreSQL every audited transaction (every read of a participant) committed one at a time.
Now:

* ``record()`` validates the event and buffers it on the session (``session.info``), remembering
  the (nested) transaction it was recorded in; a savepoint or transaction that rolls back drops
  its events. A ``before_commit`` hook inserts the buffer with a plain INSERT: no lock, no head,
  no hash. Writers never wait for each other here.
* ``seal(conn)`` appends the chain: under ``pg_advisory_xact_lock(CHAIN_LOCK)`` on PostgreSQL
  (one sealer at a time), it reads the head seal, takes committed events that have no seal,
  lowest id first, and inserts their seals. An event with a lower id may commit after a higher
  one was sealed; it is still unsealed, so a later pass seals it then: ``seq`` is the chain's
  order, not ``id``. The scheduler runs it every few seconds (journey.auditlog.domain), and
  whatever needs a sealed chain (verify) runs it first. The PRIMARY KEY on seq and the UNIQUE
  event_id are the backstop: two sealers can neither fork the chain nor seal an event twice.
* On SQLite every writing transaction is BEGIN IMMEDIATE (journey.core.db): writers are
  serialised already and commit in id order, so the same ``seal()`` runs inline, just before
  COMMIT, for the events just inserted: an embedded deployment needs no scheduler to be sealed.
* Code that reads AuditEvent through the ORM in the same transaction sees its own buffered
  events: a ``do_orm_execute`` hook inserts the buffer before a SELECT that touches
  audit_events. ``flush()`` does the same explicitly, e.g. before Core reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime, timedelta
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
"""The prev_hash of the first seal."""
CHAIN_LOCK = int.from_bytes(b"jrnyaudt", "big")
"""The PostgreSQL advisory lock key held by the sealer while it appends to the chain."""
CONTENT_FIELDS = ("id", "occurred_at", "actor_id", "action", "object_type", "object_id",
                  "office_id", "request_id", "details")
HASHED_FIELDS = (*CONTENT_FIELDS[:1], "seq", *CONTENT_FIELDS[1:], "prev_hash")
_BUFFER = "journey_audit_buffer"

NEW, RECENT, ALL = "new", "recent", "all"
"""Sealing scopes: events above the highest sealed id (exact where writers commit in id order,
SQLite); those plus any recorded within RECENT_WINDOW (a lower id that committed late); every
unsealed event (a full anti-join: before verifying, and now and then from the scheduler)."""
RECENT_WINDOW = timedelta(seconds=60)
SEALED_LATE = "auditlog:chain:sealed_late"
SEAL_BATCH = 2000


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


class AuditSeal(SQLModel, table=True):
    """One link of the chain: the event at position ``seq``, hashed onto the seal before it."""

    __tablename__ = "audit_seals"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    event_id: int = Field(foreign_key="audit_events.id", unique=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # When it was sealed; not hashed (it says nothing about the event).
    sealed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any]) -> str:
    """sha256 (hex) of the event's HASHED_FIELDS as canonical JSON (sorted keys, no spaces).

    ``fields`` are the event's values as Python reads them back (aware occurred_at, details a
    dict) plus its seal's ``seq`` and ``prev_hash``, so the sealer, the migrations' backfills and
    the verifier compute the same string.
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
_SEALS = AuditSeal.__table__
_INSERT = _TABLE.insert()
_HEAD = sa.select(_SEALS.c.seq, _SEALS.c.hash).order_by(_SEALS.c.seq.desc()).limit(1)
_SEALED_UP_TO_VALUE = sa.select(sa.func.coalesce(sa.func.max(_SEALS.c.event_id), 0))
_UNSEALED = ~sa.exists().where(_SEALS.c.event_id == _TABLE.c.id)
_CONTENT = sa.select(*(_TABLE.c[name] for name in CONTENT_FIELDS))


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
    """Add an audit event to the session's transaction; it is written at commit, with the
    change it describes, vanishes if that change is rolled back, and is sealed after."""
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
    """Insert the session's buffered events now; returns how many were written."""
    buffered = session.info.get(_BUFFER)
    if not buffered:
        return 0
    n = len(buffered)
    append(session.connection(), [fields for _txn, fields in buffered])
    buffered.clear()
    return n


def append(conn: sa.Connection, events: list[dict[str, Any]]) -> None:
    """Insert events on this connection, in its transaction: the one way rows get into
    audit_events. Each event holds the fields record() fills (occurred_at, actor_id, action,
    object_type, object_id, office_id, request_id, details); bulk loaders (benchmarks, imports)
    that bypass the session call this instead of a plain INSERT. No lock is taken: the sealer
    chains them after commit (on SQLite, here, since writers are serialised anyway)."""
    if not events:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(_INSERT, events)
        return
    ids = conn.execute(_INSERT.returning(_TABLE.c.id, sort_by_parameter_order=True),
                       events).scalars().all()
    seal(conn, NEW, inserted=[{**fields, "id": event_id}
                              for event_id, fields in zip(ids, events, strict=True)])


def seal(conn: sa.Connection, scope: str = RECENT, batch: int = SEAL_BATCH, *,
         late_before: datetime | None = None,
         inserted: list[dict[str, Any]] | None = None) -> int:
    """Chain committed, unsealed events in ``scope`` onto the seals, lowest id first, in this
    connection's transaction; returns how many were sealed.

    Sealing an event recorded before ``late_before`` (it stayed unsealed too long: the sealer was
    not running, and anyone could have changed it meanwhile) appends a SEALED_LATE event saying
    which, so the exposure is itself on the chain.

    ``inserted`` (SQLite's inline seal, scope NEW) are the events this transaction has just
    inserted, with their ids: chained as given rather than read back, which saves a query per
    commit. Their values hash as they read back: details hold only JSON scalars and lists.

    On PostgreSQL it first takes the chain lock (held to the end of the transaction), in a
    statement of its own: in READ COMMITTED the next statement's snapshot is taken after the lock
    is granted, so it sees the head and the seals the previous holder committed.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    head = conn.execute(_HEAD).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    # The highest sealed id as a value, not a subquery: planned with it, the RECENT scan probes
    # the seals' index for the few rows it finds instead of hashing every seal.
    up_to = conn.execute(_SEALED_UP_TO_VALUE).scalar_one() \
        if scope != ALL and inserted is None else 0
    if scope == NEW:  # nothing above the highest sealed id can have a seal
        stmt = _CONTENT.where(_TABLE.c.id > up_to)
    elif scope == RECENT:
        stmt = _CONTENT.where(_UNSEALED, sa.or_(_TABLE.c.id > up_to,
                                                _TABLE.c.occurred_at >= utcnow() - RECENT_WINDOW))
    else:
        stmt = _CONTENT.where(_UNSEALED)
    sealed, last_id, late = 0, 0, []
    while True:
        if inserted is not None:
            rows, inserted, batch = inserted, [], len(inserted) + 1
        else:
            rows = conn.execute(stmt.where(_TABLE.c.id > last_id).order_by(_TABLE.c.id)
                                .limit(batch)).mappings().all()
        if not rows:
            break
        now, links = utcnow(), []
        for row in rows:
            if late_before is not None and row["occurred_at"] < late_before:
                late.append(row["id"])
            seq += 1
            digest = event_hash({**row, "seq": seq, "prev_hash": prev})
            links.append({"seq": seq, "event_id": row["id"], "prev_hash": prev, "hash": digest,
                          "sealed_at": now})
            prev = digest
        conn.execute(_SEALS.insert(), links)
        sealed += len(links)
        if len(rows) < batch:
            break
        last_id = rows[-1]["id"]
    if late:
        logger.warning("audit: sealed late count=%d first_id=%d", len(late), late[0])
        append(conn, [{"occurred_at": utcnow(), "actor_id": None, "action": SEALED_LATE,
                       "object_type": "audit_chain", "object_id": None, "office_id": None,
                       "request_id": None, "details": {"count": len(late), "first_id": late[0],
                                                       "last_id": late[-1]}}])
    return sealed


def seal_pending(engine: sa.Engine, scope: str = RECENT, *,
                 late_before: datetime | None = None) -> int:
    """Seal what is committed and unsealed in ``scope``, in a transaction of its own."""
    with engine.begin() as conn:
        return seal(conn, scope, late_before=late_before)


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
    if state.session.info.get(_BUFFER) and state.is_select and {_TABLE, _SEALS} & set(
            find_tables(state.statement, include_joins=True)):
        flush(state.session)
