"""`journey demo`: demo data for trying journey out."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("demo")
def demo_group():
    """Demo data for trying journey out."""


@demo_group.command("load")
@with_appcontext
def demo_load():
    """Load demo offices, a programme, one user per role and participants (idempotent)."""
    from journey.demo.load import load_demo

    load_demo(echo=click.echo)
