"""Offices, employers and service providers: PATCH through the API, and their pages through the
test client (create, edit, errors beside the fields, a stale version's conflict)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.organisations.models import Employer, Office, ServiceProvider
from tests.web.test_pages import HTML, csrf_token, log_in, text


@pytest.fixture
def admin_client(client, factory):
    admin = factory.user("admin")
    assert log_in(client, admin).status_code == 303
    client.admin = admin
    return client


def _post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)},
                       headers=HTML)


def _field_error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found.group(1)


# --- the API ------------------------------------------------------------------------------------

def test_patch_office_at_its_version(client, factory, db_session):
    admin = factory.user("admin")
    office = factory.office()
    url = f"/api/v1/offices/{office.id}"
    resp = client.patch(url, json={"name": "Kathmandu MRC", "version": 1},
                        headers=factory.headers(admin))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["name"] == "Kathmandu MRC" and resp.get_json()["version"] == 2
    assert resp.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"name": "Again", "version": 1}, headers=factory.headers(admin))
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    stale_header = client.patch(url, json={"name": "Again"},
                                headers={**factory.headers(admin), "If-Match": '"1"'})
    assert stale_header.status_code == 412
    missing = client.patch(url, json={"name": "Again"}, headers=factory.headers(admin))
    assert missing.status_code == 428
    bad = client.patch(url, json={"timezone": "Mars/Base", "version": 2},
                       headers=factory.headers(admin))
    assert bad.status_code == 422
    assert client.patch(url, json={"code": "NEW", "version": 2},
                        headers=factory.headers(admin)).status_code == 422  # codes never change
    db_session.refresh(office)
    assert office.name == "Kathmandu MRC" and office.version == 2
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "organisations:office:update")).one()
    assert event.object_id == office.id and event.details["fields"] == ["name"]
    assert client.patch("/api/v1/offices/999999", json={"name": "x", "version": 1},
                        headers=factory.headers(admin)).status_code == 404


def test_patch_employer_and_provider_keep_names_unique(client, factory, db_session):
    admin = factory.user("admin")
    taken = factory.employer(name="Hotel Atlântico")
    emp = factory.employer()
    resp = client.patch(f"/api/v1/employers/{emp.id}",
                        json={"name": "HOTEL  ATLÂNTICO", "version": 1},
                        headers=factory.headers(admin))
    assert resp.status_code == 409 and resp.get_json()["code"] == "name-taken"
    assert resp.get_json()["existing_id"] == taken.id
    ok = client.patch(f"/api/v1/employers/{emp.id}",
                      json={"sector": "Care", "version": 1}, headers=factory.headers(admin))
    assert ok.status_code == 200 and ok.get_json()["sector"] == "Care"
    prov = factory.provider()
    resp = client.patch(f"/api/v1/service-providers/{prov.id}",
                        json={"kind": "legal", "version": 1}, headers=factory.headers(admin))
    assert resp.status_code == 200 and resp.get_json()["kind"] == "legal"
    bad = client.patch(f"/api/v1/service-providers/{prov.id}",
                       json={"kind": "magic", "version": 2}, headers=factory.headers(admin))
    assert bad.status_code == 422


def test_only_admins_may_patch(client, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    resp = client.patch(f"/api/v1/offices/{office.id}", json={"name": "x", "version": 1},
                        headers=factory.headers(sup))
    assert resp.status_code == 403


# --- the pages ----------------------------------------------------------------------------------

def test_admin_index_links_everything(admin_client):
    page = admin_client.get("/admin", headers=HTML)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for href in ("/admin/users", "/admin/offices", "/admin/programmes", "/admin/organisations",
                 "/admin/security"):
        assert f'href="{href}' in body, href
    assert 'href="/admin"' in body  # the header's Administration link


@pytest.mark.parametrize("path", ["/admin", "/admin/office/new", "/admin/employer/new"])
def test_admin_pages_refuse_supervisors(client, factory, path):
    log_in(client, factory.user("supervisor"))
    assert client.get(path, headers=HTML).status_code == 403


def test_supervisors_read_the_lists_without_edit_links(client, factory):
    office = factory.office(name="Pokhara MRC")
    factory.employer(name="Quinta do Vale")
    log_in(client, factory.user("supervisor", office=office))
    offices = client.get("/admin/offices", headers=HTML)
    assert offices.status_code == 200 and "Pokhara MRC" in text(offices)
    assert f"/admin/office/{office.id}" not in offices.get_data(as_text=True)
    orgs = client.get("/admin/organisations", headers=HTML)
    assert orgs.status_code == 200 and "Quinta do Vale" in text(orgs)
    assert "Add an employer" not in text(orgs)


def test_create_and_edit_an_office(admin_client, db_session):
    bad = _post(admin_client, "/admin/office/new",
                {"code": "bad code", "name": "", "country": "XX", "timezone": "Nowhere"})
    assert bad.status_code == 422
    for field in ("code", "name", "country", "timezone"):
        assert _field_error(bad, field)
    assert 'value="bad code"' in bad.get_data(as_text=True)
    resp = _post(admin_client, "/admin/office/new",
                 {"code": "BRT-1", "name": "Biratnagar MRC", "country": "np",
                  "timezone": "Asia/Kathmandu"})
    assert resp.status_code == 303
    office = db_session.scalars(sa.select(Office).where(Office.code == "BRT-1")).one()
    assert resp.headers["Location"].endswith(f"/admin/office/{office.id}")
    assert office.country == "NP"
    taken = _post(admin_client, "/admin/office/new",
                  {"code": "BRT-1", "name": "Again", "country": "NP",
                   "timezone": "Asia/Kathmandu"})
    assert taken.status_code == 409 and "already used" in _field_error(taken, "code")

    path = f"/admin/office/{office.id}"
    form = admin_client.get(path, headers=HTML)
    assert 'name="version" value="1"' in form.get_data(as_text=True)
    bad = _post(admin_client, path, {"name": "x" * 201, "country": "NP",
                                     "timezone": "Asia/Kathmandu", "version": "1"})
    assert bad.status_code == 422 and _field_error(bad, "name")
    ok = _post(admin_client, path, {"name": "Biratnagar centre", "country": "NP",
                                    "timezone": "Asia/Kathmandu", "version": "1"})
    assert ok.status_code == 303
    db_session.refresh(office)
    assert office.name == "Biratnagar centre" and office.version == 2
    assert "Saved: Biratnagar centre." in text(admin_client.get(path, headers=HTML))


def test_a_stale_office_edit_shows_both_versions(admin_client, db_session, factory):
    office = factory.office(name="Original")
    path = f"/admin/office/{office.id}"
    csrf = csrf_token(admin_client, path)
    office.name, office.version = "Theirs", 2  # someone else saved in between
    db_session.flush()
    resp = admin_client.post(path, data={"name": "Mine", "country": "NP",
                                         "timezone": "Asia/Kathmandu", "version": "1",
                                         "csrf_token": csrf}, headers=HTML)
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Someone else changed this record" in page
    assert "Theirs" in page and 'value="Mine"' in page
    assert 'name="version" value="2"' in page  # saving again keeps mine
    db_session.refresh(office)
    assert office.name == "Theirs"


def test_create_and_edit_employer_and_provider(admin_client, db_session, factory):
    resp = _post(admin_client, "/admin/employer/new",
                 {"name": "Hotel Lisboa", "country": "PT", "sector": ""})
    assert resp.status_code == 303
    emp = db_session.scalars(sa.select(Employer).where(Employer.name == "Hotel Lisboa")).one()
    assert emp.sector is None
    dup = _post(admin_client, "/admin/employer/new", {"name": "hotel lisboa", "country": "PT"})
    assert dup.status_code == 409 and "already used" in _field_error(dup, "name")
    path = f"/admin/employer/{emp.id}"
    ok = _post(admin_client, path, {"name": "Hotel Lisboa", "country": "PT",
                                    "sector": "Hospitality", "version": "1"})
    assert ok.status_code == 303
    db_session.refresh(emp)
    assert emp.sector == "Hospitality"
    isic = _post(admin_client, path, {"name": "Hotel Lisboa", "country": "PT",
                                      "isic_code": "I55", "version": "2"})
    assert isic.status_code == 422 and _field_error(isic, "isic_code")
    isic = _post(admin_client, path, {"name": "Hotel Lisboa", "country": "PT",
                                      "isic_code": "55", "version": "2"})
    assert isic.status_code == 303
    db_session.refresh(emp)
    assert emp.isic_code == "55"

    bad = _post(admin_client, "/admin/provider/new", {"name": "Clínica", "country": "PT",
                                                     "kind": "magic"})
    assert bad.status_code == 422 and _field_error(bad, "kind")
    ok = _post(admin_client, "/admin/provider/new", {"name": "Clínica", "country": "PT",
                                                    "kind": "health"})
    assert ok.status_code == 303
    prov = db_session.scalars(sa.select(ServiceProvider).where(
        ServiceProvider.name == "Clínica")).one()
    listing = text(admin_client.get("/admin/organisations", headers=HTML))
    assert "Hotel Lisboa" in listing and "Clínica" in listing and "Health service" in listing
    edit = _post(admin_client, f"/admin/provider/{prov.id}",
                 {"name": "Clínica", "country": "PT", "kind": "legal", "version": "1"})
    assert edit.status_code == 303
    db_session.refresh(prov)
    assert prov.kind == "legal" and prov.version == 2


def test_forms_need_csrf(admin_client):
    resp = admin_client.post("/admin/office/new", data={"code": "NO-CSRF", "name": "x",
                                                        "country": "NP",
                                                        "timezone": "Asia/Kathmandu"},
                             headers=HTML)
    assert resp.status_code == 400


def test_unknown_records_are_404(admin_client):
    assert admin_client.get("/admin/office/999999", headers=HTML).status_code == 404
    assert admin_client.get("/admin/provider/999999", headers=HTML).status_code == 404


def test_an_emptied_field_is_refused_not_ignored(admin_client, factory, db_session):
    office = factory.office(name="Kept")
    resp = _post(admin_client, f"/admin/office/{office.id}",
                 {"name": "", "country": "", "timezone": "Asia/Kathmandu", "version": "1"})
    assert resp.status_code == 422
    assert _field_error(resp, "name") and _field_error(resp, "country")
    db_session.refresh(office)
    assert office.name == "Kept"
