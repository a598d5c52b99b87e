"""Passwords: strength (zxcvbn), one-time reset links, changing your own (issue #11, finding 6)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from journey.accounts.models import PasswordReset
from journey.accounts.passwords import weakness
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, User, issue_token, verify_password
from journey.core.db import utcnow
from tests.factories import PASSWORD
from tests.web.test_pages import HTML, csrf_token, log_in, text

STRONG = "plum kettle orbit saffron"


def _new_user(client, factory, password: str, **kw):
    admin = factory.user("admin")
    body = {"username": "new.person", "full_name": "Nadia Rai", "role": "admin",
            "password": password, "email": "nadia@example.org", **kw}
    return client.post("/api/v1/users", json=body, headers=factory.headers(admin))


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa",  # 12 characters: accepted before zxcvbn
    "password1234",
    "qwertyuiopas",
    "abcdefghijkl",
    "new.person2026",  # the username with a year
    "nadia@example.org",  # the email
])
def test_weak_passwords_are_refused_on_the_password_field(client, factory, db_session, password):
    resp = _new_user(client, factory, password)
    assert resp.status_code == 422, resp.get_json()
    (error,) = resp.get_json()["errors"]
    assert (error["field"], error["code"]) == ("password", "password-weak")
    assert "too easy to guess" in error["message"]
    assert db_session.scalar(sa.select(User.id).where(User.username == "new.person")) is None


def test_a_strong_password_is_accepted(client, factory):
    assert _new_user(client, factory, STRONG).status_code == 201


def test_the_users_own_name_makes_a_password_weak(client, factory):
    # Strong for zxcvbn alone (score 4): weak only because it is this user's own name.
    for password in ("zorbanekquillfeather", "Zorbanek Quillfeather"):
        resp = _new_user(client, factory, password, full_name="Zorbanek Quillfeather")
        assert resp.status_code == 422
        assert "username, name or email" in resp.get_json()["errors"][0]["message"]


def test_the_hint_names_what_to_avoid_in_our_words_and_language(app):
    with app.test_request_context():
        assert "repeated" in weakness("aaaaaaaaaaaa")
        assert "username, name or email" in weakness("nadiarai2026!", ["nadiarai"])
        with force_locale("fr"):
            # Untranslated strings fall back to our English; zxcvbn's own English never shows.
            assert "Repeats like" not in weakness("aaaaaaaaaaaa")
        assert weakness(STRONG) is None
        assert weakness("x" * 200 + "!") is not None  # judged on its start, not slow
        assert weakness("short") == "Use at least 12 characters."


def test_demo_and_factory_passwords_pass(app):
    from journey.demo.load import DEMO_PASSWORD

    with app.test_request_context():
        assert weakness(DEMO_PASSWORD, ["caseworker", "Demo Caseworker"]) is None
        assert weakness(PASSWORD) is None


# --- reset links -----------------------------------------------------------------------------------

def _make_link(client, factory, user) -> tuple[dict, str]:
    admin = factory.user("admin")
    resp = client.post(f"/api/v1/users/{user.id}/password-reset", headers=factory.headers(admin))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body, body["url"].split("/password/reset/", 1)[1]


def _submit(client, token: str, password: str, again: str | None = None):
    path = f"/password/reset/{token}"
    return client.post(path, data={"password": password, "password_again": again or password,
                                   "csrf_token": csrf_token(client)}, headers=HTML)


def test_a_reset_link_sets_the_password_once_and_ends_every_token(client, factory, db_session):
    cw = factory.user("caseworker")
    _token, secret = issue_token(db_session, cw, "laptop", 30)
    body, token = _make_link(client, factory, cw)
    assert body["url"].startswith("http") and body["user_id"] == cw.id
    # Only the hash is stored, and the audit never sees the token.
    row = db_session.get(PasswordReset, body["id"])
    assert token not in row.token_hash and len(row.token_hash) == 64
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action.like("accounts:password_reset:%"))).all()
    assert events and all(token not in json.dumps(e.details) for e in events)

    page = client.get(f"/password/reset/{token}", headers=HTML)
    assert page.status_code == 200 and cw.username in text(page)

    mismatch = _submit(client, token, STRONG, "something else entirely")
    assert mismatch.status_code == 422 and "are not the same" in text(mismatch)
    weak = _submit(client, token, "aaaaaaaaaaaa")
    assert weak.status_code == 422 and 'id="err-password"' in weak.get_data(as_text=True)
    assert "too easy to guess" in text(weak)

    done = _submit(client, token, STRONG)
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    db_session.refresh(cw)
    assert verify_password(cw, STRONG) and not verify_password(cw, PASSWORD)
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    db_session.refresh(row)
    assert row.used_at is not None

    again = client.get(f"/password/reset/{token}", headers=HTML)
    assert again.status_code == 410 and "already been used" in text(again)
    reuse = _submit(client, token, "another fine phrase of words")
    assert reuse.status_code == 410
    assert log_in(client, cw, STRONG).status_code == 303


def test_a_new_link_supersedes_the_old_and_expired_links_say_so(client, factory, db_session):
    cw = factory.user("caseworker")
    _first, old = _make_link(client, factory, cw)
    second, new = _make_link(client, factory, cw)
    replaced = client.get(f"/password/reset/{old}", headers=HTML)
    assert replaced.status_code == 410 and "has been replaced" in text(replaced)
    assert client.get(f"/password/reset/{new}", headers=HTML).status_code == 200

    row = db_session.get(PasswordReset, second["id"])
    row.created_at = utcnow() - timedelta(days=2)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    expired = client.get(f"/password/reset/{new}", headers=HTML)
    assert expired.status_code == 410 and "has expired" in text(expired)
    assert _submit(client, new, STRONG).status_code == 410

    for bogus in ("not-a-token", "x" * 300):
        missing = client.get(f"/password/reset/{bogus}", headers=HTML)
        assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_deactivating_voids_open_links_and_no_link_for_an_inactive_user(client, factory):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    _body, token = _make_link(client, factory, cw)
    client.post(f"/api/v1/users/{cw.id}/deactivate", json={"reason": "compromised"},
                headers=factory.headers(admin))
    assert client.get(f"/password/reset/{token}", headers=HTML).status_code == 410
    resp = client.post(f"/api/v1/users/{cw.id}/password-reset", headers=factory.headers(admin))
    assert resp.status_code == 409 and resp.get_json()["code"] == "user-inactive"


def test_cli_prints_a_reset_link_on_the_public_address(app, factory, client):
    cw = factory.user("caseworker")
    result = app.test_cli_runner().invoke(args=["users", "reset-link", cw.username])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/password/reset/")
    token = url.rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token}", headers=HTML).status_code == 200


# --- changing your own password ---------------------------------------------------------------------

def _change(client, headers, current: str, new: str):
    return client.post("/api/v1/auth/password", json={"current_password": current,
                                                      "new_password": new}, headers=headers)


def test_change_password_keeps_this_token_and_ends_the_others(client, factory, db_session):
    cw = factory.user("caseworker")
    this, this_secret = issue_token(db_session, cw, "this", 1)
    _other, other_secret = issue_token(db_session, cw, "other", 1)
    headers = {"Authorization": f"Bearer {this_secret}"}

    wrong = _change(client, headers, "not my password", STRONG)
    assert wrong.status_code == 422
    assert [(e["field"], e["code"]) for e in wrong.get_json()["errors"]] == [
        ("current_password", "wrong-password")]
    weak = _change(client, headers, PASSWORD, "aaaaaaaaaaaa")
    assert weak.status_code == 422 and weak.get_json()["errors"][0]["field"] == "new_password"

    ok = _change(client, headers, PASSWORD, STRONG)
    assert ok.status_code == 200 and ok.get_json() == {"ended": 1}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {other_secret}"}).status_code == 401
    assert db_session.get(ApiToken, this.id).revoked_at is None
    db_session.refresh(cw)
    assert verify_password(cw, STRONG)


def test_wrong_current_passwords_are_throttled_per_user(app, client, factory, db_session):
    cw, bystander = factory.user("caseworker"), factory.user("caseworker")
    headers = factory.headers(cw)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _change(client, headers, "not my password", STRONG).status_code == 422
    refused = _change(client, headers, PASSWORD, STRONG)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    db_session.refresh(cw)
    assert verify_password(cw, PASSWORD)
    # Only this user's changes are held back.
    assert _change(client, factory.headers(bystander), PASSWORD, STRONG).status_code == 200
