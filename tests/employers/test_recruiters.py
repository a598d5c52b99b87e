"""The recruiters registry (#15): create and edit (supervisors and admins), read (staff), names
unique once folded (409 with existing_id), corridors validated ("NP-PT"), licences flagged when
they expire within 60 days or have expired, and the list filtered by licence; grievances name a
recruiter of the registry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.errors import InvalidInput
from journey.employers import recruiters
from journey.employers.licences import LicenceStatus, licence_status
from journey.grievances import access, services, triage
from journey.grievances.models import Channel, Grievance
from tests.web.test_pages import HTML, csrf_token, log_in, text

API = "/api/v1/recruiters"


@pytest.fixture
def people(factory):
    office = factory.office()
    return {"admin": factory.user("admin"), "supervisor": factory.user("supervisor", office),
            "caseworker": factory.user("caseworker", office), "office": office}


def _body(**kw):
    return {"name": "Himalayan Manpower Pvt. Ltd.", "country": "NP", "licence_number": "DoFE-1234",
            "issuing_authority": "Department of Foreign Employment",
            "licence_expires_on": (utcnow().date() + timedelta(days=400)).isoformat(),
            "corridors": ["np-pt", "NP-MY"], **kw}


def _create(client, factory, user, **kw):
    return client.post(API, json=_body(**kw), headers=factory.headers(user))


def test_a_supervisor_adds_and_edits_a_recruiter(client, factory, db_session, people):
    resp = _create(client, factory, people["supervisor"])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["corridors"] == ["NP-PT", "NP-MY"] and body["licence_status"] == "valid"
    url = f"{API}/{body['id']}"
    got = client.get(url, headers=factory.headers(people["caseworker"]))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    h = factory.headers(people["supervisor"])
    patched = client.patch(url, headers=h, json={"corridors": ["NP-PT"], "version": 1})
    assert patched.status_code == 200 and patched.json["corridors"] == ["NP-PT"]
    assert patched.json["version"] == 2
    stale = client.patch(url, headers=h, json={"licence_number": "X", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    assert client.patch(url, headers=h, json={"licence_number": "X"}).status_code == 428
    assert client.post(API, json=_body(name="Other"),
                       headers=factory.headers(people["caseworker"])).status_code == 403
    assert client.get(f"{API}/987654", headers=h).status_code == 404
    actions = [e.action for e in db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "recruiter"))]
    assert actions == ["employers:recruiter:create", "employers:recruiter:update"]


def test_a_name_is_taken_once_folded(client, factory, people):
    first = _create(client, factory, people["admin"]).get_json()
    again = _create(client, factory, people["admin"], name="  HIMALAYAN   manpower pvt. ltd. ")
    assert again.status_code == 409
    assert (again.get_json()["code"], again.get_json()["existing_id"]) == ("name-taken",
                                                                           first["id"])
    other = _create(client, factory, people["admin"], name="Everest Overseas").get_json()
    renamed = client.patch(f"{API}/{other['id']}", headers=factory.headers(people["admin"]),
                           json={"name": "himalayan manpower pvt. ltd.", "version": 1})
    assert renamed.status_code == 409 and renamed.get_json()["existing_id"] == first["id"]


@pytest.mark.parametrize("corridors", [["NPPT"], ["NP-NP"], ["NP-XX"], ["NP-PT", "np-pt"],
                                       ["NP-PT-MY"], "NP-PT", [""]])
def test_a_bad_corridor_is_refused_beside_its_field(client, factory, people, corridors):
    resp = _create(client, factory, people["admin"], corridors=corridors)
    assert resp.status_code == 422, resp.get_json()
    assert {e["field"].split(".")[0] for e in resp.get_json()["errors"]} == {"corridors"}


def test_other_bad_input_is_refused(client, factory, people):
    resp = _create(client, factory, people["admin"], country="Nepal", name=" ",
                   licence_expires_on="soon")
    assert resp.status_code == 422
    assert {e["field"] for e in resp.get_json()["errors"]} == {
        "country", "name", "licence_expires_on"}


def test_licences_are_flagged_and_the_list_filters_by_them(client, factory, people):
    today = utcnow().date()
    made = {}
    for name, expires, number in (
            ("Valid", today + timedelta(days=61), "L1"),
            ("Expiring", today + timedelta(days=60), "L2"),
            ("Expiring today", today, "L3"),
            ("Expired", today - timedelta(days=1), "L4"),
            ("No expiry", None, "L5"),
            ("No number", today + timedelta(days=400), None)):
        resp = _create(client, factory, people["admin"], name=name, licence_number=number,
                       licence_expires_on=expires.isoformat() if expires else None)
        assert resp.status_code == 201, resp.get_json()
        made[name] = resp.get_json()["licence_status"]
    assert made == {"Valid": "valid", "Expiring": "expiring", "Expiring today": "expiring",
                    "Expired": "expired", "No expiry": "unlicensed",
                    "No number": "unlicensed"}
    h = factory.headers(people["caseworker"])
    for status, names in (("valid", ["Valid"]), ("expiring", ["Expiring", "Expiring today"]),
                          ("expired", ["Expired"]), ("unlicensed", ["No expiry", "No number"])):
        listed = client.get(f"{API}?licence={status}", headers=h)
        assert listed.status_code == 200
        assert [r["name"] for r in listed.get_json()] == names, status
        assert {r["licence_status"] for r in listed.get_json()} == {status}
    assert len(client.get(API, headers=h).get_json()) == 6
    assert client.get(f"{API}?licence=soon", headers=h).status_code == 422
    assert client.get(f"{API}?colour=red", headers=h).status_code == 422


def test_the_sql_filter_agrees_with_licence_status(app, db_session, people):
    today = utcnow().date()
    with app.test_request_context():
        for days in (-2, -1, 0, 1, 59, 60, 61, 62):
            recruiters.create_recruiter(db_session, people["admin"], {
                "name": f"Agency {days}", "country": "NP", "licence_number": "L",
                "licence_expires_on": today + timedelta(days=days)})
        every = recruiters.list_recruiters(db_session, people["admin"], today=today)
        for status in LicenceStatus:
            found = recruiters.list_recruiters(db_session, people["admin"], licence=status,
                                               today=today)
            assert {r.id for r in found} == {r.id for r in every
                                             if licence_status(r, today) == status}, status


# -- grievances name a recruiter of the registry ----------------------------------------------

@pytest.fixture
def agency(app, db_session, people):
    with app.test_request_context():
        return recruiters.create_recruiter(db_session, people["admin"], {
            "name": "Gulf Star Recruiting", "country": "NP", "licence_number": "L-9",
            "licence_expires_on": utcnow().date() + timedelta(days=300)})


def _intake(app, db_session, actor, **data):
    data = {"category": "recruitment_fees", "description": "Charged a fee", **data}
    with app.test_request_context():
        return services.intake(db_session, actor, data, channel=Channel.STAFF)[0]


def test_a_grievance_names_a_recruiter_of_the_registry(app, client, factory, db_session, people,
                                                       agency):
    g = _intake(app, db_session, people["caseworker"], against_recruiter_id=agency.id)
    assert (g.against_kind, g.against_recruiter_id) == ("recruiter", agency.id)
    h = factory.headers(people["caseworker"])
    created = client.post("/api/v1/grievances", headers=h, json={
        "category": "recruitment_fees", "description": "Charged a fee",
        "against_kind": "recruiter", "against_recruiter_id": agency.id})
    assert created.status_code == 201 and created.json["against_recruiter_id"] == agency.id
    unknown = client.post("/api/v1/grievances", headers=h, json={
        "category": "wages", "description": "x", "against_recruiter_id": 987654})
    assert unknown.status_code == 422
    assert [(e["field"], e["code"]) for e in unknown.get_json()["errors"]] == [
        ("against_recruiter_id", "not-found")]
    for kind in ("employer", "other"):
        mismatch = client.post("/api/v1/grievances", headers=h, json={
            "category": "wages", "description": "x", "against_kind": kind,
            "against_name": "Someone", "against_recruiter_id": agency.id})
        assert mismatch.status_code == 422, kind
        assert ("against_recruiter_id", "against-mismatch") in [
            (e["field"], e["code"]) for e in mismatch.get_json()["errors"]]
    # A recruiter missing from the registry is named in words.
    typed = _intake(app, db_session, people["caseworker"], against_kind="recruiter",
                    against_name="Unlicensed Agent")
    assert typed.against_recruiter_id is None and typed.against_name == "Unlicensed Agent"
    listed = client.get("/api/v1/grievances", headers=h).get_json()["items"]
    assert agency.id in {i["against_recruiter_id"] for i in listed}
    # The pages name it, and link to the registry.
    log_in(client, people["caseworker"])
    detail = client.get(f"/grievances/{g.id}", headers=HTML).get_data(as_text=True)
    assert f'href="/recruiters/{agency.id}">Gulf Star Recruiting</a>' in detail
    assert "Gulf Star Recruiting" in text(client.get("/grievances", headers=HTML))


def test_the_intake_page_picks_a_recruiter_from_the_registry(client, db_session, people,
                                                            agency):
    log_in(client, people["caseworker"])
    path = "/grievances/new"
    form = client.get(path, headers=HTML).get_data(as_text=True)
    assert 'id="f-against_recruiter_id"' in form and "Gulf Star Recruiting" in form
    base = {"category": "recruitment_fees", "severity": "medium", "description": "A fee",
            "against_kind": "recruiter", "csrf_token": csrf_token(client, path)}
    refused = client.post(path, headers=HTML, data=base)
    assert refused.status_code == 422
    assert 'id="err-against_recruiter_id"' in refused.get_data(as_text=True)
    saved = client.post(path, headers=HTML, data={**base, "against_recruiter_id": str(agency.id)})
    assert saved.status_code == 303
    g = db_session.scalars(sa.select(Grievance).order_by(Grievance.id.desc())).first()
    assert (g.against_kind, g.against_recruiter_id) == ("recruiter", agency.id)


def test_a_restricted_grievance_masks_its_recruiter(app, client, factory, db_session, people,
                                                    agency):
    assert "against_recruiter_id" in access.MASKED_FIELDS
    g = _intake(app, db_session, people["caseworker"], category="harassment_gbv",
                against_recruiter_id=agency.id)
    assert g.confidentiality == "restricted"
    other = factory.user("caseworker", people["office"])
    resp = client.get(f"/api/v1/grievances/{g.id}", headers=factory.headers(other))
    assert resp.status_code == 200 and resp.json["masked"] is True
    assert resp.json["against_recruiter_id"] is None
    listed = client.get("/api/v1/grievances", headers=factory.headers(other)).get_json()["items"]
    assert [i["against_recruiter_id"] for i in listed if i["id"] == g.id] == [None]


def test_triage_picks_a_recruiter_and_a_new_kind_drops_it(app, db_session, people, agency):
    g = _intake(app, db_session, people["caseworker"], category="wages", against_kind="other",
                against_name="The foreman")
    with app.test_request_context():
        triage.update(db_session, people["caseworker"], g,
                      {"against_recruiter_id": agency.id}, expected=None)
        assert (g.against_kind, g.against_recruiter_id) == ("recruiter", agency.id)
        with pytest.raises(InvalidInput) as err:
            triage.update(db_session, people["caseworker"], g, {"against_recruiter_id": 987654},
                          expected=None)
        assert [e["field"] for e in err.value.errors] == ["against_recruiter_id"]
        triage.update(db_session, people["caseworker"], g,
                      {"against_kind": "other", "against_name": "The foreman"}, expected=None)
        assert (g.against_kind, g.against_recruiter_id) == ("other", None)
        event = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "grievances:grievance:update")).first()
        assert event.details["against_recruiter_id"] == agency.id
