"""Server-side sessions and tokens as a whole: list them, end them, revoke them.

Ending a session or revoking a token takes effect on the next request: journey.core.auth looks
both up on every request. Other account services (deactivation, password change) call
end_sessions and revoke_tokens.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import ApiToken, User, UserSession, end_session, live_session
from journey.core.db import utcnow
from journey.core.errors import NotFound
from journey.core.i18n import _

logger = logging.getLogger(__name__)


def list_sessions(sess: Session, user_id: int) -> list[UserSession]:
    """A user's live sessions, newest first (half-finished logins included)."""
    return list(sess.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                       live_session())
                             .order_by(UserSession.id.desc())))


def list_tokens(sess: Session, user_id: int) -> list[ApiToken]:
    """A user's tokens, revoked and expired ones too (never their secrets)."""
    return list(sess.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                             .order_by(ApiToken.id)))


def end_sessions(sess: Session, user_id: int, *, reason: str, keep_id: int | None = None,
                 actor_id: int | None = None) -> int:
    """End every live server-side session of the user except keep_id; return how many.

    `reason` is a short code stored on each session (logout, sign-out-everywhere, deactivated,
    password-changed, revoked, ...).
    """
    now = utcnow()
    query = sa.update(UserSession).where(UserSession.user_id == user_id, live_session(now))
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    count = sess.execute(query.values(ended_at=now, ended_reason=reason[:30]),
                         execution_options={"synchronize_session": "fetch"}).rowcount
    if count:
        audit.record(sess, "accounts:session:end_all", actor_id=actor_id, object_type="user",
                     object_id=user_id, count=count, reason=reason[:30])
        logger.info("ended sessions user_id=%s count=%s reason=%s", user_id, count, reason)
    return count


def revoke_tokens(sess: Session, user_id: int, *, actor_id: int | None,
                  keep_id: int | None = None) -> int:
    """Revoke every unrevoked API token of the user except keep_id; return how many."""
    now = utcnow()
    query = sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
                                      ApiToken.expires_at > now)
    if keep_id is not None:
        query = query.where(ApiToken.id != keep_id)
    count = sess.execute(query.values(revoked_at=now),
                         execution_options={"synchronize_session": "fetch"}).rowcount
    if count:
        audit.record(sess, "accounts:token:revoke_all", actor_id=actor_id, object_type="user",
                     object_id=user_id, count=count)
    return count


def end_one_session(sess: Session, actor: User, user_id: int, session_id: int) -> UserSession:
    """End one session of user_id (the caller's own, or anyone's for admins: routes check)."""
    row = sess.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound(_("No such session."))
    if end_session(row, "revoked" if actor.id != user_id else "ended"):
        audit.record(sess, "accounts:session:end", actor_id=actor.id, object_type="user_session",
                     object_id=row.id, user_id=user_id)
    return row


def sign_out_everywhere(sess: Session, user: User, *, keep_session_id: int | None = None,
                        keep_token_id: int | None = None) -> tuple[int, int]:
    """End all of the user's sessions and revoke all their tokens, except the ones kept."""
    sessions = end_sessions(sess, user.id, reason="sign-out-everywhere", keep_id=keep_session_id,
                            actor_id=user.id)
    tokens = revoke_tokens(sess, user.id, actor_id=user.id, keep_id=keep_token_id)
    audit.record(sess, "accounts:session:sign_out_everywhere", actor_id=user.id,
                 object_type="user", object_id=user.id, sessions=sessions, tokens=tokens,
                 kept_session=keep_session_id is not None, kept_token=keep_token_id is not None)
    return sessions, tokens
