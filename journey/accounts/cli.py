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


def _user_by_name(sess, username: str):
    import sqlalchemy as sa
    from sqlmodel import select

    from journey.core.auth import User

    user = sess.scalar(select(User).where(sa.func.lower(User.username) == username.lower()))
    if user is None:
        raise click.BadParameter(f"no user {username}", param_hint="USERNAME")
    return user


def _run(action):
    """Run action(sess) in one transaction; a refused change is a usage error, not a traceback."""
    from journey.core.db import db
    from journey.core.errors import ProblemError

    try:
        with db.job_session() as sess:
            return action(sess)
    except ProblemError as err:
        details = "; ".join(e["message"] for e in err.errors) or err.detail
        raise click.UsageError(f"{details} ({err.code})") from err


def _codes(enum_name: str) -> list[str]:
    from journey.accounts import models

    return [r.value for r in getattr(models, enum_name)]


_DEACTIVATE = _codes("DeactivationReason")
_REACTIVATE = _codes("ReactivationReason")


@users_group.command("deactivate")
@click.argument("username")
@click.option("--reason", required=True, type=click.Choice(_DEACTIVATE))
@with_appcontext
def users_deactivate(username, reason):
    """Stop a user logging in; their tokens and sessions end at once."""
    from journey.accounts.services import deactivate_user

    def action(sess):
        user = deactivate_user(sess, None, _user_by_name(sess, username), reason)
        return user.id

    click.echo(f"deactivated user {username} (id {_run(action)})")


@users_group.command("reactivate")
@click.argument("username")
@click.option("--reason", required=True, type=click.Choice(_REACTIVATE))
@with_appcontext
def users_reactivate(username, reason):
    """Let a deactivated user log in again."""
    from journey.accounts.services import reactivate_user

    def action(sess):
        return reactivate_user(sess, None, _user_by_name(sess, username), reason).id

    click.echo(f"reactivated user {username} (id {_run(action)})")


@users_group.command("reset-link")
@click.argument("username")
@with_appcontext
def users_reset_link(username):
    """Print a one-time link (on JOURNEY_PUBLIC_BASE_URL) for the user to set a new password;
    older links stop working."""
    from journey.accounts.resets import create_reset_link, reset_url

    def action(sess):
        reset, token = create_reset_link(sess, None, _user_by_name(sess, username))
        return reset, reset_url(token)

    reset, url = _run(action)
    click.echo(f"reset link for {username}, valid until {reset.expires_at:%Y-%m-%d %H:%M} UTC "
               "(shown once):")
    click.echo(url)
