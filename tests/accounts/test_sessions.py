"""Server-side sessions (finding 4): a cookie names a session the server can end."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from journey.accounts.sessions import end_sessions, revoke_tokens
from journey.core.auth import ApiToken, UserSession
from journey.core.db import utcnow
from tests.factories import PASSWORD
from tests.web.test_pages import HTML, csrf_token, log_in


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_copied_before_logout_no_longer_works(client, factory):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    copied = _cookie(client)
    assert client.get("/participants", headers=HTML).status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/participants")}, headers=HTML)
    assert resp.status_code == 303
    # The attacker replays the copied cookie in a browser of their own.
    attacker = client.application.test_client()
    attacker.set_cookie("session", copied)
    replay = attacker.get("/participants", headers=HTML)
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/login")


def test_end_sessions_ends_all_but_the_kept_one(client, factory, db_session, app):
    cw = factory.user("caseworker")
    others = [app.test_client() for _ in range(3)]
    for c in others:
        assert log_in(c, cw).status_code == 303
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == cw.id)
                              .order_by(UserSession.id)).all()
    assert len(rows) == 3
    with app.test_request_context():
        assert end_sessions(db_session, cw.id, reason="deactivated", keep_id=rows[0].id) == 2
        assert end_sessions(db_session, cw.id, reason="deactivated", keep_id=rows[0].id) == 0
    db_session.flush()
    assert others[0].get("/participants", headers=HTML).status_code == 200
    assert others[1].get("/participants", headers=HTML).status_code == 302
    assert others[2].get("/participants", headers=HTML).status_code == 302


def test_revoke_tokens_revokes_every_live_token(client, factory, db_session, app):
    cw = factory.user("caseworker")
    secrets_ = [factory.token(cw) for _ in range(2)]
    with app.test_request_context():
        assert revoke_tokens(db_session, cw.id, actor_id=None) == 2
    for secret in secrets_:
        assert client.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert all(t.revoked_at for t in db_session.scalars(
        select(ApiToken).where(ApiToken.user_id == cw.id)))


def test_idle_and_absolute_limits_end_a_session(client, factory, db_session, app):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    row = db_session.scalar(select(UserSession).where(UserSession.user_id == cw.id))
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    row.last_seen_at = utcnow() - idle - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/participants", headers=HTML).status_code == 302
    row.last_seen_at = utcnow()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/participants", headers=HTML).status_code == 302
    assert row.expires_at - row.created_at <= timedelta(hours=app.config["SESSION_MAX_HOURS"])


def test_deactivation_ends_the_session_at_once(client, factory, db_session):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    cw.is_active = False
    db_session.flush()
    assert client.get("/participants", headers=HTML).status_code == 302


def test_last_seen_is_written_at_most_once_a_minute_and_no_address_is_kept(client, factory,
                                                                           db_session):
    cw = factory.user("caseworker")
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    client.environ_base["HTTP_USER_AGENT"] = ua
    assert log_in(client, cw).status_code == 303
    row = db_session.scalar(select(UserSession).where(UserSession.user_id == cw.id))
    assert row.client == "Firefox, Linux"
    assert "127.0.0.1" not in {str(v) for v in row.model_dump().values()}
    seen = row.last_seen_at
    assert client.get("/participants", headers=HTML).status_code == 200
    db_session.refresh(row)
    assert row.last_seen_at == seen  # a page a moment later writes nothing
    row.last_seen_at = seen = utcnow() - timedelta(minutes=2)
    db_session.flush()
    assert client.get("/participants", headers=HTML).status_code == 200
    db_session.refresh(row)
    assert row.last_seen_at > seen


def test_logging_in_again_ends_the_browsers_previous_session(client, factory, db_session):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    again = client.post("/login", data={"username": cw.username, "password": PASSWORD,
                                        "csrf_token": csrf_token(client, "/participants")}, headers=HTML)
    assert again.status_code == 303
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == cw.id)
                              .order_by(UserSession.id)).all()
    assert [r.ended_reason for r in rows] == ["logout", None]
