"""`journey continuum scan` and the scheduler job that does the same every hour."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.group("continuum")
def continuum_group():
    """The migration continuum."""


@continuum_group.command("scan")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Pretend it is this day.")
@with_appcontext
def continuum_scan(today):
    """Record checklist due/overdue and permit-expiring events (idempotent; the scheduler runs it)."""
    from journey.continuum.services import record_due_events
    from journey.core.db import db, utcnow

    day = today.date() if today else utcnow().date()
    offsets = tuple(current_app.config["PERMIT_REMINDER_DAYS"])
    with db.job_session() as sess:
        counts = record_due_events(sess, day, offsets)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


def scan_job(app: Flask) -> dict[str, int]:
    """Reminders: checklist items due or overdue, permits expiring (each once)."""
    from journey.continuum.services import record_due_events
    from journey.core.db import db, utcnow

    with app.app_context(), db.job_session() as sess:
        return record_due_events(sess, utcnow().date(), tuple(app.config["PERMIT_REMINDER_DAYS"]))
