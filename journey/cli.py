"""The `journey` command for operators: database, users, demo data."""

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


@click.group("users")
def users_group():
    """User accounts."""


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True,
              type=click.Choice(["admin", "supervisor", "caseworker", "employer", "partner"]))
@click.option("--office", "office_code", help="Office code (supervisors and caseworkers).")
@click.option("--employer-id", type=int)
@click.option("--provider-id", type=int)
@click.option("--email")
@click.option("--language", default="en")
@click.password_option(help="At least 12 characters; prompted for when not given.")
@with_appcontext
def users_create(username, full_name, role, office_code, employer_id, provider_id, email,
                 language, password):
    """Create a user."""
    from sqlmodel import select

    from journey.accounts.schemas import UserCreateSchema
    from journey.accounts.services import create_user
    from journey.core.db import db
    from journey.core.errors import ProblemError
    from journey.organisations.models import Office

    with db.job_session() as sess:
        office_id = None
        if office_code:
            office_id = sess.scalar(select(Office.id).where(Office.code == office_code.upper()))
            if office_id is None:
                raise click.BadParameter(f"no office with code {office_code}", param_hint="--office")
        raw = {"username": username, "full_name": full_name, "role": role, "password": password,
               "office_id": office_id, "employer_id": employer_id, "provider_id": provider_id,
               "email": email, "language": language}
        errors = UserCreateSchema().validate(raw)
        if errors:
            raise click.UsageError("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        try:
            user = create_user(sess, None, UserCreateSchema().load(raw))
        except ProblemError as err:
            details = "; ".join(e["message"] for e in err.errors) or err.detail
            raise click.UsageError(details) from err
        click.echo(f"created user {user.username} (id {user.id}, role {user.role})")


@click.group("demo")
def demo_group():
    """Demo data for trying journey out."""


@demo_group.command("load")
@with_appcontext
def demo_load():
    """Load demo offices, a programme, one user per role and participants (idempotent)."""
    from journey.demo.load import load_demo

    load_demo(echo=click.echo)


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


@click.group("taxonomy")
def taxonomy_group():
    """ISCO-08 groups and ESCO occupations."""


@taxonomy_group.command("import-esco")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--isco-groups", type=click.Path(exists=True, dir_okay=False),
              help="ISCOGroups_en.csv, with the official ESCO occupations_en.csv.")
@with_appcontext
def taxonomy_import_esco(file: str, isco_groups: str | None):
    """Import ESCO occupations and ISCO-08 groups from FILE (idempotent; never deletes).

    FILE is the flat occupations CSV (esco_label, esco_key, isco_4_label, isco_4_key, ...) or the
    official ESCO occupations_en.csv together with --isco-groups ISCOGroups_en.csv.
    """
    import time

    from journey.core.db import db
    from journey.taxonomy.services import TaxonomyFileError, import_esco

    start = time.perf_counter()
    try:
        with db.job_session() as sess:
            result = import_esco(sess, file, isco_groups=isco_groups)
    except TaxonomyFileError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{result.summary()} ({time.perf_counter() - start:.2f} s)")


@taxonomy_group.command("load-base")
@with_appcontext
def taxonomy_load_base():
    """Load the ISCO-08 groups and ESCO occupations that ship with journey (adds what is missing)."""
    from journey.core.db import db
    from journey.taxonomy.services import load_base

    with db.job_session() as sess:
        result = load_base(sess)
    click.echo(result.summary())


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=50, show_default=True)
@with_appcontext
def worker(once: bool, batch: int):
    """Send queued SMS and email (run several on PostgreSQL; each message goes out once)."""
    import signal
    import threading

    from journey.messaging.bridge import build_senders
    from notifications.dispatcher import Dispatcher

    app = current_app._get_current_object()
    sms, email = build_senders(app)
    dispatcher = Dispatcher(app, sms, email, batch=batch)
    if once:
        total = 0
        while handled := dispatcher.run_once():
            total += handled
        click.echo(f"handled {total} messages")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"{dispatcher.worker_id} sending; Ctrl-C stops it")
    try:
        dispatcher.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


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
    for group in (db_group, users_group, demo_group, continuum_group, taxonomy_group):
        app.cli.add_command(group)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)


def _create_app():
    from journey import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             add_version_option=False)
def main():
    """Operate a journey deployment."""
