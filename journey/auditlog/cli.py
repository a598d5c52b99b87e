"""`journey audit`: checking the audit chain from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

_REASONS = {
    "content-changed": "its content was changed after it was written",
    "link-broken": "its link to the event before it was changed",
    "missing-event": "one or more events before it are missing",
    "anchor-mismatch": "its hash is not the one noted with --anchor: the log was rewritten",
}


def _anchor(_ctx, _param, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 \
            or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter("give SEQ:HASH as printed by an earlier verify")
    return int(seq), digest


@click.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Events read per query; memory use grows with it.")
@click.option("--anchor", callback=_anchor, metavar="SEQ:HASH",
              help="A head printed by an earlier verify and kept elsewhere: catches a rewrite "
                   "that recomputed every hash, and removed newest events.")
@with_appcontext
def audit_verify(batch_size: int, anchor: tuple[int, str] | None):
    """Seal committed events, walk the whole audit chain and name the first broken link, or
    events left unsealed past the grace period (exit status 1 if any)."""
    from flask import current_app

    from journey.auditlog.chain import UNSEALED, verify
    from journey.auditlog.sealer import grace
    from journey.core.db import db

    allowed = grace(current_app)
    report = verify(db.engine, batch_size, anchor=anchor, grace=allowed)
    if report.intact:
        click.echo(f"audit chain intact: {report.checked} events checked; "
                   f"head {report.head_seq}:{report.head_hash}")
        return
    if report.reason == UNSEALED:
        click.echo(f"audit chain NOT SEALED: {report.unsealed} event(s) recorded more than "
                   f"{allowed.total_seconds():.0f} s ago have no seal, the first event "
                   f"{report.broken_at} (unsealed): is `journey scheduler` running? Until they "
                   f"are sealed nothing shows whether they were changed; the chain itself is "
                   f"intact: {report.checked} events checked; head "
                   f"{report.head_seq}:{report.head_hash}", err=True)
        raise SystemExit(1)
    if report.broken_at is None:
        click.echo(f"audit chain BROKEN ({report.reason}): it ends at seq {report.head_seq}, "
                   f"before the anchor's seq {anchor[0]}: the newest events were removed; "
                   f"{report.checked} events checked", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain BROKEN at event {report.broken_at} ({report.reason}): "
               f"{_REASONS[report.reason]}; expected seq {report.expected_seq} after hash "
               f"{report.head_hash}; {report.checked} events checked before it", err=True)
    raise SystemExit(1)
