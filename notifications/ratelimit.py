"""The send rate of each channel, shared by every worker through the database.

One row per channel holds ``next_at``: the time (seconds since the epoch, by the database's
clock on PostgreSQL) from which the channel's next send may start. A worker reserves k sends in
one statement, ``UPDATE … SET next_at = max(next_at, now) + k/rate … RETURNING``, and starts them
1/rate apart from the old value. PostgreSQL's row lock (SQLite's single writer) serialises the
reservations, so N workers together never start more than ``rate`` sends in any second, sliding
windows included. This is GCRA, a token bucket without a burst allowance: a bucket holding a
second's worth of tokens would let twice the rate through in a sliding second.

A reservation is cheap (one tiny transaction for up to HORIZON seconds of the channel's capacity)
and is never given back: a reserved slot whose message is skipped, or whose worker dies, is lost
time, never an extra send.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

HORIZON = 0.5  # seconds of a channel's capacity one reservation may take


class OutboxRateLimit(SQLModel, table=True):
    """Per channel, when its next send may start (GCRA's theoretical arrival time)."""

    __tablename__ = "outbox_rate_limits"

    channel: str = Field(primary_key=True, max_length=10)
    next_at: float = Field(default=0.0)  # seconds since the epoch


_T = OutboxRateLimit.__table__


class SharedRateLimiter:
    """Reserves send slots for a channel; a channel with no rate (0) is not limited."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {channel: rate for channel, rate in rates.items() if rate > 0}

    def limited(self, channel: str) -> bool:
        return channel in self.rates

    def chunk(self, channel: str) -> int:
        """How many sends one reservation takes at most."""
        return max(1, int(self.rates[channel] * HORIZON))

    def reserve(self, sess: Session, channel: str, k: int, after: float = 0.0) -> list[float]:
        """Reserve k consecutive slots, the first no sooner than `after` seconds from now;
        returns, for each, how many seconds from now it starts.

        Runs in the caller's transaction, which should commit at once: the row stays locked
        until then.
        """
        interval = 1.0 / self.rates[channel]
        conn = sess.connection()
        if conn.dialect.name == "postgresql":
            # The database's clock, so workers on machines whose clocks differ still interleave.
            now = sa.cast(sa.extract("epoch", sa.func.clock_timestamp()), sa.Float)
        else:  # one machine: its clock
            now = sa.literal(time.time(), sa.Float)
        start = sa.case((_T.c.next_at > now + after, _T.c.next_at), else_=now + after)
        stmt = (_T.update().where(_T.c.channel == channel)
                .values(next_at=start + k * interval).returning(_T.c.next_at, now))
        row = conn.execute(stmt).first()
        if row is None:  # the channel's first send ever: make its row, then reserve
            insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(_T)
            conn.execute(insert.values(channel=channel, next_at=0.0).on_conflict_do_nothing())
            row = conn.execute(stmt).one()
        next_at, db_now = row
        first = next_at - k * interval - db_now
        return [max(0.0, first + i * interval) for i in range(k)]
