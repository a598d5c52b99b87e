"""Login throttling (finding 5): failures count per (username, client address) pair, with back-off.

These run on an app of their own whose requests commit for real: a failed login is written in its
own transaction so the request's rollback keeps it, which the shared per-test savepoints would
undo.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey import create_app
from journey.accounts.services import create_user
from journey.core.audit import AuditEvent
from journey.core.auth import LoginAttempt, _throttle_key, login_wait
from journey.core.db import db, utcnow
from tests.factories import PASSWORD

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def throttle_db(fresh_database_url) -> str:
    url = fresh_database_url(at_head=True)
    return url


@pytest.fixture
def make_app(throttle_db):
    made = []

    def make(**config):
        app = create_app({"DATABASE_URL": throttle_db, "LOG_TRACEBACKS": False,
                          "PASSWORD_HASH_PROFILE": "cheapest", **config})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["journey_db"].engine.dispose()


def _user(app, role: str = "admin") -> tuple[int, str]:
    username = f"{role}-t{next(_seq)}"
    data = {"username": username, "full_name": "Throttle Test", "role": role, "password": PASSWORD}
    with app.app_context(), db.job_session() as s:
        if role in ("supervisor", "caseworker"):
            from journey.organisations.models import Office

            office = Office(code=f"TH{next(_seq)}", name="Throttle office", country="NP",
                            timezone="Asia/Kathmandu", created_at=utcnow())
            s.add(office)
            s.flush()
            data["office_id"] = office.id
        user = create_user(s, None, data)
        return user.id, username


def _login(client, username, password, addr="192.0.2.10", **headers):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr}, headers=headers)


def test_made_up_usernames_from_an_address_do_not_lock_a_supervisor_out(make_app):
    app = make_app()
    _uid, supervisor = _user(app, "supervisor")
    client = app.test_client()
    # An office's shared address: someone tries forty made-up usernames from it.
    for n in range(40):
        assert _login(client, f"nobody{n}", "guess", addr="198.51.100.7").status_code == 401
    assert _login(client, supervisor, PASSWORD, addr="198.51.100.7").status_code == 201


def test_failures_on_admin_from_one_address_do_not_stop_admin_from_another(make_app):
    app = make_app()
    _uid, admin = _user(app)
    client = app.test_client()
    for _ in range(5):
        assert _login(client, admin, "wrong", addr="203.0.113.5").status_code == 401
    # The attacker's address is backing off, even with the right password ...
    assert _login(client, admin, PASSWORD, addr="203.0.113.5").status_code == 429
    # ... the real admin, elsewhere, is not.
    assert _login(client, admin, PASSWORD, addr="192.0.2.99").status_code == 201


def test_back_off_doubles_with_each_failure_up_to_the_cap(make_app):
    app = make_app()
    _uid, admin = _user(app)
    client = app.test_client()
    for _ in range(5):
        assert _login(client, admin, "wrong").status_code == 401
    first = _login(client, admin, "wrong")
    assert first.status_code == 429
    assert 30 <= int(first.headers["Retry-After"]) <= 32  # 2**5 seconds after the fifth failure
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.10"}):
        key = _throttle_key(admin)

    def age(seconds):
        with app.app_context(), db.job_session() as s:
            for row in s.scalars(sa.select(LoginAttempt).where(LoginAttempt.key == key)):
                row.attempted_at -= timedelta(seconds=seconds)

    age(33)  # the wait is over: one more try, which fails again
    assert _login(client, admin, "wrong").status_code == 401
    second = _login(client, admin, PASSWORD)
    assert second.status_code == 429
    assert 62 <= int(second.headers["Retry-After"]) <= 64  # 2**6
    age(65)
    assert _login(client, admin, PASSWORD).status_code == 201  # and a success forgets them
    with app.app_context(), db.job_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)
                        .where(LoginAttempt.key == key)) == 0


def test_the_wait_is_capped(make_app):
    app = make_app()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        key = _throttle_key("capped")
        with db.job_session() as s:
            s.add_all([LoginAttempt(key=key, attempted_at=utcnow()) for _ in range(20)])
        with db.job_session() as s:
            assert 890 <= login_wait(s, key) <= app.config["LOGIN_BACKOFF_MAX_SECONDS"] == 900


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_address_counts_only_behind_trusted_proxies(make_app, proxies):
    app = make_app(TRUSTED_PROXIES=proxies)
    _uid, admin = _user(app)
    client = app.test_client()
    proxy = "10.0.0.1"  # every request reaches the app from the reverse proxy
    for _ in range(5):
        resp = _login(client, admin, "wrong", addr=proxy, **{"X-Forwarded-For": "198.51.100.1"})
        assert resp.status_code == 401
    other_client = _login(client, admin, PASSWORD, addr=proxy,
                          **{"X-Forwarded-For": "198.51.100.2"})
    if proxies:
        assert other_client.status_code == 201  # its own address, its own count
    else:
        # X-Forwarded-For is not believed: a client cannot pick a fresh address per guess.
        assert other_client.status_code == 429


def test_logins_are_audited_by_id_never_by_name(make_app):
    app = make_app()
    uid, admin = _user(app)
    client = app.test_client()
    made_up = f"nobody-{next(_seq)}"
    assert _login(client, admin, "wrong").status_code == 401
    assert _login(client, made_up, "wrong").status_code == 401
    assert _login(client, admin, PASSWORD).status_code == 201
    with app.app_context(), db.job_session() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("accounts:login:%"))
                           .order_by(AuditEvent.id.desc()).limit(3)).all()[::-1]
    assert [(e.action, e.actor_id) for e in events] == [
        ("accounts:login:fail", uid), ("accounts:login:fail", None), ("accounts:login:succeed", uid)]
    assert events[0].details["reason"] == "invalid-credentials"
    for event in events:
        assert admin not in str(event.details) and made_up not in str(event.details)


def test_wrong_codes_are_failed_logins_of_the_pair_and_are_audited(make_app):
    import pyotp

    from journey.accounts.totp import UserTotp

    app = make_app()
    uid, admin = _user(app)
    secret = pyotp.random_base32()
    with app.app_context(), db.job_session() as s:
        s.add(UserTotp(user_id=uid, secret=secret, created_at=utcnow(), confirmed_at=utcnow()))
    client = app.test_client()

    def token(otp):
        return client.post("/api/v1/auth/tokens", json={"username": admin, "password": PASSWORD,
                                                        "otp": otp},
                           environ_base={"REMOTE_ADDR": "192.0.2.50"})

    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(5):
        resp = token(wrong)
        assert resp.status_code == 401 and resp.get_json()["code"] == "otp-invalid"
    assert token(pyotp.TOTP(secret).now()).status_code == 429
    with app.app_context(), db.job_session() as s:
        fails = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "accounts:login:fail",
                                                      AuditEvent.actor_id == uid)).all()
        assert len(fails) == 5 and {e.details["reason"] for e in fails} == {"otp-invalid"}

    # A wrong code while setting up is audited too.
    other_id, other = _user(app, "caseworker")
    got = client.post("/api/v1/auth/tokens", json={"username": other, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {got.get_json()['token']}"}
    assert client.post("/api/v1/auth/totp", headers=headers).status_code == 201
    assert client.post("/api/v1/auth/totp/confirm", headers=headers,
                       json={"otp": "12345678"}).status_code == 422
    with app.app_context(), db.job_session() as s:
        (event,) = s.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "accounts:totp:fail", AuditEvent.actor_id == other_id)).all()
        assert event.details["purpose"] == "enrol"
