"""Verifying the audit chain: every seal's hash recomputed from its event, every link and position
checked, and no event left unsealed for long.

The walk reads ``batch_size`` seals (with their events) at a time in chain order (keyset on
``seq``), so memory stays bounded however long the log is; it runs in one read-only transaction
(a snapshot on PostgreSQL, a deferred transaction on SQLite that never waits for the write lock)
on its own connection. ``verify`` seals whatever is committed and unsealed first
(journey.core.audit.seal), in a transaction of its own.

What it can say: an event whose fields no longer give its seal's hash was changed
(content-changed); a seal whose event is gone, or a gap in ``seq``, means events were removed
(missing-event); a seal whose ``prev_hash`` is not the hash of the seal before it, with no gap,
was re-linked (link-broken); an event still without a seal ``grace`` after it was recorded
escaped the chain (unsealed): the sealer is not running, or the event got in past it, and
until it is sealed nothing shows whether it was changed. Whoever can rewrite the database can
also recompute every hash after an edit; the head (``head_seq``, ``head_hash``) printed on
success, noted somewhere else and given back as ``anchor`` (``journey audit verify --anchor
SEQ:HASH``), is what catches that (anchor-mismatch), and the removal of the newest events too
(missing-event, with no event to name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from journey.core.audit import (
    ALL,
    CONTENT_FIELDS,
    GENESIS,
    AuditEvent,
    AuditSeal,
    event_hash,
    seal_pending,
)
from journey.core.db import READ_ONLY, utcnow

CONTENT_CHANGED = "content-changed"
LINK_BROKEN = "link-broken"
MISSING_EVENT = "missing-event"
ANCHOR_MISMATCH = "anchor-mismatch"
UNSEALED = "unsealed"
DEFAULT_GRACE = timedelta(minutes=10)

_E = AuditEvent.__table__
_S = AuditSeal.__table__
_ROWS = (sa.select(_S.c.seq, _S.c.event_id, _S.c.prev_hash, _S.c.hash,
                   *(_E.c[name] for name in CONTENT_FIELDS))
         .select_from(_S.outerjoin(_E, _E.c.id == _S.c.event_id)))
_STALE = (sa.select(sa.func.count(), sa.func.min(_E.c.id))
          .where(~sa.exists().where(_S.c.event_id == _E.c.id)))


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
    unsealed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(row: Any, seq: int, prev: str) -> str | None:
    if row.id is None:
        return MISSING_EVENT
    if event_hash(row._mapping) != row.hash:
        return CONTENT_CHANGED
    if row.seq != seq + 1:
        return MISSING_EVENT
    if row.prev_hash != prev:
        return LINK_BROKEN
    return None


def stale_unsealed(conn: Connection, before: datetime) -> tuple[int, int | None]:
    """How many events recorded before ``before`` have no seal, and the lowest id."""
    count, first = conn.execute(_STALE.where(_E.c.occurred_at < before)).one()
    return count, first


def walk(conn: Connection, batch_size: int = 1000,
         progress: Callable[[int], None] | None = None,
         anchor: tuple[int, str] | None = None) -> ChainReport:
    """Check the chain on this connection, in its current transaction.

    ``anchor`` is a (seq, hash) head noted earlier: the seal at that seq must still have that
    hash (else the log was rewritten, hashes and all) and must still exist (else the newest
    events were removed).
    """
    seq, prev, checked = 0, GENESIS, 0
    while True:
        rows = conn.execute(_ROWS.where(_S.c.seq > seq).order_by(_S.c.seq)
                            .limit(batch_size)).all()
        for row in rows:
            reason = _check(row, seq, prev)
            if reason is None and anchor is not None and row.seq == anchor[0] \
                    and row.hash != anchor[1]:
                reason = ANCHOR_MISMATCH
            if reason is not None:
                return ChainReport(False, checked, row.event_id, reason, seq, prev,
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
           anchor: tuple[int, str] | None = None,
           grace: timedelta = DEFAULT_GRACE) -> ChainReport:
    """Note events left unsealed longer than ``grace``, seal what is committed (PostgreSQL), then
    walk the whole chain in one read-only snapshot on a connection of its own.

    The unsealed are counted before sealing them, since sealing would hide that they were
    exposed; sealing them also puts a SEALED_LATE event on the chain, which stays.
    """
    late_before = utcnow() - grace
    options: dict[str, Any] = dict(READ_ONLY)
    with engine.connect().execution_options(**options) as conn, conn.begin():
        unsealed, first_unsealed = stale_unsealed(conn, late_before)
    if engine.dialect.name != "sqlite":
        # SQLite seals at every commit (journey.core.audit.append), so only a row inserted past
        # append() can be unsealed there; and the caller (a request) may hold the write lock.
        seal_pending(engine, ALL, late_before=late_before)
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as conn, conn.begin():
        report = walk(conn, batch_size, progress, anchor)
    if report.intact and unsealed:
        return replace(report, intact=False, broken_at=first_unsealed, reason=UNSEALED,
                       unsealed=unsealed)
    return replace(report, unsealed=unsealed)
