"""The credential API: issue, list, read, revoke, and the public verify and status endpoints."""

from __future__ import annotations

import jwt
from jwt import PyJWK

from journey.core.audit import AuditEvent


def _setup(factory, passports, **kw):
    """A caseworker, a participant of their office with a full passport, and headers."""
    user = factory.user("caseworker")
    p = factory.participant(user, **kw)
    entries = passports.full(p, user)
    return user, p, entries, factory.headers(user)


def test_issue_read_list_and_verify_through_the_api(client, factory, db_session, passports,
                                                    ob_validator):
    cw, p, _entries, h = _setup(factory, passports)
    url = f"/api/v1/participants/{p.id}/credentials"
    resp = client.post(url, json={"scope": "passport"}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert list(ob_validator.iter_errors(body["credential"])) == []
    assert body["verify_url"].endswith(f"/verify/{body['uuid']}")
    assert body["token"].count(".") == 2

    listed = client.get(url, headers=h).get_json()
    assert [c["id"] for c in listed] == [body["id"]]
    assert "token" not in listed[0] and "credential" not in listed[0]
    one = client.get(f"{url}/{body['id']}", headers=h).get_json()
    assert one["token"] == body["token"]

    verified = client.post("/api/v1/credentials/verify", json={"token": body["token"]})
    assert verified.status_code == 200
    assert verified.get_json()["status"] == "valid"
    assert verified.get_json()["issuer"]["id"].endswith(f"/issuers/{p.office_id}")
    # Nothing about the holder in the public answer.
    assert p.given_name not in verified.get_data(as_text=True)
    actions = {e.action for e in db_session.query(AuditEvent).filter(
        AuditEvent.action.like("credentials:%"))}
    assert {"credentials:credential:issue", "credentials:credential:list",
            "credentials:credential:read", "credentials:credential:verify_view"} <= actions


def test_signature_verifies_with_the_published_jwks(client, factory, passports):
    """An independent path: the key from /.well-known/jwks.json, through PyJWT's own PyJWK."""
    _cw, p, _e, h = _setup(factory, passports)
    token = client.post(f"/api/v1/participants/{p.id}/credentials", json={"scope": "passport"},
                        headers=h).get_json()["token"]
    resp = client.get("/.well-known/jwks.json")
    assert resp.status_code == 200 and "max-age" in resp.headers["Cache-Control"]
    jwks = resp.get_json()
    assert all("d" not in k for k in jwks["keys"])
    kid = jwt.get_unverified_header(token)["kid"].rsplit("#", 1)[-1]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    payload = jwt.decode(token, PyJWK(jwk).key, algorithms=["EdDSA"])
    assert payload["credentialSubject"]["type"] == ["AchievementSubject"]

    did = client.get("/.well-known/did.json").get_json()
    assert any(m["publicKeyJwk"]["x"] == jwk["x"] for m in did["verificationMethod"])


def test_single_entry_through_the_api_and_refusals(client, factory, db_session, passports):
    cw, p, entries, h = _setup(factory, passports)
    url = f"/api/v1/participants/{p.id}/credentials"
    qualification = next(e for e in entries if e.kind == "qualification")
    occupation = next(e for e in entries if e.kind == "occupation")
    ok = client.post(url, json={"scope": "entry", "entry_id": qualification.id}, headers=h)
    assert ok.status_code == 201 and ok.get_json()["entry_id"] == qualification.id

    wrong_kind = client.post(url, json={"scope": "entry", "entry_id": occupation.id}, headers=h)
    assert wrong_kind.status_code == 422
    assert wrong_kind.get_json()["errors"][0] == {
        "field": "entry_id", "code": "not-allowed",
        "message": "Only a qualification or a skill can be issued on its own."}
    other = factory.participant(cw)
    theirs = client.post(f"/api/v1/participants/{other.id}/credentials",
                         json={"scope": "entry", "entry_id": qualification.id}, headers=h)
    assert theirs.status_code == 422
    empty = client.post(f"/api/v1/participants/{other.id}/credentials",
                        json={"scope": "passport"}, headers=h)
    assert empty.status_code == 409 and empty.get_json()["code"] == "passport-empty"
    for bad in ({"scope": "skill_card"}, {"scope": "everything"}, {}, {"scope": "entry",
                                                                       "entry_id": "x"}):
        assert client.post(url, json=bad, headers=h).status_code == 422, bad


def test_revoke_needs_a_supervisor_and_happens_once(client, factory, db_session, passports):
    cw, p, _e, h = _setup(factory, passports)
    url = f"/api/v1/participants/{p.id}/credentials"
    cred = client.post(url, json={"scope": "passport"}, headers=h).get_json()
    revoke = f"{url}/{cred['id']}/revoke"

    assert client.post(revoke, json={"reason": "Wrong person"}, headers=h).status_code == 403
    office_id = p.office_id
    from journey.organisations.models import Office
    supervisor = factory.user("supervisor", office=db_session.get(Office, office_id))
    hs = factory.headers(supervisor)
    assert client.post(revoke, json={"reason": "  "}, headers=hs).status_code == 422
    done = client.post(revoke, json={"reason": "Wrong person"}, headers=hs)
    assert done.status_code == 200 and done.get_json()["revoked_by"] == supervisor.id
    again = client.post(revoke, json={"reason": "Twice"}, headers=hs)
    assert again.status_code == 409 and again.get_json()["code"] == "already-revoked"

    status = client.get(f"/api/v1/credentials/{cred['uuid']}/status")
    assert status.status_code == 200
    assert status.get_json()["revoked"] is True
    assert status.get_json()["revokedCredentials"] == [{"id": f"urn:uuid:{cred['uuid']}"}]
    assert "Wrong person" not in status.get_data(as_text=True)
    verified = client.post("/api/v1/credentials/verify", json={"token": cred["token"]}).get_json()
    assert verified["status"] == "revoked" and verified["revoked_at"]
    assert db_session.query(AuditEvent).filter_by(action="credentials:credential:revoke",
                                                  object_id=cred["id"]).count() == 1


def test_other_office_is_not_found(client, factory, passports):
    _cw, p, _e, h = _setup(factory, passports)
    outsider = factory.user("caseworker")
    ho = factory.headers(outsider)
    url = f"/api/v1/participants/{p.id}/credentials"
    cred = client.post(url, json={"scope": "passport"}, headers=h).get_json()
    assert client.get(url, headers=ho).status_code == 404
    assert client.post(url, json={"scope": "passport"}, headers=ho).status_code == 404
    assert client.get(f"{url}/{cred['id']}", headers=ho).status_code == 404
    # A credential id under another participant of one's own office is missing too.
    mine = factory.participant(outsider)
    assert client.get(f"/api/v1/participants/{mine.id}/credentials/{cred['id']}",
                      headers=ho).status_code == 404


def test_public_endpoints_need_no_token(client):
    resp = client.post("/api/v1/credentials/verify", json={"token": "garbage"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "tampered"
    assert client.post("/api/v1/credentials/verify", json={}).status_code == 422
    assert client.post("/api/v1/credentials/verify", json={"token": 5}).status_code == 422
    assert client.get("/api/v1/credentials/not-a-uuid/status").status_code == 404
    assert client.get(
        "/api/v1/credentials/00000000-0000-4000-8000-000000000000/status").status_code == 404


def test_production_without_a_key_refuses_to_issue(app, client, factory, passports, monkeypatch,
                                                   tmp_path):
    _cw, p, _e, h = _setup(factory, passports)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "CREDENTIAL_KEY_FILE", str(tmp_path / "missing.pem"))
    resp = client.post(f"/api/v1/participants/{p.id}/credentials", json={"scope": "passport"},
                       headers=h)
    assert resp.status_code == 503 and resp.get_json()["code"] == "signing-key-missing"
    assert not (tmp_path / "missing.pem").exists()
