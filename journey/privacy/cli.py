"""`journey privacy`: the data subject's rights from the command line."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext


@click.group("privacy")
def privacy_group():
    """Data subjects' rights: export (and, from journey.privacy, erasure and retention)."""


@privacy_group.command("export")
@click.argument("reference")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True),
              help="The ZIP file to write (default: journey-export-<REFERENCE>.zip here).")
@with_appcontext
def export_command(reference: str, out_path: str | None):
    """Write one participant's data (data.json and summary.html) into a ZIP archive."""
    import sqlalchemy as sa

    from journey.core.db import db
    from journey.participants.models import Participant
    from journey.privacy import export

    with db.job_session() as sess:
        p = sess.scalar(sa.select(Participant).where(
            Participant.reference == reference.strip().upper()))
        if p is None:
            raise click.BadParameter(f"no participant with reference {reference}",
                                     param_hint="REFERENCE")
        path = out_path or export.filename(p)
        # The archive is the person's whole record: readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            result = export.write_archive(sess, p, out, actor_id=None, via="cli")
    click.echo(f"wrote {path}: {result.total} rows from {len(result.rows)} tables")
