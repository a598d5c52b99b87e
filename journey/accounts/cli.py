"""`journey users`: user accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


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
