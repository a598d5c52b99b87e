"""Vacancies: employers draft their own, staff publish, fill and close; every change audited."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.employers.models import Vacancy
from journey.taxonomy import services as taxonomy
from journey.taxonomy.models import EscoOccupation
from tests.employers.selection_helpers import setting, vacancy_data


def _post(client, factory, user, body):
    return client.post("/api/v1/vacancies", json=body, headers=factory.headers(user))


def test_an_employer_drafts_for_its_own_employer_and_staff_publish(client, factory, db_session):
    s = setting(factory, db_session)
    resp = _post(client, factory, s.employer_user, vacancy_data(s, required_skills=[
        "http://data.europa.eu/esco/skill/0b2b6c3b-8e1a-4b7c-9d5e-0a1b2c3d4e5f"],
        wage_amount="820.00", wage_currency="EUR", wage_period="month",
        certificates=["Food hygiene"]))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft" and body["employer_id"] == s.employer.id
    assert body["languages"] == [{"language": "pt", "level": "A2"}]
    assert resp.headers["ETag"] == '"1"'
    vid = body["id"]
    # The employer cannot publish; staff can.
    assert client.post(f"/api/v1/vacancies/{vid}/publish", json={},
                       headers=factory.headers(s.employer_user)).status_code == 403
    resp = client.post(f"/api/v1/vacancies/{vid}/publish", json={},
                       headers=factory.headers(s.caseworker))
    assert resp.status_code == 200 and resp.get_json()["status"] == "open"
    # Once open, the employer may no longer edit it; staff still can.
    resp = client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Porto", "version": 2},
                        headers=factory.headers(s.employer_user))
    assert resp.status_code == 409 and resp.get_json()["code"] == "vacancy-not-editable"
    resp = client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Porto"},
                        headers={**factory.headers(s.caseworker), "If-Match": '"2"'})
    assert resp.status_code == 200 and resp.get_json()["place"] == "Porto"
    # Filled, then closed; a closed vacancy goes nowhere.
    for status in ("filled", "closed"):
        resp = client.post(f"/api/v1/vacancies/{vid}/status", json={"status": status},
                           headers=factory.headers(s.caseworker))
        assert resp.status_code == 200 and resp.get_json()["status"] == status
    resp = client.post(f"/api/v1/vacancies/{vid}/status", json={"status": "filled"},
                       headers=factory.headers(s.caseworker))
    assert resp.status_code == 409 and resp.get_json()["code"] == "vacancy-status"
    # The problem's own status stays the HTTP status; the vacancy's is a member of its own.
    assert (resp.get_json()["status"], resp.get_json()["vacancy_status"]) == (409, "closed")
    actions = db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "vacancy", AuditEvent.object_id == vid)
        .order_by(AuditEvent.id)).all()
    assert actions == ["employers:vacancy:create", "employers:vacancy:publish",
                       "employers:vacancy:update", "employers:vacancy:status",
                       "employers:vacancy:status"]


def test_stale_versions_are_refused(client, factory, db_session):
    s = setting(factory, db_session)
    vid = _post(client, factory, s.employer_user, vacancy_data(s)).get_json()["id"]
    h = factory.headers(s.employer_user)
    assert client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Faro"},
                        headers=h).status_code == 428
    assert client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Faro", "version": 1},
                        headers=h).status_code == 200
    resp = client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Braga"},
                        headers={**h, "If-Match": '"1"'})
    assert resp.status_code == 412
    resp = client.patch(f"/api/v1/vacancies/{vid}", json={"place": "Braga", "version": 1},
                        headers=h)
    assert resp.status_code == 409 and resp.get_json()["code"] == "stale-version"


def test_an_employer_user_sees_only_its_own_vacancies(client, factory, db_session):
    s, t = setting(factory, db_session), setting(factory, db_session)
    mine = _post(client, factory, s.employer_user, vacancy_data(s)).get_json()["id"]
    theirs = _post(client, factory, t.employer_user, vacancy_data(t)).get_json()["id"]
    listed = client.get("/api/v1/vacancies", headers=factory.headers(s.employer_user)).get_json()
    assert [v["id"] for v in listed] == [mine]
    h = factory.headers(s.employer_user)
    assert client.get(f"/api/v1/vacancies/{theirs}", headers=h).status_code == 404
    assert client.patch(f"/api/v1/vacancies/{theirs}", json={"place": "X", "version": 1},
                        headers=h).status_code == 404
    staff = client.get("/api/v1/vacancies?status=draft",
                       headers=factory.headers(s.caseworker)).get_json()
    assert {mine, theirs} <= {v["id"] for v in staff}
    assert client.get("/api/v1/vacancies?state=draft", headers=h).status_code == 422


def test_an_employer_drafts_only_in_its_programmes_and_for_itself(client, factory, db_session):
    s = setting(factory, db_session)
    other = factory.programme()
    resp = _post(client, factory, s.employer_user, vacancy_data(s, programme_id=other.id))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "programme_id"
    resp = _post(client, factory, s.employer_user, vacancy_data(s, programme_id=99_999))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["code"] == "not-found"
    elsewhere = factory.employer()
    resp = _post(client, factory, s.employer_user, vacancy_data(s, employer_id=elsewhere.id))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "employer_id"
    # Staff name the employer (which must exist).
    resp = _post(client, factory, s.caseworker, vacancy_data(s))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "employer_id"
    resp = _post(client, factory, s.caseworker, vacancy_data(s, employer_id=99_999))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["code"] == "not-found"
    resp = _post(client, factory, s.caseworker, vacancy_data(s, employer_id=s.employer.id))
    assert resp.status_code == 201


def test_vacancy_fields_are_validated(client, factory, db_session):
    s = setting(factory, db_session)
    bad = {"positions": 0, "languages": [{"language": "xx", "level": "D1"}],
           "required_skills": ["http://example.com/skill"], "wage_currency": "eur",
           "occupation_uri": "not a uri"}
    resp = _post(client, factory, s.employer_user, vacancy_data(s, **bad))
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert {"positions", "languages.0.language", "languages.0.level", "required_skills.0",
            "wage_currency", "occupation_uri"} <= fields


def test_the_occupation_is_checked_against_the_taxonomy(client, factory, db_session):
    taxonomy.load_base(db_session)
    occ = db_session.scalars(sa.select(EscoOccupation)).first()
    s = setting(factory, db_session)
    unknown = "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"
    resp = _post(client, factory, s.employer_user, vacancy_data(s, occupation_uri=unknown))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["code"] == "not-found"
    resp = _post(client, factory, s.employer_user, vacancy_data(s, occupation_uri=occ.uri))
    assert resp.status_code == 201 and resp.get_json()["isco_code"] == occ.isco_code
    other_code = "9999" if occ.isco_code != "9999" else "1111"
    resp = _post(client, factory, s.employer_user,
                 vacancy_data(s, occupation_uri=occ.uri, isco_code=other_code))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["code"] == "mismatch"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Vacancy)) == 1
