"""`journey users sessions` and `journey users end-sessions`: a user's sessions from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from journey.accounts.cli import users_group


def _user_id(sess, username: str) -> int:
    import sqlalchemy as sa

    from journey.core.auth import User

    user_id = sess.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower()))
    if user_id is None:
        raise click.BadParameter(f"no user {username}", param_hint="USERNAME")
    return user_id


@users_group.command("sessions")
@click.argument("username")
@with_appcontext
def users_sessions(username):
    """List a user's live sessions and unrevoked tokens."""
    from journey.accounts.sessions import list_sessions, list_tokens
    from journey.core.db import db, utcnow

    with db.job_session() as sess:
        user_id = _user_id(sess, username)
        rows = list_sessions(sess, user_id)
        click.echo(f"{len(rows)} live session(s)")
        for row in rows:
            state = f" awaiting {row.awaiting}" if row.awaiting else ""
            click.echo(f"  session {row.id}: since {row.created_at:%Y-%m-%d %H:%M}Z, last seen "
                       f"{row.last_seen_at:%Y-%m-%d %H:%M}Z, {row.client or 'unknown client'}{state}")
        now = utcnow()
        tokens = [t for t in list_tokens(sess, user_id)
                  if t.revoked_at is None and t.expires_at > now]
        click.echo(f"{len(tokens)} live token(s)")
        for t in tokens:
            click.echo(f"  token {t.id}: {t.name}, expires {t.expires_at:%Y-%m-%d}")


@users_group.command("end-sessions")
@click.argument("username")
@click.option("--keep-tokens", is_flag=True, help="Leave the user's API tokens alone.")
@with_appcontext
def users_end_sessions(username, keep_tokens):
    """End all of a user's sessions at once and revoke their API tokens."""
    from journey.accounts.sessions import end_sessions, revoke_tokens
    from journey.core.db import db

    with db.job_session() as sess:
        user_id = _user_id(sess, username)
        ended = end_sessions(sess, user_id, reason="revoked")
        revoked = 0 if keep_tokens else revoke_tokens(sess, user_id, actor_id=None)
    click.echo(f"ended {ended} session(s), revoked {revoked} token(s)")


@users_group.command("reset-totp")
@click.argument("username")
@with_appcontext
def users_reset_totp(username):
    """Remove a user's second factor (a lost phone); their sessions and tokens end."""
    from journey.accounts.totp import reset_by_admin
    from journey.core.auth import User
    from journey.core.db import db

    with db.job_session() as sess:
        removed = reset_by_admin(sess, None, sess.get(User, _user_id(sess, username)))
    click.echo("second factor removed" if removed else "no second factor to remove")


@users_group.command("require-totp")
@click.argument("role", type=click.Choice(["admin", "supervisor", "caseworker", "employer",
                                           "partner"]))
@click.option("--off", is_flag=True, help="Stop requiring it.")
@with_appcontext
def users_require_totp(role, off):
    """Require a TOTP second factor of every user of ROLE (their users without one sign out)."""
    from journey.accounts.totp import set_role_rule
    from journey.core.db import db

    with db.job_session() as sess:
        set_role_rule(sess, None, role, not off)
    click.echo(f"{role}: TOTP {'not required' if off else 'required'}")
