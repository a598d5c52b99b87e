"""The scheduler (`journey scheduler`): APScheduler 3 in its own process.

On PostgreSQL several schedulers may run (one per machine); a session-level advisory lock makes
exactly one of them lead, and the others wait to take over if it dies. On SQLite there is one
machine, so the scheduler simply leads. Every job is idempotent (journey events and outbox rows
carry dedupe keys), so a job that runs twice across a leadership change does no harm.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from journey.core.db import db, utcnow
from notifications.hooks import hooks_for
from notifications.models import OutboxMessage, Status

logger = logging.getLogger(__name__)
LEADER_LOCK_KEY = 0x6A6F75726E6579  # "journey"
_T = OutboxMessage.__table__


class Leadership:
    """Holds the advisory lock on a dedicated connection for as long as this process leads."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.conn: sa.Connection | None = None

    def try_acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self.conn is not None:
            # Still holding it? A dropped connection loses the lock.
            try:
                self.conn.exec_driver_sql("SELECT 1")
                return True
            except sa.exc.DBAPIError:
                self.release()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar()
        if got:
            self.conn = conn
        else:
            conn.close()
        return bool(got)

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
            except sa.exc.DBAPIError:
                pass
            self.conn.close()
            self.conn = None


def release_deferred(app: Flask) -> int:
    """Deferred messages whose time has come go back to the queue."""
    with app.app_context(), db.job_session() as sess:
        result = sess.connection().execute(
            _T.update().where(_T.c.status == Status.DEFERRED.value, _T.c.not_before <= utcnow())
            .values(status=Status.QUEUED.value, updated_at=utcnow()))
        return result.rowcount


def jobs(app: Flask) -> list[tuple[str, Callable[[Flask], Any], int]]:
    """Built-in jobs plus those the app's domains declared (reminders, SLAs, retention)."""
    return [("release_deferred", release_deferred, 60), *hooks_for(app).jobs]


def run(app: Flask, stop: threading.Event, *, poll: float = 15.0) -> None:
    """Lead when the lock is free, run the jobs while leading, stand by otherwise."""
    engine = app.extensions["journey_db"].engine
    leadership = Leadership(engine)
    scheduler: BackgroundScheduler | None = None
    try:
        while not stop.is_set():
            leading = leadership.try_acquire()
            if leading and scheduler is None:
                scheduler = BackgroundScheduler(timezone="UTC")
                for name, func, seconds in jobs(app):
                    scheduler.add_job(func, "interval", seconds=seconds, args=[app], id=name,
                                      max_instances=1, coalesce=True, next_run_time=utcnow())
                scheduler.start()
                logger.info("scheduler: leading with %d jobs", len(scheduler.get_jobs()))
            elif not leading and scheduler is not None:
                scheduler.shutdown(wait=True)
                scheduler = None
                logger.warning("scheduler: lost the leader lock; standing by")
            stop.wait(poll)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        leadership.release()
