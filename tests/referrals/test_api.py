"""The referrals API (issue #16): consent, what a partner sees and may do, outcomes and reasons,
office scope, the list's filters, versions, the timeline and referrals from grievances."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.grievances import services as grievance_services
from journey.referrals import disclosure
from journey.referrals.models import Referral
from tests.referrals.helpers import add_service, move, person, refer, setting

API = "/api/v1/referrals"
NO_SHARE = [{"purpose": "case_management", "method": "signed"}]


def _fields(resp) -> dict[str, str]:
    return {e["field"]: e["code"] for e in resp.get_json()["errors"]}


@pytest.fixture
def s(factory, db_session):
    return setting(factory, db_session)


# --- consent -------------------------------------------------------------------------------------

def test_a_referral_without_consent_is_refused_with_the_reason(client, factory, db_session, s):
    p = person(factory, s, consents=NO_SHARE)
    h = factory.headers(s.caseworker)
    resp = client.post(API, json={"participant_id": p.id, "service_id": s.service.id,
                                  "send": True}, headers=h)
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "consent-required"
    assert "consented" in body["detail"]
    assert [u["guard"] for u in body["unmet"]] == ["consent_share_providers"]
    assert body["unmet"][0]["message"] == body["detail"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.participant_id == p.id)) == 0

    # A draft needs no consent; sending it does.
    draft = client.post(API, json={"participant_id": p.id, "service_id": s.service.id},
                        headers=h)
    assert draft.status_code == 201 and draft.get_json()["state"] == "draft"
    sent = client.post(f"{API}/{draft.get_json()['id']}/send", json={}, headers=h)
    assert sent.status_code == 409
    assert sent.get_json()["code"] == "consent-required"


def test_a_referral_is_made_and_sent(client, factory, db_session, s):
    p = person(factory, s)
    resp = client.post(API, json={"participant_id": p.id, "service_id": s.service.id,
                                  "send": True, "urgency": "urgent", "reason": "Wages claim",
                                  "shared_fields": ["phone", "name"]},
                       headers=factory.headers(s.caseworker))
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers["ETag"] == f'"{body["version"]}"'
    assert resp.headers["Location"].endswith(f"/referrals/{body['id']}")
    assert (body["state"], body["urgency"], body["shared_fields"]) == ("sent", "urgent",
                                                                       ["name", "phone"])
    assert body["participant_id"] == p.id and body["participant_name"]
    assert body["available_steps"] == ["accept", "decline", "withdraw"]
    assert [e["kind"] for e in body["events"]] == ["created", "send"]


# --- the partner ---------------------------------------------------------------------------------

def test_a_partner_sees_only_its_referrals_and_their_shared_fields(client, factory, db_session,
                                                                   app, s):
    p = person(factory, s, gender_identity="non-binary", disability="yes",
               disability_details="Uses a wheelchair", notes="Caseworker's private note")
    mine = refer(app, db_session, s, p, shared_fields=["name", "language"])
    other_service = add_service(db_session, factory.provider().id)
    elsewhere = refer(app, db_session, s, person(factory, s), service_id=other_service.id)
    h = factory.headers(s.partner)

    resp = client.get(f"{API}/{mine.id}", headers=h)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["person"] == {"name": f"{p.given_name} {p.family_name}", "language": p.language}
    text = resp.get_data(as_text=True)
    for absent in ("gender_identity", "non-binary", "disability", "wheelchair", "notes",
                   "private note", "phone", p.phone, "date_of_birth",
                   p.date_of_birth.isoformat(), "participant_id", "participant_name",
                   "office_id", "grievance_id", "created_by", "actor_id"):
        assert absent not in text, absent
    assert body["available_steps"] == ["accept", "decline"]
    with app.test_request_context():
        disclosed = disclosure.for_partner(db_session, mine)
    assert set(body) == set(disclosed) | {"available_steps", "overdue"}
    assert set(body["events"][0]) == {"kind", "to_state", "reason", "note", "at"}
    # The read is audited, with the fields the partner saw.
    (fields,) = db_session.scalars(sa.select(AuditEvent.details).where(
        AuditEvent.action == "referrals:referral:read", AuditEvent.actor_id == s.partner.id))
    assert fields["fields"] == ["name", "language"]

    listed = client.get(API, headers=h)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.get_json()["items"]] == [mine.id]
    (item,) = listed.get_json()["items"]
    assert item["person"] == body["person"]
    assert "participant_id" not in item and "office_id" not in item
    assert p.phone not in listed.get_data(as_text=True)

    # Shared, the phone and date of birth are there.
    shared = refer(app, db_session, s, person(factory, s),
                   shared_fields=["name", "phone", "date_of_birth"])
    seen = client.get(f"{API}/{shared.id}", headers=h).get_json()["person"]
    assert set(seen) == {"name", "phone", "date_of_birth"}

    assert client.get(f"{API}/{elsewhere.id}", headers=h).status_code == 404


def test_a_partner_gets_404_for_a_draft_and_after_consent_is_withdrawn(client, factory,
                                                                        db_session, app, s):
    from journey.consent import services as consent

    p = person(factory, s)
    draft = refer(app, db_session, s, p, send=False)
    sent = refer(app, db_session, s, p)
    h = factory.headers(s.partner)
    assert client.get(f"{API}/{draft.id}", headers=h).status_code == 404
    assert client.post(f"{API}/{draft.id}/accept", json={}, headers=h).status_code == 404
    assert client.get(f"{API}/{sent.id}", headers=h).status_code == 200
    with app.test_request_context():
        consent.withdraw(db_session, s.caseworker, p, purpose="share_providers", method="verbal")
    gone = client.get(f"{API}/{sent.id}", headers=h)
    missing = client.get(f"{API}/{sent.id + 10_000}", headers=h)
    assert gone.status_code == missing.status_code == 404
    assert gone.get_json()["code"] == missing.get_json()["code"] == "not-found"
    assert client.get(API, headers=h).get_json()["items"] == []
    # Staff still see it, withdrawn.
    staff = client.get(f"{API}/{sent.id}", headers=factory.headers(s.caseworker)).get_json()
    assert staff["state"] == "withdrawn"


def test_a_partner_cannot_send_or_withdraw(client, factory, db_session, app, s):
    p = person(factory, s)
    draft = refer(app, db_session, s, p, send=False)
    sent = refer(app, db_session, s, p)
    h = factory.headers(s.partner)
    assert client.post(f"{API}/{draft.id}/send", json={}, headers=h).status_code == 403
    resp = client.post(f"{API}/{sent.id}/withdraw", json={"reason": "other"}, headers=h)
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert client.post(API, json={"participant_id": p.id, "service_id": s.service.id},
                       headers=h).status_code == 403
    assert client.patch(f"{API}/{draft.id}", json={"urgency": "urgent", "version": 1},
                        headers=h).status_code == 403
    db_session.refresh(sent)
    assert sent.state == "sent"


def test_the_partner_accepts_progresses_and_completes(client, factory, db_session, app, s):
    r = refer(app, db_session, s, person(factory, s))
    h = factory.headers(s.partner)
    accepted = client.post(f"{API}/{r.id}/accept", json={"note": "We will call"}, headers=h)
    assert accepted.status_code == 200
    assert accepted.get_json()["state"] == "accepted"
    assert accepted.headers["ETag"] == f'"{accepted.get_json()["version"]}"'
    assert "person" in accepted.get_json() and "participant_id" not in accepted.get_json()
    progress = client.post(f"{API}/{r.id}/progress", json={"note": "First meeting"}, headers=h)
    assert progress.get_json()["state"] == "in_progress"
    done = client.post(f"{API}/{r.id}/complete",
                       json={"outcome": "not_provided", "outcome_reason": "client_moved",
                             "note": "Moved to Porto"}, headers=h)
    assert done.status_code == 200
    body = done.get_json()
    assert (body["state"], body["outcome"], body["outcome_reason"]) == (
        "completed", "not_provided", "client_moved")
    assert body["available_steps"] == []
    # The caseworker sees the outcome, and who recorded each step.
    staff = client.get(f"{API}/{r.id}", headers=factory.headers(s.caseworker)).get_json()
    assert staff["outcome"] == "not_provided"
    assert staff["events"][-1]["actor_id"] == s.partner.id


# --- outcomes and reasons ------------------------------------------------------------------------

def test_completion_needs_an_outcome_and_not_provided_needs_its_reason(client, factory,
                                                                        db_session, app, s):
    r = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, r, "accept")
    h = factory.headers(s.partner)
    resp = client.post(f"{API}/{r.id}/complete", json={}, headers=h)
    assert resp.status_code == 422
    assert _fields(resp) == {"outcome": "required"}
    resp = client.post(f"{API}/{r.id}/complete", json={"outcome": "done"}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"outcome"}
    resp = client.post(f"{API}/{r.id}/complete", json={"outcome": "not_provided"}, headers=h)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "guards-unmet"
    assert [u["guard"] for u in body["unmet"]] == ["outcome_given"]
    resp = client.post(f"{API}/{r.id}/complete",
                       json={"outcome": "not_provided", "outcome_reason": "bored"}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"outcome_reason"}
    db_session.refresh(r)
    assert r.state == "accepted"


def test_a_decline_needs_a_reason_from_the_list(client, factory, db_session, app, s):
    r = refer(app, db_session, s, person(factory, s))
    h = factory.headers(s.partner)
    resp = client.post(f"{API}/{r.id}/decline", json={"note": "Full"}, headers=h)
    assert resp.status_code == 422 and _fields(resp) == {"reason": "required"}
    resp = client.post(f"{API}/{r.id}/decline", json={"reason": "busy"}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"reason"}
    resp = client.post(f"{API}/{r.id}/decline", json={"reason": "no_capacity", "note": "Full"},
                       headers=h)
    assert resp.status_code == 200
    assert (resp.get_json()["state"], resp.get_json()["decline_reason"]) == ("declined",
                                                                            "no_capacity")
    # Nothing moves a declined referral.
    again = client.post(f"{API}/{r.id}/accept", json={}, headers=h)
    assert again.status_code == 409
    assert again.get_json()["code"] == "referral-state"
    assert again.get_json()["referral_state"] == "declined"


def test_progress_needs_a_note_and_unknown_fields_are_refused(client, factory, db_session, app,
                                                              s):
    r = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, r, "accept")
    h = factory.headers(s.partner)
    resp = client.post(f"{API}/{r.id}/progress", json={"note": "  "}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"note"}
    resp = client.post(f"{API}/{r.id}/accept", json={"state": "completed"}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"state"}
    resp = client.post(API, json={"participant_id": r.participant_id, "service_id": s.service.id,
                                  "shared_fields": ["name", "gender_identity"],
                                  "urgency": "whenever"},
                       headers=factory.headers(s.caseworker))
    assert resp.status_code == 422
    assert set(_fields(resp)) == {"shared_fields.1", "urgency"}


# --- scope ---------------------------------------------------------------------------------------

def test_staff_of_another_office_get_404(client, factory, db_session, app, s):
    r = refer(app, db_session, s, person(factory, s))
    stranger = factory.headers(factory.user("caseworker"))
    for method, path, body in (("get", f"{API}/{r.id}", None),
                               ("post", f"{API}/{r.id}/accept", {}),
                               ("post", f"{API}/{r.id}/withdraw", {"reason": "other"}),
                               ("patch", f"{API}/{r.id}", {"urgency": "urgent", "version": 2})):
        resp = client.open(path, method=method, json=body, headers=stranger)
        assert resp.status_code == 404, (method, path)
    assert client.get(API, headers=stranger).get_json()["total"] == 0
    # Nor can they refer a participant of another office.
    resp = client.post(API, json={"participant_id": r.participant_id,
                                  "service_id": s.service.id}, headers=stranger)
    assert resp.status_code == 404


# --- the list ------------------------------------------------------------------------------------

def test_the_list_filters(client, factory, db_session, app, s):
    p, q = person(factory, s), person(factory, s)
    other_service = add_service(db_session, factory.provider().id, name="Housing desk")
    draft = refer(app, db_session, s, p, send=False)
    sent = refer(app, db_session, s, p, urgency="urgent")
    late = refer(app, db_session, s, q)
    accepted = refer(app, db_session, s, q, service_id=other_service.id)
    move(app, db_session, s.admin, accepted, "accept")
    late.response_due_at = utcnow() - timedelta(hours=1)
    accepted.complete_due_at = utcnow() - timedelta(minutes=5)
    db_session.flush()
    h = factory.headers(s.caseworker)

    def ids(**query):
        resp = client.get(API, query_string=query, headers=h)
        assert resp.status_code == 200, (query, resp.get_json())
        assert resp.headers["X-Total-Count"] == str(resp.get_json()["total"])
        return [r["id"] for r in resp.get_json()["items"]]

    everything = ids()
    assert everything == [accepted.id, late.id, sent.id, draft.id]
    assert ids(state="draft") == [draft.id]
    assert ids(state=["sent", "accepted"]) == [accepted.id, late.id, sent.id]
    assert ids(participant_id=p.id) == [sent.id, draft.id]
    assert ids(service_id=other_service.id) == [accepted.id]
    assert ids(provider_id=s.provider.id) == [late.id, sent.id, draft.id]
    assert ids(office_id=s.office_id) == everything
    assert ids(urgency="urgent") == [sent.id]
    assert ids(overdue="true") == [accepted.id, late.id]
    assert ids(overdue="false") == [sent.id, draft.id]
    assert ids(sort="id") == everything[::-1]
    assert ids(per_page=2, page=2) == [sent.id, draft.id]
    listed = client.get(API, headers=h).get_json()["items"]
    assert [r["overdue"] for r in listed] == [True, True, False, False]
    assert listed[0]["service_name"] == "Housing desk"
    assert listed[0]["participant_reference"] == q.reference

    for bad, field in (({"office_id": factory.office().id}, "office_id"),
                       ({"state": "lost"}, "state.0"), ({"overdue": "maybe"}, "overdue"),
                       ({"urgency": "now"}, "urgency"), ({"stage": "sent"}, "stage"),
                       ({"sort": "name"}, "sort")):
        resp = client.get(API, query_string=bad, headers=h)
        assert resp.status_code == 422, bad
        assert list(_fields(resp)) == [field], bad
    # An admin may filter by any office.
    assert client.get(API, query_string={"office_id": s.office_id},
                      headers=factory.headers(s.admin)).get_json()["total"] == 4


# --- versions ------------------------------------------------------------------------------------

def test_a_stale_version_is_refused(client, factory, db_session, app, s):
    r = refer(app, db_session, s, person(factory, s), send=False)
    h = factory.headers(s.caseworker)
    url = f"{API}/{r.id}"
    etag = client.get(url, headers=h).headers["ETag"]
    assert etag == '"1"'
    assert client.patch(url, json={"urgency": "urgent"}, headers=h).status_code == 428
    changed = client.patch(url, json={"urgency": "urgent", "shared_fields": ["name", "sex"]},
                           headers={**h, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"2"'
    assert changed.get_json()["shared_fields"] == ["name", "sex"]
    stale_header = client.patch(url, json={"urgency": "routine"}, headers={**h, "If-Match": etag})
    assert stale_header.status_code == 412
    assert stale_header.get_json()["code"] == "stale-version"
    stale_body = client.patch(url, json={"urgency": "routine", "version": 1}, headers=h)
    assert stale_body.status_code == 409
    assert stale_body.get_json()["code"] == "stale-version"
    assert stale_body.get_json()["current_version"] == 2
    # A step checks the version when one is sent, and not otherwise.
    assert client.post(f"{url}/send", json={"version": 1}, headers=h).status_code == 409
    assert client.post(f"{url}/send", json={}, headers={**h, "If-Match": '"1"'}
                       ).status_code == 412
    sent = client.post(f"{url}/send", json={"version": 2}, headers=h)
    assert sent.status_code == 200 and sent.headers["ETag"] == '"3"'
    # Only a draft can be changed.
    refused = client.patch(url, json={"urgency": "routine", "version": 3}, headers=h)
    assert refused.status_code == 409 and refused.get_json()["code"] == "referral-state"


# --- loops closed --------------------------------------------------------------------------------

def test_the_participants_timeline_shows_the_referral(client, factory, db_session, app, s):
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    move(app, db_session, s.partner, r, "accept")
    move(app, db_session, s.partner, r, "complete", outcome="provided")
    resp = client.get(f"/api/v1/participants/{p.id}/timeline",
                      headers=factory.headers(s.caseworker))
    assert resp.status_code == 200
    entries = [e for e in resp.get_json()["events"] if e["kind"].startswith("referral_")]
    assert [e["kind"] for e in entries] == ["referral_created", "referral_send",
                                            "referral_accept", "referral_complete"]
    assert entries[-1]["data"]["outcome"] == "provided"
    assert entries[-1]["data"]["referral_id"] == r.id


def test_a_referral_from_a_grievance(client, factory, db_session, app, s):
    p, q = person(factory, s), person(factory, s)
    with app.test_request_context():
        g, _code = grievance_services.intake(db_session, s.caseworker, {
            "category": "wages", "description": "Unpaid for two months"}, channel="staff",
            participant=p)
        other, _code = grievance_services.intake(db_session, s.caseworker, {
            "category": "wages", "description": "Someone else's"}, channel="staff",
            participant=q)
    h = factory.headers(s.caseworker)
    resp = client.post(API, json={"participant_id": p.id, "service_id": s.service.id,
                                  "grievance_id": g.id, "send": True}, headers=h)
    assert resp.status_code == 201
    assert resp.get_json()["grievance_id"] == g.id
    refer(app, db_session, s, p)  # another, not from the grievance
    listed = client.get(API, query_string={"grievance_id": g.id}, headers=h).get_json()
    assert [r["id"] for r in listed["items"]] == [resp.get_json()["id"]]
    assert listed["items"][0]["grievance_id"] == g.id
    # Another participant's grievance is refused, field by field.
    resp = client.post(API, json={"participant_id": p.id, "service_id": s.service.id,
                                  "grievance_id": other.id}, headers=h)
    assert resp.status_code == 422 and _fields(resp) == {"grievance_id": "unknown"}
    resp = client.post(API, json={"participant_id": p.id, "service_id": 999_999}, headers=h)
    assert resp.status_code == 422 and _fields(resp) == {"service_id": "unknown"}


# --- the documentation ---------------------------------------------------------------------------

def test_every_referral_operation_documents_its_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = {(m, p): op for p, item in spec["paths"].items() if p.startswith(API)
           for m, op in item.items() if m != "parameters"}
    assert len(ops) == 12  # with GET /referrals/figures (helper figures)
    for (method, path), op in ops.items():
        documented = set(op["responses"])
        assert {"401", "403", "422"} <= documented, (method, path)
        if "{referral_id}" in path:
            assert "404" in documented, (method, path)
        if method in ("post", "patch") and path != API:
            assert {"409", "412", "428"} <= documented, (method, path)
            assert "ETag" in op["responses"]["200"]["headers"], (method, path)
    assert "409" in ops[("post", API)]["responses"]
    assert "X-Total-Count" in ops[("get", API)]["responses"]["200"]["headers"]
