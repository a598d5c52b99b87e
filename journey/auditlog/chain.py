"""Verifying the audit chain: every event's hash recomputed, every link and position checked.

The walk reads ``batch_size`` events at a time in chain order (keyset on ``seq``), so memory stays
bounded however long the log is; it runs in one read-only transaction (a snapshot on PostgreSQL,
a deferred transaction on SQLite that never waits for the write lock) on its own connection.

What it can say: an event whose fields no longer give its hash was changed (content-changed);
an event after a gap in ``seq`` had events before it removed (missing-event); an event whose
``prev_hash`` is not the hash of the event before it, with no gap, was re-linked (link-broken).
Whoever can rewrite the database can also recompute every hash after an edit; the head
(``head_seq``, ``head_hash``) printed on success, noted somewhere else and given back as
``anchor`` (``journey audit verify --anchor SEQ:HASH``), is what catches that (anchor-mismatch),
and the removal of the newest events too (missing-event, with no event to name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from journey.core.audit import GENESIS, HASHED_FIELDS, AuditEvent, event_hash
from journey.core.db import READ_ONLY

CONTENT_CHANGED = "content-changed"
LINK_BROKEN = "link-broken"
MISSING_EVENT = "missing-event"
ANCHOR_MISMATCH = "anchor-mismatch"

_T = AuditEvent.__table__
_COLUMNS = [_T.c[name] for name in HASHED_FIELDS] + [_T.c.hash]


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a walk: intact, or the first broken link (event id and reason code)."""

    intact: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    expected_seq: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(row: Any, seq: int, prev: str) -> str | None:
    if event_hash(row._mapping) != row.hash:
        return CONTENT_CHANGED
    if row.seq != seq + 1:
        return MISSING_EVENT
    if row.prev_hash != prev:
        return LINK_BROKEN
    return None


def walk(conn: Connection, batch_size: int = 1000,
         progress: Callable[[int], None] | None = None,
         anchor: tuple[int, str] | None = None) -> ChainReport:
    """Check the chain on this connection, in its current transaction.

    ``anchor`` is a (seq, hash) head noted earlier: the event at that seq must still have that
    hash (else the log was rewritten, hashes and all) and must still exist (else the newest
    events were removed).
    """
    seq, prev, checked = 0, GENESIS, 0
    while True:
        rows = conn.execute(sa.select(*_COLUMNS).where(_T.c.seq > seq).order_by(_T.c.seq)
                            .limit(batch_size)).all()
        for row in rows:
            reason = _check(row, seq, prev)
            if reason is None and anchor is not None and row.seq == anchor[0] \
                    and row.hash != anchor[1]:
                reason = ANCHOR_MISMATCH
            if reason is not None:
                return ChainReport(False, checked, row.id, reason, seq, prev,
                                   expected_seq=seq + 1)
            seq, prev, checked = row.seq, row.hash, checked + 1
        if progress is not None and rows:
            progress(len(rows))
        if len(rows) < batch_size:
            if anchor is not None and seq < anchor[0]:
                return ChainReport(False, checked, None, MISSING_EVENT, seq, prev,
                                   expected_seq=seq + 1)
            return ChainReport(True, checked, head_seq=seq, head_hash=prev)


def verify(engine: Engine, batch_size: int = 1000,
           progress: Callable[[int], None] | None = None,
           anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain in one read-only snapshot on a connection of its own."""
    options: dict[str, Any] = dict(READ_ONLY)
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as conn, conn.begin():
        return walk(conn, batch_size, progress, anchor)
