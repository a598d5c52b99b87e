"""TOTP second factor: enrolment, codes at login (pages and API), replay, per-role requirement."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlmodel import select

from journey.accounts.totp import UserTotp
from journey.core.audit import AuditEvent
from journey.core.auth import UserSession
from tests.factories import PASSWORD
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _enrol_api(client, headers) -> pyotp.TOTP:
    started = client.post("/api/v1/auth/totp", headers=headers)
    assert started.status_code == 201
    body = started.get_json()
    assert body["uri"].startswith("otpauth://totp/") and body["secret"] in body["uri"]
    otp = pyotp.TOTP(body["secret"])
    assert client.post("/api/v1/auth/totp/confirm", headers=headers,
                       json={"otp": "000000" if otp.now() != "000000" else "111111"}
                       ).status_code == 422
    assert client.post("/api/v1/auth/totp/confirm", headers=headers,
                       json={"otp": otp.now()}).status_code == 204
    return otp


def _next_code(otp: pyotp.TOTP) -> str:
    """The code of the next step: accepted (one step of drift) and not yet used."""
    return otp.at(time.time() + otp.interval)


def _token(client, user, **extra):
    return client.post("/api/v1/auth/tokens",
                       json={"username": user.username, "password": PASSWORD, **extra})


def test_api_tokens_need_the_code_once_enrolled_and_a_code_works_once(client, factory, db_session):
    cw = factory.user("caseworker")
    otp = _enrol_api(client, factory.headers(cw))
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "accounts:totp:enrol", AuditEvent.actor_id == cw.id)) is not None
    missing = _token(client, cw)
    assert missing.status_code == 401 and missing.get_json()["code"] == "otp-required"
    wrong = _token(client, cw, otp="12345x")
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "otp-invalid"
    code = _next_code(otp)
    assert _token(client, cw, otp=code).status_code == 201
    replay = _token(client, cw, otp=code)
    assert replay.status_code == 401 and replay.get_json()["code"] == "otp-invalid"


def test_enrolling_twice_is_a_conflict(client, factory):
    cw = factory.user("caseworker")
    headers = factory.headers(cw)
    _enrol_api(client, headers)
    again = client.post("/api/v1/auth/totp", headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "otp-already-enrolled"


def test_page_login_asks_for_the_code_on_a_second_step(client, factory):
    cw = factory.user("caseworker")
    otp = _enrol_api(client, factory.headers(cw))
    resp = log_in(client, cw, next_="/account")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/login/code")
    # Half logged in: nothing else opens.
    assert client.get("/", headers=HTML).status_code == 302
    assert client.get("/account", headers=HTML).status_code == 302
    code_page = resp.headers["Location"]
    token = csrf_token(client, code_page)
    wrong = client.post(code_page, data={"code": "000000" if otp.now() != "000000" else "111111",
                                         "csrf_token": token}, headers=HTML)
    assert wrong.status_code == 422
    assert 'aria-describedby="code-error"' in text(wrong)
    done = client.post(code_page, data={"code": _next_code(otp), "csrf_token": token},
                       headers=HTML)
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    assert client.get("/account", headers=HTML).status_code == 200


def test_disabling_needs_a_current_code(client, factory, db_session):
    cw = factory.user("caseworker")
    otp = _enrol_api(client, factory.headers(cw))
    log_in(client, cw)
    client.post("/login/code", data={"code": _next_code(otp),
                                     "csrf_token": csrf_token(client, "/login/code")}, headers=HTML)
    token = csrf_token(client, "/account")
    wrong = client.post("/account/totp/disable", data={"code": "abc", "csrf_token": token},
                        headers=HTML)
    assert wrong.status_code == 422 and 'id="code-error"' in text(wrong)
    # The login used the next step's code: the current one is older, so it is a replay.
    replay = client.post("/account/totp/disable", data={"code": otp.now(), "csrf_token": token},
                         headers=HTML)
    assert replay.status_code == 422
    row = db_session.get(UserTotp, cw.id)
    row.last_step = None  # as if a minute had passed
    db_session.flush()
    ok = client.post("/account/totp/disable", data={"code": otp.now(), "csrf_token": token},
                     headers=HTML)
    assert ok.status_code == 303
    db_session.expire_all()
    assert db_session.get(UserTotp, cw.id) is None
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "accounts:totp:disable", AuditEvent.actor_id == cw.id)) is not None
    # Logins ask only for the password again.
    assert _token(client, cw).status_code == 201


@pytest.fixture
def require_caseworker_totp(client, factory):
    admin = factory.user("admin")
    resp = client.put("/api/v1/security/roles/caseworker", json={"require_totp": True},
                      headers=factory.headers(admin))
    assert resp.status_code == 200 and resp.get_json() == {"role": "caseworker",
                                                           "require_totp": True}
    return admin


def test_a_role_that_requires_totp_sends_its_users_to_enrol(client, factory, db_session,
                                                            require_caseworker_totp):
    cw = factory.user("caseworker")
    refused = _token(client, cw)
    assert refused.status_code == 403 and refused.get_json()["code"] == "otp-enrolment-required"
    resp = log_in(client, cw)
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/login/enrol")
    page = client.get("/login/enrol", headers=HTML)
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)  # the QR code
    assert client.get("/", headers=HTML).status_code == 302  # nothing else until enrolled
    secret = db_session.get(UserTotp, cw.id).secret
    assert secret.replace(" ", "")[:4] in text(page)  # the key, as text
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(),
                                             "csrf_token": csrf_token(client, "/login/enrol")},
                       headers=HTML)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert client.get("/", headers=HTML).status_code == 200
    # The half-finished session was swapped for a new one.
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == cw.id)).all()
    assert [r.ended_reason for r in rows] == ["second-step-done", None]


def test_requiring_totp_signs_out_the_role_users_without_it(client, factory, db_session):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    secret = factory.token(cw)
    admin = factory.user("admin")
    assert client.put("/api/v1/security/roles/caseworker", json={"require_totp": True},
                      headers=factory.headers(admin)).status_code == 200
    assert client.get("/", headers=HTML).status_code == 302
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    got = client.get("/api/v1/security/roles/caseworker", headers=factory.headers(admin))
    assert got.get_json()["require_totp"] is True
    assert client.get("/api/v1/security/roles/nobody",
                      headers=factory.headers(admin)).status_code == 404
