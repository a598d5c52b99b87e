"""`journey db`: the schema, migrated by Alembic (the platform's own command, declared by the
core domain)."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import with_appcontext

from journey.config import ROOT


def alembic_config(url: str | None = None):
    """Alembic's config pointing at our migrations, for the current app's database."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url or current_app.config["DATABASE_URL"]
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@click.group("db")
def db_group():
    """Database schema migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str):
    """Apply migrations up to REVISION (default: head)."""
    _ensure_sqlite_dir(current_app.config["DATABASE_URL"])
    command.upgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Revert migrations down to REVISION (e.g. base)."""
    command.downgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_group.command("check")
@with_appcontext
def db_check():
    """Fail if the models and the migrations have drifted apart."""
    command.check(alembic_config())
    click.echo("models and migrations agree")
