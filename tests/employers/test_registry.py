"""Employer records (#15): the full record for staff, an employer user's own record only, contacts,
Employer Pays commitments (the latest counts), verification by admins (audited, and refused
without a commitment), and the ISIC code on the organisations API."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.errors import Conflict, NotFound
from journey.employers import registry

API = "/api/v1"


@pytest.fixture
def people(factory):
    office = factory.office()
    return {"admin": factory.user("admin"), "supervisor": factory.user("supervisor", office),
            "caseworker": factory.user("caseworker", office)}


def _events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _commit(client, factory, admin, employer_id, **body):
    body = {"version": "2026-1", "signed_on": "2026-01-10", "signatory_name": "Ana Costa",
            "signatory_title": "Managing director", **body}
    return client.post(f"{API}/employers/{employer_id}/commitments", json=body,
                       headers=factory.headers(admin))


def test_staff_read_the_full_record_and_the_read_is_audited(client, factory, db_session, people):
    employer = factory.employer(name="Hotel Atlântico", sector="Hospitality", isic_code="5510")
    user = factory.user("employer", employer_id=employer.id)
    admin = factory.headers(people["admin"])
    added = client.post(f"{API}/employers/{employer.id}/contacts", headers=admin, json={
        "name": "Rui Lopes", "role": "HR", "email": "rui@example.pt", "phone": "+351912345678",
        "language": "pt"})
    assert added.status_code == 201, added.get_json()
    assert added.json["phone"] == "+351912345678"
    resp = client.get(f"{API}/employers/{employer.id}/record",
                      headers=factory.headers(people["caseworker"]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["employer"]["isic_code"] == "5510"
    assert body["employer"]["verification"] == "pending"
    assert [c["name"] for c in body["contacts"]] == ["Rui Lopes"]
    assert body["commitment"] is None and body["commitments"] == []
    assert [u["id"] for u in body["users"]] == [user.id]
    event = _events(db_session, "employers:employer:read")[-1]
    assert event.object_id == employer.id and "Rui" not in str(event.details)
    assert client.get(f"{API}/employers/987654/record", headers=admin).status_code == 404


def test_contacts_are_edited_and_removed_by_admins_only(client, factory, db_session, people):
    employer = factory.employer()
    admin = factory.headers(people["admin"])
    contact = client.post(f"{API}/employers/{employer.id}/contacts", headers=admin,
                          json={"name": "Rui Lopes"}).get_json()
    assert contact["language"] == "en"
    url = f"{API}/employers/{employer.id}/contacts/{contact['id']}"
    changed = client.patch(url, headers=admin, json={"role": "Site manager", "email": None})
    assert changed.status_code == 200 and changed.json["role"] == "Site manager"
    bad = client.patch(url, headers=admin, json={"phone": "12", "name": "  "})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"phone", "name"}
    # A contact's language can change but not be emptied (the fuzzer's null was once a 500).
    no_language = client.patch(url, headers=admin, json={"language": None})
    assert no_language.status_code == 422
    assert [e["field"] for e in no_language.get_json()["errors"]] == ["language"]
    refused = client.post(f"{API}/employers/{employer.id}/contacts", json={"name": "X"},
                          headers=factory.headers(people["supervisor"]))
    assert refused.status_code == 403
    # Another employer's contact reads as missing.
    other = factory.employer()
    assert client.patch(f"{API}/employers/{other.id}/contacts/{contact['id']}", headers=admin,
                        json={"role": "x"}).status_code == 404
    assert client.delete(url, headers=admin).status_code == 204
    assert client.delete(url, headers=admin).status_code == 404
    record = client.get(f"{API}/employers/{employer.id}/record", headers=admin).get_json()
    assert record["contacts"] == []
    actions = [e.action for e in db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "employer_contact"))]
    assert actions == ["employers:contact:create", "employers:contact:update",
                       "employers:contact:remove"]


def test_the_latest_commitment_counts_and_a_version_is_recorded_once(client, factory, people):
    employer = factory.employer()
    admin = people["admin"]
    first = _commit(client, factory, admin, employer.id)
    assert first.status_code == 201, first.get_json()
    second = _commit(client, factory, admin, employer.id, version="2026-2",
                     signed_on="2026-06-01", signatory_title=None)
    assert second.status_code == 201
    again = _commit(client, factory, admin, employer.id)
    assert again.status_code == 409 and again.get_json()["existing_id"] == first.json["id"]
    future = _commit(client, factory, admin, employer.id, version="2099-1", signed_on="2099-01-01")
    assert future.status_code == 422
    bad = _commit(client, factory, admin, employer.id, version="two words", signatory_name="")
    assert {e["field"] for e in bad.get_json()["errors"]} == {"version", "signatory_name"}
    record = client.get(f"{API}/employers/{employer.id}/record",
                        headers=factory.headers(admin)).get_json()
    assert record["commitment"]["version"] == "2026-2"
    assert [c["version"] for c in record["commitments"]] == ["2026-2", "2026-1"]


def test_verification_needs_a_commitment_and_is_audited(client, factory, db_session, people):
    employer = factory.employer()
    url = f"{API}/employers/{employer.id}/verification"
    admin = factory.headers(people["admin"])
    refused = client.post(url, headers=admin, json={"status": "verified"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "commitment-missing"
    assert client.post(url, headers=factory.headers(people["supervisor"]),
                       json={"status": "verified"}).status_code == 403
    _commit(client, factory, people["admin"], employer.id)
    ok = client.post(url, headers=admin, json={"status": "verified", "version": 1})
    assert ok.status_code == 200, ok.get_json()
    assert ok.json["verification"] == "verified" and ok.json["verified_at"]
    assert ok.headers["ETag"] == '"2"'
    stale = client.post(url, headers=admin, json={"status": "suspended", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    assert client.post(url, headers=admin, json={"status": "closed"}).status_code == 422
    suspended = client.post(url, headers=admin, json={"status": "suspended"})
    assert suspended.json["verification"] == "suspended"
    events = _events(db_session, "employers:employer:verify")
    assert [(e.details["from_status"], e.details["to_status"]) for e in events] == [
        ("pending", "verified"), ("verified", "suspended")]
    assert all(e.actor_id == people["admin"].id for e in events)


def test_an_employer_user_reads_their_own_record_and_no_other(app, client, factory, db_session,
                                                              people):
    mine, theirs = factory.employer(), factory.employer()
    user = factory.user("employer", employer_id=mine.id)
    h = factory.headers(user)
    own = client.get(f"{API}/employer/me", headers=h)
    assert own.status_code == 200 and own.json["employer"]["id"] == mine.id
    assert own.json["users"] == [], "an employer user is not shown the user list"
    assert client.get(f"{API}/employers/{theirs.id}/record", headers=h).status_code == 403
    assert client.get(f"{API}/employer/me",
                      headers=factory.headers(people["caseworker"])).status_code == 403
    with app.test_request_context():
        assert registry.read_employer(db_session, user, mine.id)["employer"].id == mine.id
        with pytest.raises(NotFound):
            registry.read_employer(db_session, user, theirs.id)
        user.employer_id = None
        with pytest.raises(NotFound):
            registry.own_employer(db_session, user)


def test_the_organisations_api_takes_an_isic_code(client, factory, people):
    admin = factory.headers(people["admin"])
    created = client.post(f"{API}/employers", headers=admin, json={
        "name": "Quinta do Vale", "country": "PT", "sector": "Agriculture", "isic_code": " a "})
    assert created.status_code == 201, created.get_json()
    assert created.json["isic_code"] == "A" and created.json["verification"] == "pending"
    for bad in ("V", "1", "12345", "5A", "AB"):
        resp = client.post(f"{API}/employers", headers=admin, json={
            "name": f"Bad {bad}", "country": "PT", "isic_code": bad})
        assert resp.status_code == 422, bad
        assert [e["field"] for e in resp.get_json()["errors"]] == ["isic_code"]
    patched = client.patch(f"{API}/employers/{created.json['id']}", headers=admin,
                           json={"isic_code": "0111", "version": 1})
    assert patched.status_code == 200 and patched.json["isic_code"] == "0111"
    listed = client.get(f"{API}/employers", headers=admin).get_json()
    assert {"isic_code": "0111"}.items() <= next(
        e for e in listed if e["id"] == created.json["id"]).items()


def test_the_services_never_verify_twice_or_without_permission(app, db_session, factory, people):
    employer = factory.employer()
    with app.test_request_context():
        registry.record_commitment(db_session, people["admin"], employer.id, {
            "version": "1", "signed_on": date(2026, 1, 1), "signatory_name": "A"})
        registry.verify(db_session, people["admin"], employer.id, "verified")
        version = employer.version
        registry.verify(db_session, people["admin"], employer.id, "verified")
        assert employer.version == version, "no change, no new version"
        with pytest.raises(Conflict):
            registry.record_commitment(db_session, people["admin"], employer.id, {
                "version": "1", "signed_on": date(2026, 1, 1), "signatory_name": "B"})
