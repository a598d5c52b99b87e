"""The service directory through its services and its API: search by every filter, the stale
flag, confidential locations, who may keep it, versions and field errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.errors import Forbidden, InvalidInput, NotFound
from journey.referrals import directory, directory_admin
from journey.referrals.models import DirectoryService, ServiceArea
from tests.referrals.directory_helpers import SHELTER_ADDRESS, SHELTER_NAME, build

API = "/api/v1/directory"


@pytest.fixture
def d(app, factory, db_session):
    return build(factory, db_session, app)


def _names(app, sess, user, **filters):
    with app.test_request_context():
        rows, total = directory.search(sess, user, per_page=100, **filters)
    assert total == len(rows)
    return {r["service"].name for r in rows if r["provider"].name == "Associação Solidária"}


def test_search_by_each_filter(app, db_session, d):
    cw = d.caseworker
    everything = {"Legal advice on wages", "Health check for newcomers", "Emergency shelter",
                  "Job club"}
    assert _names(app, db_session, cw) == everything
    assert _names(app, db_session, cw, category="legal_aid") == {"Legal advice on wages"}
    assert _names(app, db_session, cw, category="employment") == {"Job club"}
    assert _names(app, db_session, cw, flag="women_only") == {"Emergency shelter"}
    assert _names(app, db_session, cw, flag="sogiesc_safe") == {"Health check for newcomers"}
    assert "Health check for newcomers" not in _names(app, db_session, cw, flag="free_of_charge")
    assert _names(app, db_session, cw, language="ne") == {"Legal advice on wages"}
    assert _names(app, db_session, cw, language="hi") == {"Health check for newcomers"}
    assert _names(app, db_session, cw, q="WAGES") == {"Legal advice on wages"}
    assert _names(app, db_session, cw, q="solidária") == everything  # the provider's name
    # Place: a service area or a location's city or region, case and accents ignored.
    assert _names(app, db_session, cw, place="porto") == {"Health check for newcomers"}
    assert _names(app, db_session, cw, place="SETUBAL") == {"Emergency shelter"}
    assert _names(app, db_session, cw, place="lisboa") == {"Legal advice on wages",
                                                            "Health check for newcomers"}
    assert _names(app, db_session, cw, place="faro", language="fr",
                  category="employment") == {"Job club"}
    assert _names(app, db_session, cw, stale=True) == {"Job club"}
    assert "Job club" not in _names(app, db_session, cw, stale=False)


def test_area_keys_are_folded_without_accents(app, db_session, d):
    keys = db_session.scalars(sa.select(ServiceArea.name_key).where(
        ServiceArea.service_id == d.shelter.id)).all()
    assert keys == ["setubal district"]
    assert directory.place_key("  ＳＥＴÚＢＡＬ\u200b  ") == "setubal"


def test_stale_after_180_days_and_confirming_clears_it(app, db_session, d):
    with app.test_request_context():
        rows, _ = directory.search(db_session, d.caseworker, per_page=100)
        flags = {r["service"].name: r["stale"] for r in rows}
        assert flags["Job club"] is True and flags["Legal advice on wages"] is False
        # 179 days is not stale yet.
        d.legal.assured_at = utcnow() - timedelta(days=179)
        assert directory.is_stale(d.legal) is False
        with pytest.raises(Forbidden):
            directory_admin.confirm_service(db_session, d.caseworker, d.old.id)
        directory_admin.confirm_service(db_session, d.supervisor, d.old.id)
        assert d.old.assured_by == d.supervisor.id and not directory.is_stale(d.old)
    assert db_session.scalar(sa.select(AuditEvent.actor_id).where(
        AuditEvent.action == "referrals:directory_service:confirm",
        AuditEvent.object_id == d.old.id)) == d.supervisor.id


def test_a_confidential_location_is_never_shown_to_a_partner(app, db_session, d):
    with app.test_request_context():
        rows, _ = directory.search(db_session, d.partner, per_page=100, q="shelter")
        (row,) = rows
        assert row["locations"] == [] and row["address_withheld"] is True
        # A place search cannot find it through the shelter's city either.
        found, _ = directory.search(db_session, d.partner, place="Setúbal", per_page=100)
        assert all(loc.id != d.shelter_loc.id for r in found for loc in r["locations"])
        seen = directory.describe(db_session, d.partner, d.shelter)
        assert seen["locations"] == [] and seen["address_withheld"]
        assert [h[2] for h in seen["hours"][7]] == [None]  # the hours, not the place
        staff = directory.describe(db_session, d.caseworker, d.shelter)
        assert [loc.address for loc in staff["locations"]] == [SHELTER_ADDRESS]
        assert directory_admin.list_locations(db_session, d.partner, provider_id=d.provider.id) \
            == [d.office_loc]
        with pytest.raises(NotFound):
            directory_admin.load_location(db_session, d.partner, d.shelter_loc.id)


def test_the_api_hides_the_confidential_location_from_a_partner(client, factory, d):
    for user, shown in ((d.partner, False), (d.caseworker, True)):
        headers = factory.headers(user)
        for url in (f"{API}/services?q=shelter", f"{API}/services/{d.shelter.id}",
                    f"{API}/locations", f"{API}/export"):
            resp = client.get(url, headers=headers)
            assert resp.status_code == 200, (url, resp.get_json())
            text = resp.get_data(as_text=True)
            assert (SHELTER_ADDRESS in text) is shown, (url, user.role)
            assert (SHELTER_NAME in text) is shown, (url, user.role)
    resp = client.get(f"{API}/services/{d.shelter.id}", headers=factory.headers(d.partner))
    assert resp.get_json()["address_withheld"] is True
    resp = client.patch(f"{API}/locations/{d.shelter_loc.id}",
                        headers=factory.headers(d.partner), json={"name": "x", "version": 1})
    assert resp.status_code == 403


def test_search_api_pages_and_flags(client, factory, d):
    headers = factory.headers(d.partner)
    resp = client.get(f"{API}/services?category=legal_aid&language=ne&place=LISBOA",
                      headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == 1 and resp.headers["X-Total-Count"] == "1"
    (item,) = body["items"]
    assert item["name"] == "Legal advice on wages" and item["stale"] is False
    assert item["categories"] == ["legal_aid"] and item["flags"] == ["free_of_charge"]
    assert item["languages"] == ["pt", "ne"] and item["capacity"] == 30
    assert item["waiting_days"] == 7 and item["locations"][0]["city"] == "Lisboa"
    stale = client.get(f"{API}/services?stale=true&per_page=100", headers=headers).get_json()
    assert "Job club" in {i["name"] for i in stale["items"]}
    assert all(i["stale"] for i in stale["items"])
    one = client.get(f"{API}/services/{d.legal.id}", headers=headers)
    assert one.headers["ETag"] == '"1"'
    assert [s["weekday"] for s in one.get_json()["schedules"]] == [1, 2, 3, 4, 5]
    assert one.get_json()["schedules"][0]["opens_at"] == "09:00"


@pytest.mark.parametrize("query, field", [
    ("category=cooking", "category"), ("flag=cheap", "flag"), ("language=xx", "language"),
    ("stale=maybe", "stale"), ("per_page=500", "per_page"), ("colour=red", "colour"),
])
def test_bad_search_parameters_are_422_field_by_field(client, factory, d, query, field):
    resp = client.get(f"{API}/services?{query}", headers=factory.headers(d.caseworker))
    assert resp.status_code == 422
    assert field in {e["field"] for e in resp.get_json()["errors"]}


def test_only_admins_and_supervisors_keep_the_directory(client, factory, d):
    body = {"provider_id": d.provider.id, "name": "Language classes", "training": True,
            "languages": ["pt"], "areas": ["Lisboa"], "location_ids": [d.office_loc.id]}
    for user, status in ((d.caseworker, 403), (d.partner, 403), (d.supervisor, 201)):
        resp = client.post(f"{API}/services", headers=factory.headers(user), json=body)
        assert resp.status_code == status, resp.get_json()
    created = resp.get_json()
    assert created["training"] is True and created["languages"] == ["pt"]
    assert created["stale"] is False and created["version"] == 1
    # The search finds it at once.
    found = client.get(f"{API}/services?category=training&language=pt",
                       headers=factory.headers(d.caseworker)).get_json()
    assert [i["id"] for i in found["items"]] == [created["id"]]


def test_create_refuses_bad_input_field_by_field(client, factory, d):
    other = factory.provider()
    resp = client.post(f"{API}/services", headers=factory.headers(d.admin), json={
        "provider_id": d.provider.id, "name": " ", "min_age": 40, "max_age": 18,
        "languages": ["pt", "pt"], "email": "not-an-email", "capacity": -1,
        "schedules": [{"weekday": 8, "opens_at": "18:00", "closes_at": "09:00"}]})
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert {"name", "email", "capacity", "languages", "schedules.0.weekday",
            "schedules.0.closes_at"} <= fields, fields
    resp = client.post(f"{API}/services", headers=factory.headers(d.admin), json={
        "provider_id": d.provider.id, "name": "Ages", "min_age": 40, "max_age": 18})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["max_age"]
    resp = client.post(f"{API}/services", headers=factory.headers(d.admin), json={
        "provider_id": other.id, "name": "Elsewhere", "location_ids": [d.office_loc.id]})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["location_ids"]
    resp = client.post(f"{API}/services", headers=factory.headers(d.admin), json={
        "provider_id": 999999, "name": "Nobody's"})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["provider_id"]


def test_updates_check_the_version(client, factory, db_session, d):
    headers = factory.headers(d.admin)
    url = f"{API}/services/{d.legal.id}"
    assert client.patch(url, headers=headers, json={"capacity": 5}).status_code == 428
    resp = client.patch(url, headers=headers, json={"capacity": 5, "languages": ["pt"],
                                                    "version": 1})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["languages"] == ["pt"] and resp.headers["ETag"] == '"2"'
    assert client.patch(url, headers=headers, json={"capacity": 6, "version": 1}).status_code \
        == 409
    assert client.patch(url, headers={**headers, "If-Match": '"1"'},
                        json={"capacity": 6}).status_code == 412
    # Deactivating takes it out of search; staff can still find it by status.
    resp = client.patch(url, headers={**headers, "If-Match": '"2"'}, json={"status": "inactive"})
    assert resp.status_code == 200
    cw = factory.headers(d.caseworker)
    names = {i["name"] for i in client.get(f"{API}/services?per_page=100",
                                           headers=cw).get_json()["items"]}
    assert "Legal advice on wages" not in names
    inactive = client.get(f"{API}/services?status=inactive", headers=cw).get_json()
    assert [i["name"] for i in inactive["items"]] == ["Legal advice on wages"]
    partner = factory.headers(d.partner)
    assert client.get(url, headers=partner).status_code == 404
    assert client.get(f"{API}/services?status=inactive",
                      headers=partner).get_json()["total"] >= 0  # always active for partners
    assert "Legal advice on wages" not in {
        i["name"] for i in client.get(f"{API}/services?status=inactive&per_page=100",
                                      headers=partner).get_json()["items"]}
    events = db_session.scalars(sa.select(AuditEvent.details).where(
        AuditEvent.action == "referrals:directory_service:update",
        AuditEvent.object_id == d.legal.id)).all()
    assert any("languages" in e["fields"] for e in events)


def test_confirm_through_the_api(client, factory, db_session, d):
    url = f"{API}/services/{d.old.id}/confirm"
    assert client.post(url, headers=factory.headers(d.caseworker), json={}).status_code == 403
    assert client.post(url, headers=factory.headers(d.admin),
                       json={"version": 7}).status_code == 409
    resp = client.post(url, headers=factory.headers(d.admin), json={})
    assert resp.status_code == 200 and resp.get_json()["stale"] is False
    assert resp.get_json()["assured_by"] == d.admin.id


def test_locations_api(client, factory, d):
    headers = factory.headers(d.supervisor)
    resp = client.post(f"{API}/locations", headers=headers, json={
        "provider_id": d.provider.id, "name": "Antena Norte", "city": "Porto", "country": "pt",
        "latitude": 41.15, "longitude": -8.61})
    assert resp.status_code == 201, resp.get_json()
    loc = resp.get_json()
    assert loc["country"] == "PT" and loc["confidential"] is False
    bad = client.post(f"{API}/locations", headers=headers, json={
        "provider_id": d.provider.id, "name": "", "country": "XX", "latitude": 100})
    assert bad.status_code == 422
    assert {"name", "country", "latitude"} <= {e["field"] for e in bad.get_json()["errors"]}
    url = f"{API}/locations/{loc['id']}"
    assert client.patch(url, headers=headers, json={"city": "Braga"}).status_code == 428
    resp = client.patch(url, headers=headers, json={"city": "Braga", "version": 1})
    assert resp.status_code == 200 and resp.get_json()["version"] == 2
    assert client.patch(url, headers=headers, json={"city": "Faro", "version": 1}).status_code \
        == 409
    listed = client.get(f"{API}/locations?provider_id={d.provider.id}",
                        headers=factory.headers(d.caseworker)).get_json()
    assert {x["name"] for x in listed} == {"Sede", SHELTER_NAME, "Antena Norte"}
    assert client.patch(f"{API}/locations/999999", headers=headers,
                        json={"city": "x", "version": 1}).status_code == 404


def test_the_search_is_two_queries_for_the_page_and_one_per_child_kind(app, db_session, d):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db_session.get_bind().engine
    with app.test_request_context():
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            rows, _ = directory.search(db_session, d.caseworker, per_page=100)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(rows) >= 4
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The page's ids (with the total), its rows, then languages, areas, locations: however many
    # services the page shows.
    assert len(selects) == 5, selects


def test_service_providers_carry_their_hsds_fields(client, factory, d):
    headers = factory.headers(d.admin)
    resp = client.post("/api/v1/service-providers", headers=headers, json={
        "name": "Centro de Saúde", "country": "PT", "kind": "health",
        "description": "Primary care", "email": "geral@example.org",
        "phone": "+351213000000", "website": "https://example.org"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["website"] == "https://example.org"
    bad = client.patch(f"/api/v1/service-providers/{resp.get_json()['id']}", headers=headers,
                       json={"website": "ftp://x", "phone": "12", "version": 1})
    assert bad.status_code == 422
    assert {"website", "phone"} <= {e["field"] for e in bad.get_json()["errors"]}


def test_update_service_refuses_inverted_ages_from_stored_values(app, db_session, d):
    d.legal.min_age = 30
    with app.test_request_context(), pytest.raises(InvalidInput):
        directory_admin.update_service(db_session, d.admin, d.legal.id, {"max_age": 20},
                                 expected=None)
    assert db_session.get(DirectoryService, d.legal.id).max_age is None
