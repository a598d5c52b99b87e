"""Message counts by office, channel, language and status, read without scanning the outbox.

Database triggers (migration 0017) append a delta to message_stat_deltas for every change to the
outbox that moves a count: an insert, a change of status (or channel, language, participant), a
delete, a participant's move to another office. Writers only ever append, so concurrent workers
never queue on one counter row. A count is its message_stats row plus the sum of its deltas; both
are read in one statement, hence from one snapshot, so a compaction is seen whole or not at all.

compact() folds the deltas into message_stats; the scheduler runs it (journey.messaging.domain),
which keeps the deltas few. Compactions are serialised by a lock on message_stats that readers
and the triggers never wait for.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from journey.core.db import db
from notifications.models import MessageStat, MessageStatDelta

logger = logging.getLogger(__name__)

_S = MessageStat.__table__
_D = MessageStatDelta.__table__
KEY = ("office_id", "channel", "language", "status")
BATCH = 50_000  # deltas folded per transaction


def counts_statement(office_id: int | None) -> sa.Select:
    """The statement counts() runs: rollup rows and deltas, summed per key, zeros left out."""

    def part(table: sa.Table, n: sa.Column) -> sa.Select:
        stmt = sa.select(table.c.channel, table.c.language, table.c.status, n.label("n"))
        return stmt if office_id is None else stmt.where(table.c.office_id == office_id)

    both = sa.union_all(part(_S, _S.c.messages), part(_D, _D.c.delta)).subquery("counts")
    total = sa.func.sum(both.c.n)
    return (sa.select(both.c.channel, both.c.language, both.c.status, total)
            .group_by(both.c.channel, both.c.language, both.c.status).having(total != 0))


def counts(sess: Session, office_id: int | None) -> list[tuple[str, str, str, int]]:
    """(channel, language, status, messages) for one office's participants, or for every
    message (messages without a participant included) when office_id is None."""
    return [(c, lang, s, int(n)) for c, lang, s, n in sess.execute(counts_statement(office_id))]


def _take_deltas(conn: sa.Connection, batch: int) -> list[Any]:
    """Delete up to ``batch`` deltas; their sums by key (and how many rows) in one result."""
    first = sa.select(_D.c.id).order_by(_D.c.id).limit(batch)
    if conn.dialect.name == "postgresql":
        # One statement: exactly the rows it deletes are summed, whatever commits meanwhile.
        moved = (_D.delete().where(_D.c.id.in_(first.scalar_subquery()))
                 .returning(*(_D.c[k] for k in KEY), _D.c.delta).cte("moved"))
        source, where = moved, sa.true()
    else:
        # SQLite: this transaction began IMMEDIATE (journey.core.db), so no writer runs until it
        # ends and a sum then a delete see the same rows.
        upto = conn.scalar(sa.select(sa.func.max(first.subquery().c.id)))
        if upto is None:
            return []
        source, where = _D, _D.c.id <= upto
    rows = conn.execute(sa.select(*(source.c[k] for k in KEY), sa.func.sum(source.c.delta),
                                  sa.func.count()).where(where)
                        .group_by(*(source.c[k] for k in KEY))).all()
    if conn.dialect.name != "postgresql":
        conn.execute(_D.delete().where(where))
    return rows


def compact(sess: Session, batch: int = BATCH) -> int:
    """Fold up to ``batch`` deltas into the rollup; how many were folded. Never commits."""
    conn = sess.connection()
    if conn.dialect.name == "postgresql":
        # Conflicts with itself (one compaction at a time: a key's rollup row is made once), not
        # with readers (ACCESS SHARE) nor with the triggers, which never touch message_stats.
        conn.exec_driver_sql("LOCK TABLE message_stats IN SHARE ROW EXCLUSIVE MODE")
    sums = _take_deltas(conn, batch)
    if not sums:
        return 0
    rollup = {tuple(row[1:5]): (row[0], row[5]) for row in conn.execute(
        sa.select(_S.c.id, *(_S.c[k] for k in KEY), _S.c.messages))}
    inserts, updates, deletes = [], [], []
    for *key, delta, _rows in sums:
        if not delta:
            continue
        found = rollup.get(tuple(key))
        if found is None:
            inserts.append({**dict(zip(KEY, key, strict=True)), "messages": delta})
        elif found[1] + delta == 0:
            deletes.append(found[0])
        else:
            updates.append({"b_id": found[0], "b_messages": found[1] + delta})
    if inserts:
        conn.execute(_S.insert(), inserts)
    if updates:
        conn.execute(_S.update().where(_S.c.id == sa.bindparam("b_id"))
                     .values(messages=sa.bindparam("b_messages")), updates)
    if deletes:
        conn.execute(_S.delete().where(_S.c.id.in_(deletes)))
    return sum(rows for *_key, _delta, rows in sums)


def compact_job(app: Flask) -> int:
    """The scheduled job: fold every delta, a batch per transaction."""
    folded = 0
    while True:
        with app.app_context(), db.job_session() as sess:
            n = compact(sess)
        folded += n
        if n < BATCH:
            break
    if folded:
        logger.info("message stats: folded %d deltas", folded)
    return folded
