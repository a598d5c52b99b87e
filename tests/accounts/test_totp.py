"""TOTP second factor: enrolment, codes at login (pages and API), replay, per-role requirement."""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import select

from journey.accounts.totp import UserTotp, role_rules
from journey.core.audit import AuditEvent
from journey.core.auth import UserSession
from journey.core.db import utcnow
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


def test_the_secret_is_encrypted_at_rest(client, factory, db_session):
    cw = factory.user("caseworker")
    started = client.post("/api/v1/auth/totp", headers=factory.headers(cw)).get_json()
    stored = db_session.execute(sa.text("SELECT secret FROM user_totp WHERE user_id = :u"),
                                {"u": cw.id}).scalar_one()
    assert started["secret"] not in stored and stored.startswith("j1.")
    assert db_session.get(UserTotp, cw.id).secret == started["secret"]


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
    assert client.get("/participants", headers=HTML).status_code == 302
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
    assert client.get("/participants", headers=HTML).status_code == 302  # nothing else until enrolled
    secret = db_session.get(UserTotp, cw.id).secret
    assert secret.replace(" ", "")[:4] in text(page)  # the key, as text
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(),
                                             "csrf_token": csrf_token(client, "/login/enrol")},
                       headers=HTML)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert client.get("/participants", headers=HTML).status_code == 200
    # The half-finished session was swapped for a new one.
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == cw.id)
                              .order_by(UserSession.id)).all()
    assert [r.ended_reason for r in rows] == ["second-step-done", None]


def test_requiring_totp_signs_out_the_role_users_without_it(client, factory, db_session):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    secret = factory.token(cw)
    admin = factory.user("admin")
    assert client.put("/api/v1/security/roles/caseworker", json={"require_totp": True},
                      headers=factory.headers(admin)).status_code == 200
    assert client.get("/participants", headers=HTML).status_code == 302
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    got = client.get("/api/v1/security/roles/caseworker", headers=factory.headers(admin))
    assert got.get_json()["require_totp"] is True
    assert client.get("/api/v1/security/roles/nobody",
                      headers=factory.headers(admin)).status_code == 404


def test_an_admin_removes_a_lost_second_factor_and_the_user_enrols_again(client, factory,
                                                                           db_session):
    admin, cw = factory.user("admin"), factory.user("caseworker")
    otp = _enrol_api(client, factory.headers(cw))
    assert _token(client, cw).get_json()["code"] == "otp-required"
    live = factory.headers(cw)  # a token made before the reset
    assert client.delete(f"/api/v1/users/{cw.id}/totp", headers=factory.headers(cw)).status_code == 403
    assert client.delete(f"/api/v1/users/{cw.id}/totp",
                         headers=factory.headers(admin)).status_code == 204
    assert db_session.get(UserTotp, cw.id) is None
    assert client.get("/api/v1/auth/me", headers=live).status_code == 401  # its tokens ended
    assert _token(client, cw).status_code == 201  # the password alone again, no code
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "accounts:totp:reset", AuditEvent.object_id == cw.id)) is not None
    assert client.delete(f"/api/v1/users/{cw.id}/totp",
                         headers=factory.headers(admin)).status_code == 404
    assert otp.now()  # the old app's codes are worthless now: nothing left to check them against


def test_the_command_line_requires_totp_of_a_role_and_removes_a_second_factor(app, factory,
                                                                                db_session):
    cw = factory.user("caseworker")
    db_session.add(UserTotp(user_id=cw.id, secret=pyotp.random_base32(), created_at=utcnow(),
                            confirmed_at=utcnow()))
    db_session.flush()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "require-totp", "supervisor"])
    assert out.exit_code == 0 and "TOTP required" in out.output, out.output
    assert role_rules(db_session)["supervisor"] is True
    out = runner.invoke(args=["users", "reset-totp", cw.username])
    assert out.exit_code == 0 and "removed" in out.output, out.output
    db_session.expire_all()
    assert db_session.get(UserTotp, cw.id) is None
    out = runner.invoke(args=["users", "require-totp", "supervisor", "--off"])
    assert out.exit_code == 0 and "not required" in out.output, out.output
    assert role_rules(db_session)["supervisor"] is False


def test_the_admin_security_page_removes_a_second_factor(client, factory, db_session):
    admin, cw = factory.user("admin"), factory.user("caseworker")
    db_session.add(UserTotp(user_id=cw.id, secret=pyotp.random_base32(), created_at=utcnow(),
                            confirmed_at=utcnow()))
    db_session.flush()
    assert log_in(client, admin).status_code == 303
    page = f"/admin/users/{cw.id}/security"
    assert "Remove the second factor" in text(client.get(page, headers=HTML))
    done = client.post(f"/admin/users/{cw.id}/totp/reset",
                       data={"csrf_token": csrf_token(client, page)}, headers=HTML)
    assert done.status_code == 303 and done.headers["Location"] == page
    after = text(client.get(page, headers=HTML))
    assert "The second factor is removed" in after and "Remove the second factor" not in after
    db_session.expire_all()
    assert db_session.get(UserTotp, cw.id) is None
