"""The grievances API: intake by staff (for a participant or an unnamed person), lists and their
filters, masking of restricted grievances, the whole flow to an appeal, stale versions, scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.grievances import services
from journey.grievances.models import FocalPoint, Grievance

API = "/api/v1/grievances"


@pytest.fixture
def office(factory):
    return factory.office()


@pytest.fixture
def worker(factory, office):
    return factory.user("caseworker", office)


@pytest.fixture
def h(factory, worker):
    return factory.headers(worker)


def _log(client, headers, **body):
    body = {"category": "wages", "description": "Unpaid for two months", **body}
    return client.post(API, json=body, headers=headers)


def _created(client, headers, **body) -> dict:
    resp = _log(client, headers, **body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _step(client, headers, gid: int, event: str, version: int, **body):
    return client.post(f"{API}/{gid}/transitions", headers=headers,
                       json={"event": event, "version": version, **body})


def _moved(client, headers, gid: int, event: str, version: int, **body) -> dict:
    resp = _step(client, headers, gid, event, version, **body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["ETag"] == f'"{resp.get_json()["version"]}"'
    return resp.get_json()


def _fields(resp) -> dict[str, str]:
    assert resp.mimetype == "application/problem+json"
    return {e["field"]: e["code"] for e in resp.get_json().get("errors", [])}


def _events(db_session, action: str, gid: int) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == gid))


def test_logging_for_a_participant_gives_the_tracking_code_once(client, factory, db_session,
                                                                worker, h):
    p = factory.participant(worker, office_id=worker.office_id)
    resp = _log(client, h, participant_id=p.id, against_kind="recruiter",
                against_name="Agency X", desired_outcome="My fee back")
    assert resp.status_code == 201
    body = resp.get_json()
    code = body["tracking_code"]
    g = db_session.get(Grievance, body["id"])
    assert services.find_by_code(db_session, code) is g
    assert resp.headers["Location"].endswith(f"{API}/{g.id}")
    assert resp.headers["ETag"] == '"1"'
    assert (body["participant_id"], body["channel"], body["state"], body["office_id"]) == (
        p.id, "staff", "received", worker.office_id)
    assert body["participant_name"] == f"{p.given_name} {p.family_name}"
    assert body["masked"] is False and body["available_events"] == ["acknowledge"]

    again = client.get(resp.headers["Location"], headers=h)
    assert again.status_code == 200 and again.headers["ETag"] == '"1"'
    assert "tracking_code" not in again.get_json()
    assert code not in again.get_data(as_text=True)
    assert again.get_json()["description"] == "Unpaid for two months"
    assert [e["event"] for e in again.get_json()["entries"]] == ["receive"]
    assert _events(db_session, "grievances:grievance:create", g.id) == 1
    assert _events(db_session, "grievances:grievance:read", g.id) == 1


def test_logging_for_an_unnamed_person_keeps_their_contact(client, db_session, h):
    body = _created(client, h, category="housing", contact_phone="+351912345678",
                    severity="high")
    assert body["participant_id"] is None and body["participant_name"] is None
    assert body["contact_phone"] == "+351912345678"
    assert body["severity"] == "high" and len(body["tracking_code"]) == 14
    seen = client.get(f"{API}/{body['id']}", headers=h).get_json()
    assert seen["contact_phone"] == "+351912345678" and "tracking_code" not in seen


def test_a_participant_outside_your_scope_is_404_and_nothing_is_logged(client, factory,
                                                                       db_session, h):
    admin = factory.user("admin")
    elsewhere = factory.participant(admin, office_id=factory.office().id)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Grievance))
    resp = _log(client, h, participant_id=elsewhere.id)
    assert resp.status_code == 404 and resp.get_json()["code"] == "not-found"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == before


def test_invalid_input_is_refused_field_by_field(client, h):
    resp = _log(client, h, category="weather", description="  ", severity=None)
    assert resp.status_code == 422
    assert _fields(resp).keys() == {"category", "description", "severity"}
    # Checked by the service: whom it is against must be named (a recruiter from the registry,
    # or one not in it by name).
    resp = _log(client, h, against_kind="recruiter")
    assert resp.status_code == 422 and _fields(resp) == {"against_recruiter_id": "required"}
    resp = _log(client, h, against_kind="other")
    assert resp.status_code == 422 and _fields(resp) == {"against_name": "required"}


def test_list_filters(client, factory, db_session, worker, h):
    p = factory.participant(worker, office_id=worker.office_id)
    mine = _created(client, h, participant_id=p.id, assignee_id=worker.id)
    other = _created(client, h, category="housing", severity="low")
    # Whoever logs a grievance takes it: give this one back to no one.
    assert client.put(f"{API}/{other['id']}/assignee", headers=h, json={
        "assignee_id": None, "version": other["version"]}).status_code == 200
    done = _created(client, h)
    for event in ("acknowledge", "start_review"):
        done = _moved(client, h, done["id"], event, done["version"])
    done = _moved(client, h, done["id"], "resolve", done["version"], decision="upheld",
                  resolution_summary="Paid")

    def ids(**query):
        resp = client.get(API, query_string=query, headers=h)
        assert resp.status_code == 200, resp.get_json()
        assert int(resp.headers["X-Total-Count"]) == resp.get_json()["total"]
        return [item["id"] for item in resp.get_json()["items"]]

    assert ids() == [done["id"], other["id"], mine["id"]]
    assert ids(assignee_id=worker.id) == [done["id"], mine["id"]]
    assert ids(participant_id=p.id) == [mine["id"]]
    assert ids(q=mine["reference"].lower()) == [mine["id"]]
    assert ids(q=p.family_name) == [mine["id"]]
    assert ids(open="true") == [other["id"], mine["id"]]
    assert ids(state=["resolved", "acknowledged"]) == [done["id"]]
    assert ids(state=["received"], category="housing") == [other["id"]]
    assert ids(severity="low", limit=1) == [other["id"]]
    first = client.get(API, query_string={"limit": 1, "offset": 1}, headers=h).get_json()
    assert (first["total"], first["limit"], [i["id"] for i in first["items"]]) == (
        3, 1, [other["id"]])
    listed = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grievances:grievance:list", AuditEvent.actor_id == worker.id)
        .order_by(AuditEvent.id)).all()
    assert listed[0].details["ids"] == [done["id"], other["id"], mine["id"]]
    # Another office's grievances are not in the list at all.
    stranger = factory.headers(factory.user("caseworker", factory.office()))
    assert client.get(API, headers=stranger).get_json()["total"] == 0


def test_unknown_or_invalid_query_parameters_are_refused(client, h):
    resp = client.get(API, query_string={"stage": "received"}, headers=h)
    assert resp.status_code == 422 and _fields(resp) == {"stage": "unknown-field"}
    resp = client.get(API, query_string={"state": "lost", "limit": 0}, headers=h)
    assert resp.status_code == 422 and set(_fields(resp)) == {"state.0", "limit"}


def test_a_restricted_grievance_is_masked_for_a_caseworker_who_is_not_its_focal_point(
        client, factory, db_session, office, worker, h):
    focal = factory.user("caseworker", office)
    db_session.add(FocalPoint(office_id=office.id, user_id=focal.id, created_at=utcnow()))
    db_session.flush()
    fh = factory.headers(focal)
    p = factory.participant(focal, office_id=office.id)
    logged = _created(client, fh, participant_id=p.id, category="harassment_gbv",
                      against_kind="other", against_name="The supervisor",
                      description="He follows me home")
    assert logged["confidentiality"] == "restricted"
    gid = logged["id"]
    assert client.post(f"{API}/{gid}/entries", headers=fh,
                       json={"body": "Met her in private"}).status_code == 201
    _moved(client, fh, gid, "acknowledge", 1, note="Safe place agreed")

    resp = client.get(f"{API}/{gid}", headers=h)
    assert resp.status_code == 200
    seen = resp.get_json()
    assert seen["masked"] is True
    for name in ("participant_id", "participant_name", "description", "against_kind",
                 "against_name", "desired_outcome", "contact_phone"):
        assert seen[name] is None, name
    assert seen["available_events"] == []
    # The history says what happened, never what anyone wrote.
    assert [(e["kind"], e["event"], e["body"]) for e in seen["entries"]] == [
        ("transition", "receive", None), ("transition", "acknowledge", None)]
    text = resp.get_data(as_text=True)
    for secret in ("He follows me home", "Met her in private", "Safe place agreed",
                   "The supervisor", p.family_name):
        assert secret not in text
    read = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grievances:grievance:read", AuditEvent.object_id == gid)).one()
    assert read.actor_id == worker.id and read.details["masked"] is True
    # Listed masked too, and a search by the person's name does not find it.
    listed = client.get(API, headers=h).get_json()["items"]
    assert [(i["id"], i["masked"], i["participant_id"]) for i in listed] == [(gid, True, None)]
    assert client.get(API, query_string={"q": p.family_name}, headers=h).get_json()["total"] == 0

    # Acting on it is refused, and changes nothing.
    for resp in (_step(client, h, gid, "start_review", 2),
                 client.post(f"{API}/{gid}/entries", headers=h, json={"body": "Peek"}),
                 client.put(f"{API}/{gid}/assignee", headers=h,
                            json={"assignee_id": worker.id, "version": 2})):
        assert resp.status_code == 403 and resp.get_json()["code"] == "restricted"
    assert db_session.get(Grievance, gid).state == "acknowledged"
    assert db_session.get(Grievance, gid).version == 2

    # Its focal point sees it whole.
    full = client.get(f"{API}/{gid}", headers=fh).get_json()
    assert full["masked"] is False and full["description"] == "He follows me home"
    assert [e["body"] for e in full["entries"] if e["kind"] == "note"] == ["Met her in private"]
    # Given to the caseworker, it opens for them; the focal point still sees it.
    given = client.put(f"{API}/{gid}/assignee", headers=fh,
                       json={"assignee_id": worker.id, "version": 2})
    assert given.status_code == 200 and given.get_json()["assignee_id"] == worker.id
    assert client.get(f"{API}/{gid}", headers=h).get_json()["masked"] is False


def test_resolving_without_a_decision_is_a_field_error(client, h):
    g = _created(client, h)
    g = _moved(client, h, g["id"], "acknowledge", g["version"])
    resp = _step(client, h, g["id"], "resolve", g["version"], resolution_summary="Sorted")
    assert resp.status_code == 422 and _fields(resp) == {"decision": "required"}
    resp = _step(client, h, g["id"], "resolve", g["version"], decision="maybe")
    assert resp.status_code == 422 and _fields(resp)["decision"] == "not-allowed"


def test_the_whole_flow_to_an_appeal(client, factory, db_session, h):
    g = _created(client, h)
    gid = g["id"]
    g = _moved(client, h, gid, "acknowledge", g["version"])
    assert g["acknowledged_at"] is not None
    g = _moved(client, h, gid, "start_review", g["version"])
    g = _moved(client, h, gid, "request_information", g["version"], note="Payslips please",
               pause_clock=True)
    assert (g["state"], g["sla_status"]) == ("waiting", "paused")
    assert g["clock_paused_at"] is not None
    assert _events(db_session, "grievances:sla:paused", gid) == 1
    g = _moved(client, h, gid, "information_received", g["version"])
    assert (g["state"], g["sla_status"], g["clock_paused_at"]) == ("in_review", "on_track", None)
    g = _moved(client, h, gid, "resolve", g["version"], decision="partly_upheld",
               resolution_summary="Half the wages paid")
    assert (g["state"], g["decision"], g["sla_status"]) == ("resolved", "partly_upheld", "met")
    assert g["available_events"] == ["reopen", "appeal", "close"]

    g = _moved(client, h, gid, "appeal", g["version"], note="The other half is owed")
    assert g["state"] == "appealed"
    appeal = g["appeal"]
    assert set(appeal) == {"id", "reference", "tracking_code"}
    assert services.find_by_code(db_session, appeal["tracking_code"]).id == appeal["id"]
    linked = client.get(f"{API}/{appeal['id']}", headers=h).get_json()
    assert linked["appeal_of_id"] == gid and linked["state"] == "received"
    assert linked["description"] == "The other half is owed"
    assert "tracking_code" not in linked

    refused = _step(client, h, gid, "close", g["version"])
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "guards-unmet"
    assert [u["guard"] for u in problem["unmet"]] == ["appeal_closed"]
    # An appeal cannot be appealed in turn; once closed, the original may close.
    a = _moved(client, h, appeal["id"], "acknowledge", linked["version"])
    a = _moved(client, h, appeal["id"], "resolve", a["version"], decision="not_upheld",
               resolution_summary="Paid in full after all")
    no = _step(client, h, appeal["id"], "appeal", a["version"], note="Again")
    assert no.status_code == 409 and no.get_json()["code"] == "guards-unmet"
    _moved(client, h, appeal["id"], "close", a["version"])
    closed = _moved(client, h, gid, "close", g["version"])
    assert closed["state"] == "closed" and closed["available_events"] == []


def test_a_step_not_possible_now_is_409_with_the_allowed_ones(client, h):
    g = _created(client, h)
    resp = _step(client, h, g["id"], "close", 1)
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "event-not-allowed"
    assert resp.get_json()["allowed_events"] == ["acknowledge"]
    resp = _step(client, h, g["id"], "teleport", 1)
    assert resp.status_code == 422 and _fields(resp) == {"event": "not-allowed"}


def test_a_stale_version_is_refused(client, h):
    g = _created(client, h)
    gid = g["id"]
    _moved(client, h, gid, "acknowledge", 1)
    stale_body = _step(client, h, gid, "start_review", 1)
    assert stale_body.status_code == 409 and stale_body.get_json()["code"] == "stale-version"
    assert stale_body.get_json()["current_version"] == 2
    stale_header = client.post(f"{API}/{gid}/transitions", headers={**h, "If-Match": '"1"'},
                               json={"event": "start_review"})
    assert stale_header.status_code == 412
    neither = client.post(f"{API}/{gid}/transitions", headers=h, json={"event": "start_review"})
    assert neither.status_code == 428
    fresh = client.post(f"{API}/{gid}/transitions", headers={**h, "If-Match": '"2"'},
                        json={"event": "start_review"})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"3"'
    assigned = client.put(f"{API}/{gid}/assignee", headers={**h, "If-Match": '"2"'},
                          json={"assignee_id": None})
    assert assigned.status_code == 412


def test_notes_and_public_replies(client, factory, db_session, worker, h):
    g = _created(client, h)
    resp = client.post(f"{API}/{g['id']}/entries", headers=h,
                       json={"body": "We wrote to the employer", "public": True})
    assert resp.status_code == 201
    entry = resp.get_json()
    assert (entry["kind"], entry["public"], entry["actor_id"]) == ("public_reply", True, worker.id)
    blank = client.post(f"{API}/{g['id']}/entries", headers=h, json={"body": " "})
    assert blank.status_code == 422 and "body" in _fields(blank)
    assert _events(db_session, "grievances:grievance:note", g["id"]) == 1


def test_assigning_to_someone_outside_the_office_is_a_field_error(client, factory, h):
    g = _created(client, h)
    stranger = factory.user("caseworker", factory.office())
    resp = client.put(f"{API}/{g['id']}/assignee", headers=h,
                      json={"assignee_id": stranger.id, "version": 1})
    assert resp.status_code == 422 and _fields(resp) == {"assignee_id": "not-assignable"}


def test_another_offices_grievance_is_404_like_a_missing_one(client, factory, h):
    g = _created(client, h)
    stranger = factory.headers(factory.user("supervisor", factory.office()))
    for method, path, body in (("GET", "", None),
                               ("POST", "/transitions", {"event": "acknowledge", "version": 1}),
                               ("POST", "/entries", {"body": "Hello"}),
                               ("PUT", "/assignee", {"assignee_id": None, "version": 1})):
        found = client.open(f"{API}/{g['id']}{path}", method=method, json=body, headers=stranger)
        missing = client.open(f"{API}/{g['id'] + 10_000}{path}", method=method, json=body,
                              headers=stranger)
        assert found.status_code == missing.status_code == 404, path
        assert found.get_json()["detail"] == missing.get_json()["detail"]


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_employer_and_partner_users_are_refused_everything(client, factory, h, role):
    g = _created(client, h)
    other = factory.headers(factory.user(role))
    for method, path, body in (("GET", "", None), ("POST", "", {"category": "wages",
                                                               "description": "x"}),
                               ("GET", f"/{g['id']}", None),
                               ("POST", f"/{g['id']}/transitions", {"event": "acknowledge",
                                                                    "version": 1}),
                               ("POST", f"/{g['id']}/entries", {"body": "Hello"}),
                               ("PUT", f"/{g['id']}/assignee", {"assignee_id": None,
                                                                "version": 1})):
        resp = client.open(f"{API}{path}", method=method, json=body, headers=other)
        assert resp.status_code == 403, (method, path)
        assert resp.get_json()["code"] == "forbidden"


def test_logging_a_restricted_grievance_one_may_not_act_on_offers_no_step(client, factory,
                                                                          office, h):
    colleague = factory.user("caseworker", office)
    logged = _created(client, h, category="harassment_gbv", description="At the hostel",
                      assignee_id=colleague.id)
    assert logged["confidentiality"] == "restricted" and logged["masked"] is False
    assert logged["description"] == "At the hostel" and logged["available_events"] == []
    assert client.get(f"{API}/{logged['id']}", headers=h).get_json()["masked"] is True


def _conforms(client, resp, path: str, method: str) -> None:
    """The response's body is what the OpenAPI document says it is (masked ones included)."""
    from openapi_schema_validator import OAS30Validator

    spec = client.get("/api/v1/openapi.json").get_json()

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    response = spec["paths"][path][method]["responses"][str(resp.status_code)]
    schema = inline(response["content"]["application/json"]["schema"])
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in OAS30Validator(schema).iter_errors(resp.get_json())]
    assert errors == []


def test_masked_and_appeal_answers_match_the_openapi_document(client, factory, db_session,
                                                              office, h):
    focal = factory.user("caseworker", office)
    db_session.add(FocalPoint(office_id=office.id, user_id=focal.id, created_at=utcnow()))
    db_session.flush()
    fh = factory.headers(focal)
    one = f"{API}/{{grievance_id}}"
    g = _created(client, fh, category="harassment_gbv", description="Restricted")
    masked = client.get(f"{API}/{g['id']}", headers=h)
    assert masked.get_json()["masked"] is True
    _conforms(client, masked, "/api/v1/grievances/{grievance_id}", "get")
    _conforms(client, client.get(API, headers=h), "/api/v1/grievances", "get")
    for event, extra in (("acknowledge", {}), ("resolve", {"decision": "upheld",
                                                           "resolution_summary": "Moved"})):
        g = _moved(client, fh, g["id"], event, g["version"], **extra)
    appealed = _step(client, fh, g["id"], "appeal", g["version"], note="Not enough")
    assert appealed.status_code == 200 and "appeal" in appealed.get_json()
    _conforms(client, appealed, f"{one}/transitions", "post")
    created = _log(client, h, contact_email="someone@example.org")
    _conforms(client, created, "/api/v1/grievances", "post")
