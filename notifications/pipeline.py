"""One dispatcher run: leased messages → rate slots → provider calls in a thread pool → outcomes.

Only the thread that drives the run touches the database (one connection, a few short
transactions); the pool's threads only call the providers. Each transaction does a group's
worth of work, which is what keeps the SQL per message low:

* reserving rate slots: one UPDATE per channel for up to half a second of its rate;
* starting a group: consent and opt-outs for the whole group (two SELECTs), the quiet-hours
  deferrals and refusals, and one UPDATE … RETURNING marking the rest ``sending``, immediately
  before their calls are handed to the pool;
* recording the outcomes of the calls that finished meanwhile, in the same transaction: one
  executemany per kind of outcome, every one guarded so it never lowers a status.

On a rate-limited channel a call starts at its slot (its thread waits for it) and never more
than LATE after it: a call that would start later is not made at all, and its message is queued
again for a new slot (a busy machine then sends more slowly, never faster). Slots are 1/rate
apart, so in any window of 1 s − LATE at most `rate` calls start, all workers together.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from journey.core.db import UTCDateTime, db, utcnow
from notifications.channels import SendResult
from notifications.hooks import hooks_for
from notifications.models import DUE_STATUSES, Channel, OutboxMessage, SkipReason, SmsOptOut, Status
from notifications.optouts import record_opt_out
from notifications.quiet import next_send_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from notifications.dispatcher import Dispatcher

logger = logging.getLogger(__name__)
_T = OutboxMessage.__table__
_SENDING = _T.c.status == Status.SENDING.value
# (No IN list: an executemany cannot expand one.)
_OWN = sa.and_(_T.c.claimed_by == sa.bindparam("b_worker", type_=sa.String()),
               sa.or_(*(_T.c.status == status for status in DUE_STATUSES)))

# A sent message: `sent` unless a callback already moved it further (delivered, undelivered…).
_SENT = (_T.update().where(_T.c.id == sa.bindparam("b_id"))
         .values(status=sa.case((_SENDING, Status.SENT.value), else_=_T.c.status),
                 last_error_code=sa.case((_SENDING, sa.null()), else_=_T.c.last_error_code),
                 provider_id=sa.bindparam("b_provider_id", type_=sa.String()),
                 sent_at=sa.bindparam("b_at", type_=UTCDateTime()),
                 updated_at=sa.bindparam("b_at", type_=UTCDateTime())))
# Any other outcome of a call: only a message still `sending` takes it.
_SETTLED = (_T.update().where(_T.c.id == sa.bindparam("b_id"), _SENDING)
            .values(status=sa.bindparam("b_status", type_=sa.String()),
                    skip_reason=sa.bindparam("b_skip", type_=sa.String()),
                    last_error_code=sa.bindparam("b_error", type_=sa.String()),
                    not_before=sa.func.coalesce(sa.bindparam("b_not_before", type_=UTCDateTime()),
                                                _T.c.not_before),
                    updated_at=sa.bindparam("b_at", type_=UTCDateTime())))
# Send-time checks said not now (quiet hours) or never (consent, opt-out): only if still ours.
_NOT_SENT = (_T.update().where(_T.c.id == sa.bindparam("b_id"), _OWN)
             .values(status=sa.bindparam("b_status", type_=sa.String()),
                     skip_reason=sa.bindparam("b_skip", type_=sa.String()),
                     not_before=sa.func.coalesce(sa.bindparam("b_not_before", type_=UTCDateTime()),
                                                 _T.c.not_before),
                     claimed_until=None, updated_at=sa.bindparam("b_at", type_=UTCDateTime())))

# A call the pool started too late: it was never made, so the message is queued again.
_MISSED = (_T.update().where(_T.c.id == sa.bindparam("b_id"), _SENDING,
                             _T.c.claimed_by == sa.bindparam("b_worker", type_=sa.String()))
           .values(status=Status.QUEUED.value, attempts=_T.c.attempts - 1,
                   claimed_until=sa.bindparam("b_until", type_=UTCDateTime())))

LATE = 0.05  # seconds after its rate slot a call may still start; later, it takes a new slot
# A group is marked `sending` a little before its rate slot (twice the time that transaction has
# been taking, within these bounds), and its threads wait for the slot: the transaction's own time
# then does not make the calls late. Slots are reserved at least that far ahead.
LEAD_MIN, LEAD_MAX = 0.02, 0.5
MISSED = SendResult(ok=False, error_code="missed-slot")  # a call never made: it started too late
RECORD_WITHIN = 0.1  # seconds a finished call's outcome may wait to be written with others


@dataclass
class Job:
    msg: Row  # the leased message (notifications.dispatcher.COLUMNS)
    at: float = 0.0  # time.monotonic() from which its rate slot allows it to start
    attempts: int = 0


class Run:
    """Drives leased messages to their outcomes; ``drive()`` returns when all are settled."""

    def __init__(self, dispatcher: Dispatcher, pool: ThreadPoolExecutor,
                 now: datetime | None = None) -> None:
        self.d = dispatcher
        self.pool = pool
        self.fixed_now = now
        self.pending: deque[Row] = deque()
        self.scheduled: list[Job] = []
        self.inflight: dict[Future, Job] = {}
        self.done: list[tuple[Job, SendResult | None, datetime]] = []
        self.done_since = 0.0
        self.outcomes: dict[int, str] = {}
        # Slots are refilled a few at a time, so one transaction starts several messages.
        self.refill = max(1, dispatcher.concurrency // 4)
        self.failures = 0
        self.lead = LEAD_MIN
        self.tx_seconds = 0.0  # how long starting a group takes (a moving average)

    def now(self) -> datetime:
        return self.fixed_now or utcnow()

    # --- the loop -----------------------------------------------------------------------------

    def drive(self, more: Callable[[], list[Row]] | None = None, stop: Event | None = None,
              idle_sleep: float = 1.0) -> None:
        """Send what was fed in; with ``more``, lease again whenever the backlog runs low (an
        empty lease ends the run, or with ``stop`` waits ``idle_sleep`` and asks again)."""
        try:
            self._drive(more, stop, idle_sleep)
        except BaseException:
            # Whatever failed, the calls already made are not left `sending` if it can be
            # helped: their outcomes are known, so write them (once, best effort).
            for future in list(self.inflight):
                self._harvest(future)
            if self.done:
                try:
                    self._write([])
                except Exception:
                    logger.exception("outbox: the outcomes of %d calls could not be written",
                                     len(self.done))
            raise

    def _drive(self, more: Callable[[], list[Row]] | None, stop: Event | None,
               idle_sleep: float) -> None:
        next_lease = 0.0
        while True:
            stopping = stop is not None and stop.is_set()
            if stopping and (self.pending or self.scheduled):
                self.d.release([r.id for r in self.pending] + [j.msg.id for j in self.scheduled])
                self.pending.clear()
                self.scheduled.clear()
            if (more is not None and not stopping and len(self.pending) < self.d.concurrency
                    and time.monotonic() >= next_lease):
                rows = more()
                self.pending.extend(rows)
                if not rows:
                    if stop is None:
                        more = None
                    next_lease = time.monotonic() + idle_sleep
            self._schedule()
            ready = self._ready()
            if ready or (self.done and (len(self.done) >= self.refill or not self.inflight
                                        or time.monotonic() - self.done_since >= RECORD_WITHIN)):
                self._write(ready)
            if not (self.pending or self.scheduled or self.inflight or self.done):
                if more is None or stopping:
                    return
            self._wait(next_lease if more is not None and not stopping else None, stop)

    def _wait(self, next_lease: float | None, stop: Event | None) -> None:
        now = time.monotonic()
        deadlines = [j.at - self.lead for j in self.scheduled[:1]]
        if self.done:
            deadlines.append(self.done_since + RECORD_WITHIN)
        if next_lease is not None and not self.pending and len(self.scheduled) == 0:
            deadlines.append(next_lease)
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        if self.inflight:
            finished, _ = wait(list(self.inflight), timeout=timeout, return_when=FIRST_COMPLETED)
            for future in finished:
                self._harvest(future)
        elif timeout:
            if stop is not None:
                stop.wait(timeout)
            else:
                time.sleep(timeout)

    def _harvest(self, future: Future) -> None:
        job = self.inflight.pop(future)
        try:
            result = future.result()
        except Exception:
            # We cannot tell whether the provider got it: outcome unknown, never resent.
            logger.exception("outbox: sending message %s failed unexpectedly", job.msg.id)
            result = None
        if not self.done:
            self.done_since = time.monotonic()
        self.done.append((job, result, self.now()))

    # --- rate slots ---------------------------------------------------------------------------

    def _schedule(self) -> None:
        """Give pending messages a thread each (and a rate slot on a limited channel)."""
        room = self.d.concurrency - len(self.inflight) - len(self.scheduled)
        if room <= 0 or not self.pending or (self.inflight and room < min(self.refill,
                                                                           len(self.pending))):
            return
        limiter = self.d.limiter
        waiting = Counter(j.msg.channel for j in self.scheduled)
        # A limited channel reserves up to `chunk` slots at a time, again once half are used.
        budget = {c: limiter.chunk(c) - n if n <= limiter.chunk(c) // 2 else 0
                  for c in {row.channel for row in self.pending} if limiter.limited(c)
                  for n in (waiting[c],)}
        take: list[Row] = []
        keep: deque[Row] = deque()
        for row in self.pending:
            if len(take) >= room or budget.get(row.channel, 1) <= 0:
                keep.append(row)
                continue
            if row.channel in budget:
                budget[row.channel] -= 1
            take.append(row)
        if not take:
            return
        self.pending = keep
        jobs = [Job(row) for row in take]
        limited = Counter(j.msg.channel for j in jobs if limiter.limited(j.msg.channel))
        if limited:
            with self.d.app.app_context(), db.job_session() as sess:
                slots = {channel: limiter.reserve(sess, channel, k, after=self.lead)
                         for channel, k in limited.items()}
            base = time.monotonic()
            for job in jobs:
                if job.msg.channel in slots:
                    job.at = base + slots[job.msg.channel].pop(0)
        self.scheduled.extend(jobs)
        self.scheduled.sort(key=lambda j: j.at)

    def _ready(self) -> list[Job]:
        now = time.monotonic()
        ready = []
        while self.scheduled and self.scheduled[0].at <= now + self.lead:
            job = self.scheduled.pop(0)
            if job.at and now - job.at > LATE:
                self.pending.appendleft(job.msg)  # missed its slot: it takes a new one
            else:
                ready.append(job)
        return ready

    # --- the database -------------------------------------------------------------------------

    def _write(self, ready: list[Job]) -> None:
        """One transaction: the outcomes of finished calls, then the start of the ready group;
        the group's calls go to the pool once it commits."""
        done = self.done
        began = time.monotonic()
        try:
            with self.d.app.app_context(), db.job_session() as sess:
                outcomes, missed = self._record(sess, done)
                started, not_sent = self._start(sess, ready)
        except Exception:
            self.failures += 1
            if self.failures >= 3:
                raise
            logger.exception("outbox: writing to the database failed; trying again")
            self.pending.extendleft(reversed([j.msg for j in ready]))
            time.sleep(0.5 * self.failures)
            return
        self.failures = 0
        if ready:
            self.tx_seconds = 0.8 * self.tx_seconds + 0.2 * (time.monotonic() - began)
            self.lead = min(LEAD_MAX, max(LEAD_MIN, 2 * self.tx_seconds))
        self.done = []
        self.pending.extendleft(reversed(missed))  # queued again, still ours: each takes a new slot
        self.outcomes.update(outcomes)
        self.outcomes.update(not_sent)
        for job in started:
            self.inflight[self.pool.submit(self._call, job)] = job

    def _call(self, job: Job) -> SendResult:
        """In a pool thread: the provider call, unless the thread came to it too late for the
        rate slot (a new thread's first call, a busy machine); then it is not made at all."""
        if job.at:
            early = job.at - time.monotonic()
            if early > 0:
                time.sleep(early)
            elif -early > LATE:
                return MISSED
        return self.d.send(job.msg)

    def _start(self, sess, ready: list[Job]) -> tuple[list[Job], dict[int, str]]:
        """Send-time checks for the group, then ``sending`` for those that go now."""
        if not ready:
            return [], {}
        now = self.now()
        rows = [j.msg for j in ready]
        hooks = hooks_for(self.d.app)
        pids = sorted({r.participant_id for r in rows if r.participant_id is not None})
        if hooks.consented is not None:
            consenting = hooks.consented(sess, pids) if pids else set()
        else:
            consenting = {pid for pid in pids if hooks.consent(sess, pid)}
        phones = sorted({r.recipient for r in rows if r.channel == Channel.SMS and r.recipient})
        opted_out = set(sess.scalars(sa.select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones)))
                        ) if phones else set()
        changes: list[dict[str, Any]] = []
        go: dict[int, Job] = {}
        for job in ready:
            msg = job.msg
            change = None
            if msg.participant_id is not None and msg.participant_id not in consenting:
                change = (Status.SKIPPED, SkipReason.NO_CONSENT.value, None)
            elif msg.channel == Channel.SMS and msg.recipient in opted_out:
                change = (Status.SKIPPED, SkipReason.OPTED_OUT.value, None)
            elif msg.channel == Channel.SMS and not msg.urgent:
                later = next_send_time(now, msg.timezone, self.d.quiet)
                if later is not None:  # not an attempt: back to the queue until morning
                    change = (Status.DEFERRED, None, later)
            if change is None:
                go[msg.id] = job
            else:
                changes.append({"b_id": msg.id, "b_worker": self.d.worker_id, "b_status": change[0].value,
                                "b_skip": change[1], "b_not_before": change[2], "b_at": utcnow()})
                logger.info("outbox: message %s %s %s", msg.id, change[0].value, change[1] or "")
        conn = sess.connection()
        if changes:
            conn.execute(_NOT_SENT, changes)
        started: list[Job] = []
        if go:
            marked = conn.execute(
                _T.update().where(_T.c.id.in_(list(go)), _T.c.claimed_by == self.d.worker_id,
                                  _T.c.status.in_(DUE_STATUSES))
                .values(status=Status.SENDING.value, attempts=_T.c.attempts + 1,
                        claimed_until=None, updated_at=utcnow())
                .returning(_T.c.id, _T.c.attempts)).all()
            for mid, attempts in marked:
                go[mid].attempts = attempts
                started.append(go[mid])
            if len(marked) < len(go):  # another worker took these over after our lease ran out
                logger.info("outbox: %d leased messages were taken over by another worker",
                            len(go) - len(marked))
        return started, {c["b_id"]: c["b_status"] for c in changes}

    def _record(self, sess, done: list[tuple[Job, SendResult | None, datetime]]
                ) -> tuple[dict[int, str], list[Row]]:
        """Write the outcomes of finished calls; none lowers a status a callback wrote first.
        Returns the outcomes, and the messages whose call was never made (MISSED)."""
        sent, settled, missed, outcomes = [], [], [], {}
        for job, result, at in done:
            msg = job.msg
            row = {"b_id": msg.id, "b_at": at, "b_skip": None, "b_not_before": None}
            if result is MISSED:  # never called: queued again, still ours, for a new slot
                missed.append({"b_id": msg.id, "b_worker": self.d.worker_id,
                               "b_until": at + self.d.claim_for})
                continue
            if result is None:
                row.update(b_status=Status.FAILED.value, b_error="outcome-unknown")
            elif result.ok:
                sent.append({"b_id": msg.id, "b_provider_id": result.provider_id, "b_at": at})
                outcomes[msg.id] = Status.SENT.value
                logger.info("outbox: message %s sent via %s", msg.id, msg.channel)
                continue
            elif result.opted_out:
                record_opt_out(sess, msg.recipient, "provider-21610", msg.participant_id)
                row.update(b_status=Status.SKIPPED.value, b_skip=SkipReason.OPTED_OUT.value,
                           b_error=result.error_code)
            elif result.invalid_number:
                row.update(b_status=Status.SKIPPED.value, b_skip=SkipReason.INVALID_NUMBER.value,
                           b_error=result.error_code)
            elif result.retryable and job.attempts < self.d.max_attempts:
                delay = min(self.d.backoff * 2 ** (job.attempts - 1), 3600)
                row.update(b_status=Status.QUEUED.value, b_error=result.error_code,
                           b_not_before=at + timedelta(seconds=delay))
                logger.info("outbox: message %s retry %d in %ss (%s)", msg.id, job.attempts, delay,
                            result.error_code)
            else:
                row.update(b_status=Status.FAILED.value, b_error=result.error_code)
                logger.warning("outbox: message %s failed (%s)", msg.id, result.error_code)
            settled.append(row)
            outcomes[msg.id] = row["b_status"]
        conn = sess.connection()
        if sent:
            conn.execute(_SENT, sent)
        if settled:
            conn.execute(_SETTLED, settled)
        if missed:
            conn.execute(_MISSED, missed)
        return outcomes, [job.msg for job, result, _at in done if result is MISSED]
