"""Retention: personal data is kept no longer than its category's period (settings, read through
``journey.privacy.register.retention_days``), applied daily by the scheduler and by
``journey privacy retention [--dry-run]``.

The rules:

- **Messages.** A declared table with a ``retain_from`` column (the outbox: ``updated_at``, which
  stops moving once a message is sent, delivered, failed or skipped; inbound texts:
  ``received_at``) loses the contents of its ``erase_columns`` (addresses and texts) once that
  column is older than the retention of the table's first category (``message``). Rows stay, so
  counts by status and channel stay.
- **Closed cases.** A participant whose case is in a final stage (journey.continuum.stages:
  ``closed``) and has been for longer than the longest of the identity, contact and sensitive
  retentions is anonymised through the same service as an erasure on request
  (journey.privacy.erasure, reason ``retention``). Anonymisation takes all three at once, so it
  waits for the longest; a participant whose erasure a domain vetoes (a legal hold, an open
  grievance) is left as it is and listed as held.
- **Failed logins** (staff data: keyed hashes) are deleted once older than the throttling window
  (``LOGIN_WINDOW_SECONDS``, at least a day), when they no longer count for anything.

Work is done in batches, each committed on its own, so a large backlog never holds one long
transaction; a dry run plans the same work and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from journey.continuum.stages import FINAL_STAGES
from journey.core.auth import LoginAttempt
from journey.core.db import db, utcnow
from journey.core.domains import Category
from journey.core.errors import Conflict
from journey.participants.models import Participant
from journey.privacy import erasure
from journey.privacy.register import retention_days

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass
class Plan:
    """What retention does now: message rows to empty per table, participants to anonymise,
    participants due but held, failed logins to delete."""

    messages: dict[str, list[int]] = field(default_factory=dict)
    participants: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    login_attempts: int = 0

    def counts(self) -> dict[str, int]:
        return {**{t: len(ids) for t, ids in self.messages.items()},
                "participants": len(self.participants), "held": len(self.held),
                "login_attempts": self.login_attempts}


def _message_targets(config: Any, now: datetime):
    for item in erasure.declarations():
        entry, table = item.entry, item.table
        days = retention_days(config, entry.categories[0])
        if entry.retain_from and entry.erase_columns and days is not None:
            cutoff = now - timedelta(days=days)
            yield entry, table, sa.and_(table.c[entry.retain_from] < cutoff,
                                        erasure.has_content(table, entry.erase_columns))


def _closed_cutoff(config: Any, now: datetime) -> datetime | None:
    days = [retention_days(config, c) for c in
            (Category.IDENTITY, Category.CONTACT, Category.SENSITIVE)]
    if None in days:  # a category kept without limit: nobody is anonymised for age
        return None
    return now - timedelta(days=max(days))


def _login_cutoff(config: Any, now: datetime) -> datetime:
    return now - timedelta(seconds=max(config["LOGIN_WINDOW_SECONDS"], 86400))


def plan(sess: Session, config: Any, now: datetime | None = None) -> Plan:
    """What retention would do now (changes nothing)."""
    now = now or utcnow()
    result = Plan()
    for entry, table, due in _message_targets(config, now):
        ids = list(sess.scalars(sa.select(table.c.id).where(due).order_by(table.c.id)))
        if ids:
            result.messages[entry.table] = ids
    cutoff = _closed_cutoff(config, now)
    closed = [] if cutoff is None else sess.scalars(sa.select(Participant).where(
        Participant.stage.in_([s.value for s in FINAL_STAGES]),
        Participant.stage_entered_at < cutoff,
        Participant.erased_at.is_(None)).order_by(Participant.id))
    for p in closed:
        (result.held if erasure.vetoes(sess, p) else result.participants).append(p.id)
    result.login_attempts = sess.scalar(
        sa.select(sa.func.count()).select_from(LoginAttempt)
        .where(LoginAttempt.attempted_at < _login_cutoff(config, now))) or 0
    return result


def _batches(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def apply(app: Flask, now: datetime | None = None, batch: int = BATCH) -> Plan:
    """Plan, then do it in batches, each in its own transaction; returns what was done."""
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as sess:
            todo = plan(sess, app.config, now)
        done = Plan(held=list(todo.held))
        for entry, table, due in _message_targets(app.config, now):
            for ids in _batches(todo.messages.get(entry.table, []), batch):
                with db.job_session() as sess:
                    # Still due (a second run may have emptied some meanwhile).
                    n = sess.connection().execute(
                        table.update().where(table.c.id.in_(ids), due)
                        .values(**erasure.emptied(table, entry.erase_columns))).rowcount
                if n:
                    done.messages.setdefault(entry.table, []).extend(ids)
        for ids in _batches(todo.participants, batch):
            with db.job_session() as sess:
                for pid in ids:
                    p = sess.get(Participant, pid)
                    try:
                        with sess.begin_nested():
                            erasure.erase(sess, p, actor_id=None,
                                          reason=erasure.ErasureReason.RETENTION.value)
                    except Conflict:  # held or erased since the plan was made
                        done.held.append(pid)
                    else:
                        done.participants.append(pid)
        with db.job_session() as sess:
            done.login_attempts = sess.connection().execute(
                sa.delete(LoginAttempt.__table__)
                .where(LoginAttempt.__table__.c.attempted_at < _login_cutoff(app.config, now))
            ).rowcount
    logger.info("retention applied %s", " ".join(f"{k}={v}" for k, v in done.counts().items()))
    return done


def retention_job(app: Flask) -> dict[str, int]:
    """The daily scheduled job."""
    return apply(app).counts()


def describe(result: Plan, *, dry_run: bool) -> list[str]:
    """Lines for the command's output: counts per table, and the ids."""
    verb = "would" if dry_run else "did"
    lines = [f"{table}: {verb} empty {len(ids)} rows (ids {_ids(ids)})"
             for table, ids in sorted(result.messages.items())]
    lines.append(f"participants: {verb} anonymise {len(result.participants)} "
                 f"(ids {_ids(result.participants)})")
    if result.held:
        lines.append(f"participants held (legal hold or veto): {len(result.held)} "
                     f"(ids {_ids(result.held)})")
    lines.append(f"login_attempts: {verb} delete {result.login_attempts} rows")
    return lines


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"

