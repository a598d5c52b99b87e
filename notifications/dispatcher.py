"""The dispatcher (`journey worker`): sends due messages, exactly once, with retries.

Claiming is one statement: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id,
so several workers on PostgreSQL never take the same message (SQLite has one writer at a time,
and the UPDATE is atomic there too). A claimed message is in ``sending``; the provider is called
outside any transaction, and the outcome is written afterwards.

If a worker dies between the provider call and writing the outcome, the message stays in
``sending``. It is never sent again automatically (the provider may have sent it): after a lease
it is marked failed with ``outcome-unknown`` for a person to check. Exactly once beats at least
once for messages to migrants about their permits and money.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from journey.core.db import db, utcnow
from notifications.channels import EmailMessage, EmailSender, SendResult, SmsMessage, SmsSender
from notifications.hooks import hooks_for
from notifications.models import (
    DUE_STATUSES,
    Channel,
    OutboxMessage,
    SkipReason,
    SmsOptOut,
    Status,
)
from notifications.quiet import next_send_time, parse_window

logger = logging.getLogger(__name__)
_T = OutboxMessage.__table__


class RateLimiter:
    """At most `per_second` sends per channel from this worker (a simple spacing)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


class Dispatcher:
    def __init__(self, app: Flask, sms: SmsSender, email: EmailSender, *,
                 worker_id: str | None = None, batch: int = 50) -> None:
        self.app = app
        self.sms = sms
        self.email = email
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self.batch = batch
        cfg = app.config
        self.max_attempts = cfg["OUTBOX_MAX_ATTEMPTS"]
        self.backoff = cfg["OUTBOX_BACKOFF_SECONDS"]
        self.lease = timedelta(seconds=cfg["OUTBOX_LEASE_SECONDS"])
        self.quiet = parse_window(cfg["QUIET_HOURS"])
        self.limits = {Channel.SMS.value: RateLimiter(cfg["SMS_RATE_PER_SECOND"]),
                       Channel.EMAIL.value: RateLimiter(cfg["EMAIL_RATE_PER_SECOND"])}

    # --- claiming -----------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> list[int]:
        """Take up to `batch` due messages for this worker, committed before any is sent."""
        now = now or utcnow()
        due = (sa.select(_T.c.id)
               .where(_T.c.status.in_(DUE_STATUSES), _T.c.not_before <= now)
               .order_by(_T.c.not_before, _T.c.id).limit(self.batch)
               .with_for_update(skip_locked=True))
        stmt = (_T.update().where(_T.c.id.in_(due.scalar_subquery()))
                .values(status=Status.SENDING.value, claimed_by=self.worker_id,
                        attempts=_T.c.attempts + 1, updated_at=now)
                .returning(_T.c.id))
        with self.app.app_context(), db.job_session() as sess:
            return sorted(sess.connection().scalars(stmt).all())

    def recover_stale(self, now: datetime | None = None) -> int:
        """Messages left in ``sending`` by a dead worker: failed, outcome unknown, never resent."""
        now = now or utcnow()
        with self.app.app_context(), db.job_session() as sess:
            result = sess.connection().execute(
                _T.update().where(_T.c.status == Status.SENDING.value,
                                  _T.c.updated_at < now - self.lease)
                .values(status=Status.FAILED.value, last_error_code="outcome-unknown",
                        updated_at=now))
            if result.rowcount:
                logger.warning("outbox: %d messages left sending by a dead worker marked failed",
                               result.rowcount)
            return result.rowcount

    # --- sending ------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Claim one batch and deliver it; returns how many messages were handled."""
        ids = self.claim(now)
        for mid in ids:
            try:
                self.deliver(mid, now)
            except Exception:
                # The message stays in `sending` and is reported after the lease: never resent.
                logger.exception("outbox: delivering message %s failed unexpectedly", mid)
        return len(ids)

    def _update(self, mid: int, **values: Any) -> None:
        values.setdefault("updated_at", utcnow())
        with self.app.app_context(), db.job_session() as sess:
            sess.connection().execute(_T.update().where(_T.c.id == mid).values(**values))

    def _precheck(self, sess, msg: OutboxMessage, now: datetime) -> dict[str, Any] | None:
        """Send-time checks: consent, opt-out, quiet hours. Returns the row's new values, or None
        to send now."""
        if msg.participant_id is not None and not hooks_for(self.app).consent(sess, msg.participant_id):
            return {"status": Status.SKIPPED.value, "skip_reason": SkipReason.NO_CONSENT.value}
        if msg.channel == Channel.SMS and sess.get(SmsOptOut, msg.recipient) is not None:
            return {"status": Status.SKIPPED.value, "skip_reason": SkipReason.OPTED_OUT.value}
        if msg.channel == Channel.SMS and not msg.urgent:
            later = next_send_time(now, msg.timezone, self.quiet)
            if later is not None:
                # Not an attempt: give it back.
                return {"status": Status.DEFERRED.value, "not_before": later,
                        "attempts": max(msg.attempts - 1, 0)}
        return None

    def deliver(self, mid: int, now: datetime | None = None) -> str:
        now = now or utcnow()
        # One short transaction reads the message, runs the send-time checks and, when the
        # message is not to go now, records why; the provider is called outside it.
        with self.app.app_context(), db.job_session() as sess:
            msg = sess.get(OutboxMessage, mid)
            if msg.status != Status.SENDING or msg.claimed_by != self.worker_id:
                return msg.status
            change = self._precheck(sess, msg, now)
            if change is not None:
                sess.connection().execute(_T.update().where(_T.c.id == mid)
                                          .values(**change, updated_at=utcnow()))
            sess.expunge(msg)
        if change is not None:
            logger.info("outbox: message %s %s %s", mid, change["status"],
                        change.get("skip_reason") or "")
            return change["status"]
        self.limits[msg.channel].wait()
        result = self._send(msg)
        return self._record(msg, result, now)

    def _send(self, msg: OutboxMessage) -> SendResult:
        if msg.channel == Channel.SMS:
            return self.sms.send(SmsMessage(to=msg.recipient, body=msg.body, message_id=msg.id))
        from journey.config import RTL_LANGUAGES

        return self.email.send(EmailMessage(
            to=msg.recipient, subject=msg.subject or "", text=msg.body, html=msg.html or "",
            language=msg.language, rtl=msg.language in RTL_LANGUAGES, message_id=msg.id))

    def _record(self, msg: OutboxMessage, result: SendResult, now: datetime) -> str:
        if result.ok:
            self._update(msg.id, status=Status.SENT.value, provider_id=result.provider_id,
                         sent_at=now, last_error_code=None)
            logger.info("outbox: message %s sent via %s", msg.id, msg.channel)
            return Status.SENT.value
        if result.opted_out:
            with self.app.app_context(), db.job_session() as sess:
                record_opt_out(sess, msg.recipient, "provider-21610", msg.participant_id)
                sess.connection().execute(_T.update().where(_T.c.id == msg.id).values(
                    status=Status.SKIPPED.value, skip_reason=SkipReason.OPTED_OUT.value,
                    last_error_code=result.error_code, updated_at=now))
            return Status.SKIPPED.value
        if result.invalid_number:
            self._update(msg.id, status=Status.SKIPPED.value,
                         skip_reason=SkipReason.INVALID_NUMBER.value,
                         last_error_code=result.error_code)
            return Status.SKIPPED.value
        if result.retryable and msg.attempts < self.max_attempts:
            delay = self.backoff * 2 ** (msg.attempts - 1)
            self._update(msg.id, status=Status.QUEUED.value, last_error_code=result.error_code,
                         not_before=now + timedelta(seconds=min(delay, 3600)))
            logger.info("outbox: message %s retry %d in %ss (%s)", msg.id, msg.attempts, delay,
                        result.error_code)
            return Status.QUEUED.value
        self._update(msg.id, status=Status.FAILED.value, last_error_code=result.error_code)
        logger.warning("outbox: message %s failed (%s)", msg.id, result.error_code)
        return Status.FAILED.value

    def run_forever(self, stop: threading.Event, idle_sleep: float = 1.0) -> None:
        self.recover_stale()
        last_recovery = time.monotonic()
        while not stop.is_set():
            handled = self.run_once()
            if time.monotonic() - last_recovery > 60:
                self.recover_stale()
                last_recovery = time.monotonic()
            if not handled:
                stop.wait(idle_sleep)


def record_opt_out(sess, phone: str | None, source: str, participant_id: int | None) -> None:
    """Remember that a number opted out, once, and tell the domains."""
    if not phone:
        return
    if sess.get(SmsOptOut, phone) is None:
        sess.add(SmsOptOut(phone=phone, source=source, opted_out_at=utcnow()))
        sess.flush()
    hooks_for().on_opt_change(sess, participant_id, True)


def record_opt_in(sess, phone: str, participant_id: int | None) -> None:
    existing = sess.get(SmsOptOut, phone)
    if existing is not None:
        sess.delete(existing)
        sess.flush()
    hooks_for().on_opt_change(sess, participant_id, False)
