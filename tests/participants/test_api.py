"""Participants registry through the API: create, duplicates, update with versions, list."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.participants.models import Participant
from tests.factories import registration_body as _body


def test_create_returns_reference_and_records_audit(client, factory, db_session):
    cw = factory.user("caseworker")
    resp = client.post("/api/v1/participants/", json=_body(), headers=factory.headers(cw))
    assert resp.status_code == 201
    body = resp.get_json()
    assert len(body["reference"]) == 9 and body["reference"][4] == "-"
    assert body["stage"] == "intake"
    assert body["version"] == 1
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_id == body["id"], AuditEvent.object_type == "participant")).all()
    # A caseworker who registers someone holds the case (journey.participants.assignment).
    assert [e.action for e in events] == ["participants:participant:create"]
    assert body["caseworker_id"] == cw.id and events[0].details["caseworker_id"] == cw.id
    assert events[0].actor_id == cw.id
    assert events[0].request_id == resp.headers["X-Request-ID"]
    # The audit log holds ids, never the person's name or phone.
    assert "Sunita" not in str(events[0].details) and "981" not in str(events[0].details)


def test_duplicate_phone_gives_409_with_existing_reference(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    first = client.post("/api/v1/participants/", json=_body(), headers=h).get_json()
    resp = client.post("/api/v1/participants/",
                       json=_body(given_name="Other", family_name="Person",
                                  date_of_birth="1990-01-01"), headers=h)
    assert resp.status_code == 409
    problem = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert problem["code"] == "possible-duplicate"
    assert problem["existing_reference"] == first["reference"]
    assert problem["matched_on"] == "phone"


def test_duplicate_name_and_birth_date_ignores_case_accents_and_order(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    first = client.post("/api/v1/participants/", json=_body(given_name="José", family_name="Gurung"),
                        headers=h).get_json()
    resp = client.post("/api/v1/participants/",
                       json=_body(given_name="GURUNG", family_name="jose", phone="+9779800000001"),
                       headers=h)
    assert resp.status_code == 409
    assert resp.get_json()["matched_on"] == "name_and_date_of_birth"
    assert resp.get_json()["existing_reference"] == first["reference"]


def test_confirmed_distinct_person_is_created_and_audited(client, factory, db_session):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    first = client.post("/api/v1/participants/", json=_body(), headers=h).get_json()
    resp = client.post("/api/v1/participants/",
                       json=_body(phone="+9779800000002", confirm_not_duplicate=True), headers=h)
    assert resp.status_code == 201
    second = resp.get_json()
    assert second["reference"] != first["reference"]
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_id == second["id"],
        AuditEvent.action == "participants:participant:create")).one()
    assert event.details == {"duplicate_confirmed": True, "duplicate_of": first["id"]}


def test_same_name_different_birth_date_is_not_a_duplicate(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    assert client.post("/api/v1/participants/", json=_body(), headers=h).status_code == 201
    resp = client.post("/api/v1/participants/",
                       json=_body(phone="+9779800000003", date_of_birth="1996-04-02"), headers=h)
    assert resp.status_code == 201


def test_initial_consents_are_recorded_with_the_participant(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    body = _body(consents=[{"purpose": "case_management", "method": "signed"},
                           {"purpose": "updates", "method": "verbal"}])
    pid = client.post("/api/v1/participants/", json=body, headers=h).get_json()["id"]
    state = client.get(f"/api/v1/participants/{pid}/consents", headers=h).get_json()
    assert state["current"]["case_management"] is True
    assert state["current"]["updates"] is True
    assert state["current"]["share_employers"] is False


def test_update_needs_the_version_and_refuses_a_stale_one(client, factory, db_session):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    created = client.post("/api/v1/participants/", json=_body(), headers=h)
    pid = created.get_json()["id"]
    etag = created.headers["ETag"]

    no_version = client.patch(f"/api/v1/participants/{pid}", json={"notes": "x"}, headers=h)
    assert no_version.status_code == 428

    ok = client.patch(f"/api/v1/participants/{pid}", json={"notes": "Prefers calls after 5pm"},
                      headers={**h, "If-Match": etag})
    assert ok.status_code == 200
    assert ok.get_json()["version"] == 2
    assert ok.headers["ETag"] == '"2"'

    stale = client.patch(f"/api/v1/participants/{pid}", json={"notes": "overwrite"},
                         headers={**h, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.get_json()["code"] == "stale-version"
    stale_body = client.patch(f"/api/v1/participants/{pid}", json={"notes": "overwrite", "version": 1},
                              headers=h)
    assert stale_body.status_code == 409
    p = db_session.get(Participant, pid)
    db_session.refresh(p)
    assert p.notes == "Prefers calls after 5pm"
    assert p.version == 2


def test_update_records_changed_field_names_only(client, factory, db_session):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    pid = client.post("/api/v1/participants/", json=_body(), headers=h).get_json()["id"]
    resp = client.patch(f"/api/v1/participants/{pid}",
                        json={"family_name": "Tamang", "language": "en", "version": 1}, headers=h)
    assert resp.status_code == 200
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_id == pid, AuditEvent.action == "participants:participant:update")).one()
    assert event.details == {"fields": ["family_name", "language"], "version": 2}
    # Search follows the new name.
    found = client.get("/api/v1/participants/?q=tamang", headers=h).get_json()
    assert [i["id"] for i in found["items"]] == [pid]


def test_update_into_a_duplicate_is_refused(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    client.post("/api/v1/participants/", json=_body(), headers=h)
    other = client.post("/api/v1/participants/",
                        json=_body(given_name="Ram", phone="+9779800000004"), headers=h).get_json()
    resp = client.patch(f"/api/v1/participants/{other['id']}",
                        json={"phone": "+9779812345678", "version": 1}, headers=h)
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "possible-duplicate"


def test_gender_identity_only_in_the_full_record(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    pid = client.post("/api/v1/participants/", json=_body(gender_identity="trans woman"),
                      headers=h).get_json()["id"]
    listed = client.get("/api/v1/participants/", headers=h).get_json()["items"][0]
    assert "gender_identity" not in listed and "phone" not in listed
    full = client.get(f"/api/v1/participants/{pid}", headers=h).get_json()
    assert full["gender_identity"] == "trans woman"


def test_read_of_a_record_is_audited(client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    client.get(f"/api/v1/participants/{p.id}", headers=h)
    reads = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_id == p.id, AuditEvent.action == "participants:participant:read")).all()
    assert len(reads) == 1 and reads[0].actor_id == cw.id and reads[0].office_id == p.office_id


def test_language_tag_is_normalised_and_defaults_follow_the_programme(client, factory):
    cw = factory.user("caseworker")
    prog = factory.programme(default_language="ne", destination_country="PT")
    h = factory.headers(cw)
    body = _body(programme_id=prog.id)
    del body["language"], body["destination_country"]
    created = client.post("/api/v1/participants/", json=body, headers=h).get_json()
    assert created["language"] == "ne"
    assert created["destination_country"] == "PT"
    other = client.post("/api/v1/participants/",
                        json=_body(phone="+9779800000005", given_name="B", language="pt-PT"),
                        headers=h).get_json()
    assert other["language"] == "pt"


def test_optional_text_left_blank_is_stored_as_null(client, factory, db_session):
    """Found by the fuzzer: sex "male" with sex_self_described "" passed the schema (blank is
    falsy) and then broke the CHECK that only sex "another" has a self-description: a 500."""
    cw = factory.user("caseworker")
    resp = client.post("/api/v1/participants/", headers=factory.headers(cw),
                       json=_body(sex="male", sex_self_described="", gender_identity="  "))
    assert resp.status_code == 201, resp.get_json()
    p = db_session.get(Participant, resp.get_json()["id"])
    assert (p.sex_self_described, p.gender_identity) == (None, None)
    # Text someone did type for another sex is still refused, field by field.
    refused = client.post("/api/v1/participants/", headers=factory.headers(cw),
                          json=_body(sex="male", sex_self_described="x", phone="+9779812345600",
                                     given_name="Other"))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["sex_self_described"]
