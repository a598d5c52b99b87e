"""`journey audit`: checking the audit chain from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

_REASONS = {
    "content-changed": "its content was changed after it was written",
    "link-broken": "its link to the event before it was changed",
    "missing-event": "one or more events before it are missing",
}


@click.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Events read per query; memory use grows with it.")
@with_appcontext
def audit_verify(batch_size: int):
    """Walk the whole audit chain and name the first broken link (exit status 1 if any)."""
    from journey.auditlog.chain import verify
    from journey.core.db import db

    report = verify(db.engine, batch_size)
    if report.intact:
        click.echo(f"audit chain intact: {report.checked} events checked; "
                   f"head seq {report.head_seq} hash {report.head_hash}")
        return
    click.echo(f"audit chain BROKEN at event {report.broken_at} ({report.reason}): "
               f"{_REASONS[report.reason]}; expected seq {report.expected_seq} after hash "
               f"{report.head_hash}; {report.checked} events checked before it", err=True)
    raise SystemExit(1)
