"""`journey privacy erase` and `journey privacy retention`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from journey.privacy.erasure import ErasureReason


@click.command("erase")
@click.argument("reference")
@click.option("--reason", required=True, type=click.Choice([r.value for r in ErasureReason]),
              help="Why the record is erased (a code; it goes into the audit log).")
@with_appcontext
def erase_command(reference: str, reason: str):
    """Anonymise the participant with this REFERENCE in place (cannot be undone)."""
    import sqlalchemy as sa

    from journey.core.db import db
    from journey.core.errors import Conflict
    from journey.participants.models import Participant
    from journey.privacy import erasure

    try:
        with db.job_session() as sess:
            p = sess.scalar(sa.select(Participant)
                            .where(Participant.reference == reference.strip().upper()))
            if p is None:
                raise click.ClickException(f"no participant with reference {reference!r}")
            rows = erasure.erase(sess, p, actor_id=None, reason=reason)
    except Conflict as err:
        reasons = err.extra.get("reasons") or [err.code]
        raise click.ClickException(f"refused ({', '.join(reasons)}): {err.detail}") from err
    for table, n in sorted(rows.items()):
        click.echo(f"{table}: {n}")
    click.echo(f"erased participant {p.id} ({sum(rows.values())} rows)")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be done; change nothing.")
@click.option("--batch", default=200, show_default=True, help="Rows or people per transaction.")
@with_appcontext
def retention_command(dry_run: bool, batch: int):
    """Apply the retention policy now (the scheduler does it daily)."""
    from journey.core.db import db
    from journey.privacy import retention

    app = current_app._get_current_object()
    if dry_run:
        with db.job_session() as sess:
            result = retention.plan(sess, app.config)
    else:
        result = retention.apply(app, batch=batch)
    for line in retention.describe(result, dry_run=dry_run):
        click.echo(line)
