"""The directory's pages: search with every filter in words, a service with its hours, the
forms of admins and supervisors with errors beside the fields, "confirmed today", a partner who
never sees a confidential location, and the light public page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.referrals import directory_admin
from journey.referrals.models import DirectoryLocation, DirectoryService, ServiceSchedule
from tests.referrals.directory_helpers import SHELTER_ADDRESS, SHELTER_NAME, build
from tests.web.test_migrant_pages_weight import LIMIT, _weight
from tests.web.test_pages import HTML, csrf_token, log_in, text


@pytest.fixture
def d(app, factory, db_session):
    return build(factory, db_session, app)


def _post(client, path, data, form_page=None):
    token = csrf_token(client, form_page or path)
    return client.post(path, headers=HTML, data={**data, "csrf_token": token})


def _results(resp) -> str:
    body = text(resp)
    assert 'id="summary"' in body
    return body.partition('id="summary"')[2]


def test_search_page_filters_and_words(client, d):
    log_in(client, d.caseworker)
    page = client.get("/directory", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert 'href="/directory"' in page.get_data(as_text=True)  # the header's link
    assert "Add a service" not in body  # caseworkers read, never keep
    for name in ("Legal advice on wages", "Emergency shelter", "Job club"):
        assert name in body
    assert "Women only" in body and "Safe for people of diverse SOGIESC" in body
    assert "Free of charge" in body and "Waiting time: 7 days" in body
    assert "Capacity: 30 places" in body
    assert "Not confirmed for 180 days" in _results(client.get("/directory?q=job",
                                                               headers=HTML))
    checks = {"category=legal_aid": "Legal advice on wages", "flag=women_only": "Emergency shelter",
              "language=hi": "Health check for newcomers", "place=SETUBAL": "Emergency shelter",
              "stale=true": "Job club", "q=newcomers": "Health check for newcomers"}
    everything = ("Legal advice on wages", "Emergency shelter", "Job club",
                  "Health check for newcomers")
    for query, wanted in checks.items():
        found = _results(client.get(f"/directory?{query}", headers=HTML))
        assert wanted in found, query
        assert all(n not in found for n in everything if n != wanted), query
    # Staff see the shelter's address, flagged confidential.
    assert SHELTER_ADDRESS in _results(client.get("/directory?q=shelter", headers=HTML))
    for bad in ("category=cooking", "language=xx", "stale=maybe", "colour=red"):
        assert client.get(f"/directory?{bad}", headers=HTML).status_code == 422, bad


def test_the_search_page_in_another_language(client, factory, d):
    user = factory.user("caseworker", language="fr")
    log_in(client, user)
    page = client.get("/directory?category=legal_aid", headers=HTML)
    assert page.status_code == 200
    assert '<html lang="fr"' in page.get_data(as_text=True)


def test_a_partner_never_sees_the_confidential_location(client, d):
    log_in(client, d.partner)
    for path in ("/directory", "/directory?q=shelter", "/directory?place=setubal",
                 f"/directory/services/{d.shelter.id}"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        body = page.get_data(as_text=True)
        assert SHELTER_ADDRESS not in body and SHELTER_NAME not in body, path
    body = text(client.get(f"/directory/services/{d.shelter.id}", headers=HTML))
    assert "The address is given by your caseworker." in body
    assert "Edit" not in body and "Confirmed today" not in body
    assert client.get(f"/directory/locations/{d.shelter_loc.id}/edit",
                      headers=HTML).status_code == 403
    assert client.get("/directory/services/new", headers=HTML).status_code == 403


def test_the_service_page_shows_hours_and_locations(client, d):
    log_in(client, d.caseworker)
    page = client.get(f"/directory/services/{d.legal.id}", headers=HTML)
    body = text(page)
    assert page.status_code == 200
    # Times in the reader's locale (Babel: "9:00 AM", with a narrow no-break space).
    assert re.search(r'<th scope="row">Monday</th><td>9:00\sAM–5:00\sPM</td>', body)
    assert "<th scope=\"row\">Sunday</th><td>Closed</td>" in body
    assert "Rua do Ouro 10" in body and "Lisboa" in body
    shelter = text(client.get(f"/directory/services/{d.shelter.id}", headers=HTML))
    assert SHELTER_ADDRESS in shelter and "confidential: do not share" in shelter


def test_the_public_page_is_light_and_hides_confidential_locations(app, client, db_session, d):
    # A full page of services (30) with their stylesheets stays under 50 KB.
    with app.test_request_context():
        for n in range(40):
            directory_admin.create_service(db_session, d.admin, {
                "provider_id": d.provider.id, "name": f"Language class {n} for newcomers",
                "training": True, "free_of_charge": True, "languages": ["pt", "en", "ne"],
                "areas": ["Lisboa", "Amadora"], "location_ids": [d.office_loc.id],
                "documents_required": "Passport or residence permit, proof of address",
                "waiting_days": 3})
    total, parts = _weight(client, "/services?lang=ne")
    assert total < LIMIT, parts
    for path in ("/services?lang=pt", "/services?page=2", "/services?category=housing",
                 "/services?place=setubal", "/services?category=legal_aid"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert SHELTER_ADDRESS not in html and SHELTER_NAME not in html, path
    assert '<html lang="pt"' in client.get("/services?lang=pt").get_data(as_text=True)
    shelter = text(client.get("/services?category=housing"))
    assert "Emergency shelter" in shelter and "given by your caseworker" in shelter
    legal = text(client.get("/services?category=legal_aid"))
    assert "Legal advice on wages" in legal and "Rua do Ouro 10" in legal
    assert "Job club" in text(client.get("/services?category=employment"))
    assert "Legal advice" not in text(client.get("/services?category=employment"))
    assert client.get("/services?category=nothing").status_code == 422


def test_a_supervisor_adds_a_service_with_errors_beside_the_fields(client, db_session, d):
    log_in(client, d.supervisor)
    form = client.get("/directory/services/new", headers=HTML)
    assert form.status_code == 200
    bad = _post(client, "/directory/services/new", {
        "provider_id": str(d.provider.id), "name": "", "languages": "pt zz",
        "min_age": "40", "max_age": "18", "email": "nope", "opens_1": "18:00",
        "closes_1": "09:00", "location_ids": str(d.office_loc.id)},
        form_page="/directory/services/new")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    for field in ("name", "languages", "max_age", "email", "hours_1"):
        assert f'id="err-{field}"' in html, field
    assert 'value="pt zz"' in html  # what was typed is kept
    ok = _post(client, "/directory/services/new", {
        "provider_id": str(d.provider.id), "name": "Psychosocial group",
        "categories": "psychosocial", "flags": "free_of_charge", "languages": "pt ne",
        "areas": "Lisboa\nAmadora", "location_ids": str(d.office_loc.id),
        "opens_2": "10:00", "closes_2": "12:00", "eligible_sex": "any", "capacity": "12"},
        form_page="/directory/services/new")
    assert ok.status_code == 303, text(ok)[:2000]
    created = db_session.scalar(sa.select(DirectoryService).where(
        DirectoryService.name == "Psychosocial group"))
    assert created.psychosocial and created.capacity == 12 and created.free_of_charge
    hours = db_session.scalars(sa.select(ServiceSchedule).where(
        ServiceSchedule.service_id == created.id)).all()
    assert [(h.weekday, h.opens_at.hour) for h in hours] == [(2, 10)]


def test_edit_keeps_location_hours_and_checks_the_version(client, db_session, d):
    log_in(client, d.admin)
    path = f"/directory/services/{d.shelter.id}/edit"
    form = client.get(path, headers=HTML)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "name": "Emergency shelter", "status": "active",
            "categories": "housing", "flags": "women_only", "languages": "pt en",
            "areas": "Setúbal district", "location_ids": str(d.shelter_loc.id),
            "eligible_sex": "female", "version": "1"}
    ok = client.post(path, headers=HTML, data=data)
    assert ok.status_code == 303, text(ok)[:2000]
    db_session.refresh(d.shelter)
    assert d.shelter.eligible_sex == "female" and d.shelter.version == 2
    kept = db_session.scalars(sa.select(ServiceSchedule.location_id).where(
        ServiceSchedule.service_id == d.shelter.id)).all()
    assert kept == [d.shelter_loc.id]  # the hours at the shelter were not dropped
    stale = client.post(path, headers=HTML, data={**data, "name": "Renamed"})
    assert stale.status_code == 409
    assert "Someone else changed this record" in text(stale)


def test_confirmed_today_button(client, db_session, d):
    log_in(client, d.supervisor)
    page = client.get(f"/directory/services/{d.old.id}", headers=HTML)
    assert "Confirmed today" in text(page)
    resp = _post(client, f"/directory/services/{d.old.id}/confirm", {"version": "1"},
                 form_page=f"/directory/services/{d.old.id}")
    assert resp.status_code == 303
    db_session.refresh(d.old)
    assert d.old.assured_by == d.supervisor.id and d.old.version == 2
    log_in(client, d.caseworker)
    assert _post(client, f"/directory/services/{d.old.id}/confirm", {"version": "2"},
                 form_page="/directory").status_code == 403


def test_location_form(client, db_session, d):
    log_in(client, d.admin)
    bad = _post(client, "/directory/locations/new", {
        "provider_id": str(d.provider.id), "name": "", "country": "ZZ", "latitude": "north"},
        form_page="/directory/locations/new")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    for field in ("name", "country", "latitude"):
        assert f'id="err-{field}"' in html, field
    ok = _post(client, "/directory/locations/new", {
        "provider_id": str(d.provider.id), "name": "Refúgio", "country": "pt",
        "city": "Almada", "confidential": "yes"}, form_page="/directory/locations/new")
    assert ok.status_code == 303
    loc = db_session.scalar(sa.select(DirectoryLocation).where(DirectoryLocation.name == "Refúgio"))
    assert loc.confidential and loc.country == "PT"
    edit = _post(client, f"/directory/locations/{loc.id}/edit", {
        "name": "Refúgio", "country": "PT", "city": "Seixal", "confidential": "yes",
        "version": "1"}, form_page=f"/directory/locations/{loc.id}/edit")
    assert edit.status_code == 303
    db_session.refresh(loc)
    assert loc.city == "Seixal" and loc.version == 2
