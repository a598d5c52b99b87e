"""The `journey` command for operators: the database and the scheduler here; users, demo data,
the worker and the rest come from the domains that declare them (journey/domains.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from journey.config import ROOT


def alembic_config(url: str | None = None):
    """Alembic's config pointing at our migrations, for the current app's database."""
    from alembic.config import Config

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
    from alembic import command

    _ensure_sqlite_dir(current_app.config["DATABASE_URL"])
    command.upgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Revert migrations down to REVISION (e.g. base)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db_group.command("check")
@with_appcontext
def db_check():
    """Fail if the models and the migrations have drifted apart."""
    from alembic import command

    command.check(alembic_config())
    click.echo("models and migrations agree")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run reminders and other scheduled jobs (one leader across machines on PostgreSQL)."""
    import signal
    import threading

    from notifications import scheduler as sched

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        sched.run(current_app._get_current_object(), stop)
    except KeyboardInterrupt:
        stop.set()


def register_commands(app: Flask) -> None:
    """The platform's own commands; each domain's come from its declaration (Domain.commands)."""
    app.cli.add_command(db_group)
    app.cli.add_command(scheduler)


def _create_app():
    from journey import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             add_version_option=False)
def main():
    """Operate a journey deployment."""
