"""Seeing and ending sessions and tokens: your own, and (admins) anyone's; API, pages and CLI."""

from __future__ import annotations

from sqlmodel import select

from journey.core.audit import AuditEvent
from journey.core.auth import UserSession
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _browser(app, user):
    c = app.test_client()
    assert log_in(c, user).status_code == 303
    return c


def _session_ids(db_session, user) -> list[int]:
    return list(db_session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id)))


def _audited(db_session, action, **where) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return list(db_session.scalars(query))


def test_you_list_and_end_your_own_sessions_only(app, client, factory, db_session):
    cw, other = factory.user("caseworker"), factory.user("caseworker")
    laptop, phone = _browser(app, cw), _browser(app, cw)
    theirs = _browser(app, other)
    headers = factory.headers(cw)
    listed = client.get("/api/v1/auth/sessions", headers=headers).get_json()
    mine = _session_ids(db_session, cw)
    assert sorted(s["id"] for s in listed) == mine
    assert set(listed[0]) == {"id", "created_at", "last_seen_at", "expires_at", "client",
                              "awaiting"}
    (their_id,) = _session_ids(db_session, other)
    assert client.delete(f"/api/v1/auth/sessions/{their_id}", headers=headers).status_code == 404
    assert theirs.get("/participants", headers=HTML).status_code == 200
    assert client.delete(f"/api/v1/auth/sessions/{mine[0]}", headers=headers).status_code == 204
    assert laptop.get("/participants", headers=HTML).status_code == 302
    assert phone.get("/participants", headers=HTML).status_code == 200
    assert _audited(db_session, "accounts:session:end", object_id=mine[0])


def test_sign_out_everywhere_keeps_the_token_in_use_if_asked(app, client, factory, db_session):
    cw = factory.user("caseworker")
    browser = _browser(app, cw)
    in_use, spare = factory.token(cw), factory.token(cw)
    resp = client.post("/api/v1/auth/sessions/end-all", json={},
                       headers={"Authorization": f"Bearer {in_use}"})
    assert resp.status_code == 200 and resp.get_json() == {"sessions": 1, "tokens": 1}
    assert browser.get("/participants", headers=HTML).status_code == 302

    def me(secret):
        return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})

    assert me(spare).status_code == 401 and me(in_use).status_code == 200
    resp = client.post("/api/v1/auth/sessions/end-all", json={"keep_current": False},
                       headers={"Authorization": f"Bearer {in_use}"})
    assert resp.get_json() == {"sessions": 0, "tokens": 1}
    assert me(in_use).status_code == 401
    assert len(_audited(db_session, "accounts:session:sign_out_everywhere", actor_id=cw.id)) == 2


def test_admins_see_and_end_anyones_sessions_and_tokens(app, client, factory, db_session):
    cw, admin = factory.user("caseworker"), factory.user("admin")
    browser = _browser(app, cw)
    secret = factory.token(cw)
    h = factory.headers(admin)
    tokens = client.get(f"/api/v1/users/{cw.id}/tokens", headers=h).get_json()
    assert len(tokens) == 1 and "token" not in tokens[0] and "token_hash" not in tokens[0]
    (sid,) = [s["id"] for s in client.get(f"/api/v1/users/{cw.id}/sessions", headers=h).get_json()]
    assert client.delete(f"/api/v1/users/{admin.id}/sessions/{sid}", headers=h).status_code == 404
    assert client.delete(f"/api/v1/users/{cw.id}/sessions/{sid}", headers=h).status_code == 204
    assert browser.get("/participants", headers=HTML).status_code == 302
    ended = db_session.get(UserSession, sid)
    db_session.refresh(ended)
    assert ended.ended_reason == "revoked"
    browser = _browser(app, cw)
    resp = client.post(f"/api/v1/users/{cw.id}/sessions/end-all", json={}, headers=h)
    assert resp.get_json() == {"sessions": 1, "tokens": 1}
    assert browser.get("/participants", headers=HTML).status_code == 302
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.get("/api/v1/users/999999/sessions", headers=h).status_code == 404
    assert _audited(db_session, "accounts:session:end_all", actor_id=admin.id, object_id=cw.id)


def test_account_page_lists_sessions_and_signs_out_everywhere(app, client, factory):
    cw = factory.user("caseworker")
    other = _browser(app, cw)
    assert log_in(client, cw).status_code == 303
    page = client.get("/account", headers=HTML)
    assert page.status_code == 200
    assert "(this browser)" in text(page)
    assert text(page).count('>End</button>') == 2
    resp = client.post("/account/sign-out-everywhere",
                       data={"csrf_token": csrf_token(client, "/account")}, headers=HTML)
    assert resp.status_code == 303
    assert other.get("/participants", headers=HTML).status_code == 302
    assert client.get("/participants", headers=HTML).status_code == 200  # this browser was kept
    resp = client.post("/account/sign-out-everywhere",
                       data={"csrf_token": csrf_token(client, "/account"), "this_browser": "yes"},
                       headers=HTML)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert client.get("/participants", headers=HTML).status_code == 302


def test_admin_security_page_ends_a_users_sessions(app, client, factory):
    cw, admin = factory.user("caseworker"), factory.user("admin")
    browser = _browser(app, cw)
    factory.token(cw)
    assert log_in(client, admin).status_code == 303
    page = client.get(f"/admin/users/{cw.id}/security", headers=HTML)
    assert page.status_code == 200
    assert f'href="/admin/users/{cw.id}"' in page.get_data(as_text=True)
    assert "Revoke" in text(page) and ">End</button>" in text(page)
    resp = client.post(f"/admin/users/{cw.id}/sessions/end-all",
                       data={"csrf_token": csrf_token(client, "/account")}, headers=HTML)
    assert resp.status_code == 303
    assert browser.get("/participants", headers=HTML).status_code == 302
    assert "Not logged in anywhere." in text(client.get(f"/admin/users/{cw.id}/security",
                                                        headers=HTML))
    # Only admins.
    assert browser.get(f"/admin/users/{admin.id}/security", headers=HTML).status_code == 302
    sup = _browser(app, factory.user("supervisor"))
    assert sup.get(f"/admin/users/{cw.id}/security", headers=HTML).status_code == 403
    assert sup.get("/admin/security", headers=HTML).status_code == 403


def test_admin_roles_page_requires_totp_per_role(client, factory):
    admin = factory.user("admin")
    assert log_in(client, admin).status_code == 303
    assert client.get("/admin/security", headers=HTML).status_code == 200
    resp = client.post("/admin/security", data={"csrf_token": csrf_token(client, "/admin/security"),
                                                "require_totp": ["supervisor"]}, headers=HTML)
    assert resp.status_code == 303
    got = client.get("/api/v1/security/roles/supervisor", headers=factory.headers(admin))
    assert got.get_json()["require_totp"] is True


def test_cli_lists_and_ends_sessions(app, factory):
    cw = factory.user("caseworker")
    browser = _browser(app, cw)
    factory.token(cw)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["users", "sessions", cw.username])
    assert listed.exit_code == 0, listed.output
    assert "1 live session(s)" in listed.output and "1 live token(s)" in listed.output
    ended = runner.invoke(args=["users", "end-sessions", cw.username])
    assert ended.exit_code == 0, ended.output
    assert "ended 1 session(s), revoked 1 token(s)" in ended.output
    assert browser.get("/participants", headers=HTML).status_code == 302
    assert runner.invoke(args=["users", "sessions", "nobody-here"]).exit_code != 0


def test_logout_is_audited(client, factory, db_session):
    cw = factory.user("caseworker")
    log_in(client, cw)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/participants")}, headers=HTML)
    assert _audited(db_session, "accounts:session:logout", actor_id=cw.id)
    assert _audited(db_session, "accounts:login:succeed", actor_id=cw.id)


def test_tokens_are_revoked_from_the_pages(app, client, factory, db_session):
    from journey.core.auth import ApiToken

    cw, admin = factory.user("caseworker"), factory.user("admin")
    own, other = factory.token(cw), factory.token(cw)
    ids = list(db_session.scalars(select(ApiToken.id).where(ApiToken.user_id == cw.id)
                                  .order_by(ApiToken.id)))

    def me(secret):
        return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})

    browser = _browser(app, cw)
    token = csrf_token(browser, "/account")
    # Someone else's token is not found from your account page.
    admin_ids = factory.token(admin) and list(db_session.scalars(
        select(ApiToken.id).where(ApiToken.user_id == admin.id)))
    assert browser.post(f"/account/tokens/{admin_ids[0]}/revoke", data={"csrf_token": token},
                        headers=HTML).status_code == 404
    assert browser.post(f"/account/tokens/{ids[0]}/revoke", data={"csrf_token": token},
                        headers=HTML).status_code == 303
    assert me(own).status_code == 401 and me(other).status_code == 200
    assert log_in(client, admin).status_code == 303
    resp = client.post(f"/admin/users/{cw.id}/tokens/{ids[1]}/revoke",
                       data={"csrf_token": csrf_token(client, "/account")}, headers=HTML)
    assert resp.status_code == 303
    assert me(other).status_code == 401
