"""User lifecycle through the API and the CLI: edit, deactivate, reactivate (issue #11, finding 6)."""

from __future__ import annotations

import sqlalchemy as sa

from journey.accounts.services import user_version
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, User, issue_token
from tests.factories import PASSWORD

URL = "/api/v1/users"


def _events(db_session, action: str, object_id: int) -> list[AuditEvent]:
    return list(db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == object_id)))


def _me(client, secret: str) -> int:
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_deactivation_revokes_tokens_at_once_and_refuses_login(client, factory, db_session):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    _token, secret = issue_token(db_session, cw, "laptop", 30)
    assert _me(client, secret) == 200

    resp = client.post(f"{URL}/{cw.id}/deactivate", json={"reason": "left"},
                       headers=factory.headers(admin))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["is_active"] is False
    assert _me(client, secret) == 401
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == cw.id, ApiToken.revoked_at.is_(None))) == 0
    login = client.post("/api/v1/auth/tokens", json={"username": cw.username, "password": PASSWORD})
    assert login.status_code == 401
    (event,) = _events(db_session, "accounts:user:deactivate", cw.id)
    assert event.actor_id == admin.id and event.details == {"reason": "left"}

    again = client.post(f"{URL}/{cw.id}/deactivate", json={"reason": "left"},
                        headers=factory.headers(admin))
    assert again.status_code == 409 and again.get_json()["code"] == "already-inactive"

    back = client.post(f"{URL}/{cw.id}/reactivate", json={"reason": "returned"},
                       headers=factory.headers(admin))
    assert back.status_code == 200 and back.get_json()["is_active"] is True
    assert _me(client, secret) == 401  # revoked tokens stay revoked
    assert client.post("/api/v1/auth/tokens", json={"username": cw.username,
                                                    "password": PASSWORD}).status_code == 201
    assert len(_events(db_session, "accounts:user:reactivate", cw.id)) == 1


def test_a_reason_code_is_required(client, factory):
    admin, cw = factory.user("admin"), factory.user("caseworker")
    for body in ({}, {"reason": "because I said so"}):
        resp = client.post(f"{URL}/{cw.id}/deactivate", json=body, headers=factory.headers(admin))
        assert resp.status_code == 422
        assert [e["field"] for e in resp.get_json()["errors"]] == ["reason"]


def test_an_admin_cannot_deactivate_themselves_or_the_last_active_admin(client, factory,
                                                                       db_session):
    # Every other admin (from other tests' rows in this transaction) is out of the picture.
    db_session.execute(sa.update(User).where(User.role == "admin").values(is_active=False))
    admin = factory.user("admin")
    headers = factory.headers(admin)
    resp = client.post(f"{URL}/{admin.id}/deactivate", json={"reason": "other"}, headers=headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "cannot-deactivate-self"

    second = factory.user("admin")
    assert client.post(f"{URL}/{second.id}/deactivate", json={"reason": "left"},
                       headers=headers).status_code == 200
    # Now admin is the last active admin: demoting them through an edit is refused too.
    body = client.get(f"{URL}/{admin.id}", headers=headers).get_json()
    office = factory.office()
    resp = client.patch(f"{URL}/{admin.id}", json={"role": "supervisor", "office_id": office.id,
                                                   "version": body["version"]}, headers=headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "own-role"


def test_the_last_active_admin_cannot_be_deactivated_by_the_cli(app, factory, db_session):
    db_session.execute(sa.update(User).where(User.role == "admin").values(is_active=False))
    last = factory.user("admin")
    result = app.test_cli_runner().invoke(args=["users", "deactivate", last.username,
                                                "--reason", "left"])
    assert result.exit_code != 0
    assert "last-admin" in result.output
    db_session.refresh(last)
    assert last.is_active


def test_cli_deactivates_and_reactivates(app, factory, db_session, client):
    cw = factory.user("caseworker")
    _token, secret = issue_token(db_session, cw, "laptop", 30)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "deactivate", cw.username.upper(), "--reason", "leave"])
    assert result.exit_code == 0, result.output
    db_session.refresh(cw)
    assert not cw.is_active
    assert _me(client, secret) == 401
    assert _events(db_session, "accounts:user:deactivate", cw.id)[0].actor_id is None
    result = runner.invoke(args=["users", "reactivate", cw.username, "--reason", "returned"])
    assert result.exit_code == 0, result.output
    db_session.refresh(cw)
    assert cw.is_active
    unknown = runner.invoke(args=["users", "deactivate", "nobody-here", "--reason", "left"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_edit_needs_the_version_read_and_refuses_a_stale_one(client, factory, db_session):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    headers = factory.headers(admin)
    read = client.get(f"{URL}/{cw.id}", headers=headers)
    version = read.get_json()["version"]
    assert read.headers["ETag"] == f'"{version}"'

    missing = client.patch(f"{URL}/{cw.id}", json={"language": "ne"}, headers=headers)
    assert missing.status_code == 428

    other = factory.office()
    first = client.patch(f"{URL}/{cw.id}", json={"office_id": other.id, "language": "ne"},
                         headers={**headers, "If-Match": f'"{version}"'})
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["office_id"], first.get_json()["language"]) == (other.id, "ne")
    assert first.get_json()["version"] != version

    # A second edit made on the first read is refused, by header (412) or by body (409).
    stale = client.patch(f"{URL}/{cw.id}", json={"email": "new@example.org"},
                         headers={**headers, "If-Match": f'"{version}"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale-version"
    stale = client.patch(f"{URL}/{cw.id}", json={"email": "new@example.org", "version": version},
                         headers=headers)
    assert stale.status_code == 409
    db_session.refresh(cw)
    assert cw.email is None
    (event,) = _events(db_session, "accounts:user:update", cw.id)
    assert event.details["fields"] == ["language", "office_id"]


def test_edit_checks_the_affiliation_a_role_needs(client, factory, db_session):
    admin = factory.user("admin")
    partner = factory.user("partner")
    headers = factory.headers(admin)
    version = user_version(partner)
    resp = client.patch(f"{URL}/{partner.id}", json={"role": "caseworker", "version": version},
                        headers=headers)
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["office_id"]
    office = factory.office()
    resp = client.patch(f"{URL}/{partner.id}", json={"role": "caseworker", "office_id": office.id,
                                                     "version": version}, headers=headers)
    assert resp.status_code == 200
    # The provider affiliation goes with the partner role.
    assert (resp.get_json()["office_id"], resp.get_json()["provider_id"]) == (office.id, None)


def test_unknown_user_is_404(client, factory):
    admin = factory.user("admin")
    headers = factory.headers(admin)
    assert client.get(f"{URL}/999999", headers=headers).status_code == 404
    assert client.post(f"{URL}/999999/deactivate", json={"reason": "left"},
                       headers=headers).status_code == 404
