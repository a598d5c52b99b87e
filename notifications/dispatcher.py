"""The dispatcher (`journey worker`): sends due messages, at most once each, many at a time.

How a message goes out:

1. **Lease.** One statement takes a batch of due messages for this worker: ``UPDATE … SET
   claimed_by, claimed_until WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` the
   messages, so several workers on PostgreSQL never take the same one (SQLite has one writer
   at a time, and the UPDATE is atomic there too). The status stays queued or deferred: if the
   worker dies now, each message is due again, by itself, when its lease
   (OUTBOX_CLAIM_SECONDS) runs out.
2. **Rate slot.** Sends on a channel are spaced by its rate, shared by every worker through the
   database (notifications.ratelimit).
3. **Sending.** Immediately before the provider calls of a group, one small transaction checks
   consent, opt-outs and quiet hours, and marks the messages that go ``sending``, guarded by
   ``claimed_by = this worker`` (a message another worker took over is dropped). From here on
   the provider may have the message.
4. **Call.** Up to OUTBOX_CONCURRENCY provider calls run at once, in a pool of threads; only
   the worker's own thread touches the database (notifications.pipeline).
5. **Outcome.** Outcomes are written in groups, each UPDATE guarded so it never lowers a status:
   a ``delivered`` callback that arrived during the call stays delivered.

A worker that dies during a call leaves that message ``sending``. It is never sent again
automatically (the provider may have sent it): after OUTBOX_LEASE_SECONDS it is marked failed with
``outcome-unknown`` for a person (or a reconciliation with the provider) to settle. Exactly once
beats at least once for messages to migrants about their permits and money; only a message whose
call may have reached the provider is ever in doubt.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Row

from journey.core.db import db, utcnow
from notifications.channels import EmailMessage, EmailSender, SendResult, SmsMessage, SmsSender
from notifications.models import DUE_STATUSES, Channel, OutboxMessage, Status
from notifications.optouts import record_opt_in, record_opt_out
from notifications.pipeline import Run
from notifications.quiet import parse_window
from notifications.ratelimit import SharedRateLimiter

__all__ = ["Dispatcher", "record_opt_in", "record_opt_out"]
logger = logging.getLogger(__name__)
_T = OutboxMessage.__table__
# What a run needs of a message, read by the lease itself (no second SELECT).
COLUMNS = (_T.c.id, _T.c.participant_id, _T.c.channel, _T.c.recipient, _T.c.subject, _T.c.body,
           _T.c.html, _T.c.language, _T.c.timezone, _T.c.urgent, _T.c.attempts)


class Dispatcher:
    """Sends due outbox messages for one worker process; see the module's docstring."""

    def __init__(self, app: Flask, sms: SmsSender, email: EmailSender, *,
                 worker_id: str | None = None, batch: int = 50,
                 concurrency: int | None = None) -> None:
        self.app = app
        self.sms = sms
        self.email = email
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self.batch = batch
        cfg = app.config
        self.concurrency = max(1, concurrency or cfg["OUTBOX_CONCURRENCY"])
        self.max_attempts = cfg["OUTBOX_MAX_ATTEMPTS"]
        self.backoff = cfg["OUTBOX_BACKOFF_SECONDS"]
        self.stale_after = timedelta(seconds=cfg["OUTBOX_LEASE_SECONDS"])
        self.claim_for = timedelta(seconds=cfg["OUTBOX_CLAIM_SECONDS"])
        self.quiet = parse_window(cfg["QUIET_HOURS"])
        self.limiter = SharedRateLimiter({Channel.SMS.value: cfg["SMS_RATE_PER_SECOND"],
                                          Channel.EMAIL.value: cfg["EMAIL_RATE_PER_SECOND"]})

    # --- leases -------------------------------------------------------------------------------

    def lease(self, now: datetime | None = None, limit: int | None = None) -> list[Row]:
        """Lease up to `limit` (the batch) due messages to this worker; they stay due."""
        now = now or utcnow()
        due = (sa.select(_T.c.id)
               .where(_T.c.status.in_(DUE_STATUSES), _T.c.not_before <= now,
                      sa.or_(_T.c.claimed_until.is_(None), _T.c.claimed_until <= now))
               .order_by(_T.c.not_before, _T.c.id).limit(limit or self.batch)
               .with_for_update(skip_locked=True))
        stmt = (_T.update().where(_T.c.id.in_(due.scalar_subquery()))
                .values(claimed_by=self.worker_id, claimed_until=now + self.claim_for)
                .returning(*COLUMNS))
        with self.app.app_context(), db.job_session() as sess:
            return sorted(sess.connection().execute(stmt).all(), key=lambda r: r.id)

    def claim(self, now: datetime | None = None) -> list[int]:
        """Lease a batch; returns the ids (send them with `deliver`)."""
        return [row.id for row in self.lease(now)]

    def release(self, ids: list[int]) -> None:
        """Give leased messages that were not started back to the queue at once."""
        if not ids:
            return
        with self.app.app_context(), db.job_session() as sess:
            sess.connection().execute(
                _T.update().where(_T.c.id.in_(ids), _T.c.claimed_by == self.worker_id,
                                  _T.c.status.in_(DUE_STATUSES))
                .values(claimed_by=None, claimed_until=None))

    def recover_stale(self, now: datetime | None = None) -> int:
        """Messages left in ``sending`` by a dead worker: failed, outcome unknown, never resent.

        Messages it had only leased need nothing: they are due again when the lease ends.
        """
        now = now or utcnow()
        with self.app.app_context(), db.job_session() as sess:
            result = sess.connection().execute(
                _T.update().where(_T.c.status == Status.SENDING.value,
                                  _T.c.updated_at < now - self.stale_after)
                .values(status=Status.FAILED.value, last_error_code="outcome-unknown",
                        updated_at=now))
            if result.rowcount:
                logger.warning("outbox: %d messages left sending by a dead worker marked failed",
                               result.rowcount)
            return result.rowcount

    # --- sending ------------------------------------------------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.concurrency, initializer=self._prepare_thread,
                                  thread_name_prefix=f"{self.worker_id}-send")

    def _prepare_thread(self) -> None:
        """Build this thread's provider client before its first call (TwilioSmsSender keeps one
        per thread), so building it does not eat into that call's rate slot."""
        getattr(self.sms, "client", None)

    def run_once(self, now: datetime | None = None) -> int:
        """Lease one batch and settle it; returns how many messages were handled."""
        rows = self.lease(now)
        if rows:
            with self._pool() as pool:
                run = Run(self, pool, now)
                run.pending.extend(rows)
                run.drive()
        return len(rows)

    def deliver(self, mid: int, now: datetime | None = None) -> str:
        """Send one message this worker leased (see `claim`); returns its status after."""
        with self.app.app_context(), db.job_session() as sess:
            row = sess.connection().execute(
                sa.select(*COLUMNS, _T.c.status, _T.c.claimed_by).where(_T.c.id == mid)).one()
        if row.claimed_by != self.worker_id or row.status not in DUE_STATUSES:
            return row.status
        with self._pool() as pool:
            run = Run(self, pool, now)
            run.pending.append(row)
            run.drive()
        return run.outcomes.get(mid, row.status)

    def run(self, stop: threading.Event | None = None, *, idle_sleep: float = 1.0) -> int:
        """Send continuously, leasing more as the backlog runs low: until `stop` is set or, with
        no `stop`, until nothing is due. Returns how many messages were leased."""
        leased = 0
        last_recovery = time.monotonic()

        def more() -> list[Row]:
            nonlocal leased, last_recovery
            if stop is not None and time.monotonic() - last_recovery > 60:
                self.recover_stale()
                last_recovery = time.monotonic()
            rows = self.lease()
            leased += len(rows)
            return rows

        with self._pool() as pool:
            Run(self, pool).drive(more, stop, idle_sleep)
        return leased

    def run_forever(self, stop: threading.Event, idle_sleep: float = 1.0) -> None:
        self.recover_stale()
        self.run(stop, idle_sleep=idle_sleep)

    def send(self, msg: Row) -> SendResult:
        """One provider call (in a pool thread: no database here)."""
        if msg.channel == Channel.SMS:
            return self.sms.send(SmsMessage(to=msg.recipient, body=msg.body, message_id=msg.id))
        from journey.config import RTL_LANGUAGES

        return self.email.send(EmailMessage(
            to=msg.recipient, subject=msg.subject or "", text=msg.body, html=msg.html or "",
            language=msg.language, rtl=msg.language in RTL_LANGUAGES, message_id=msg.id))
