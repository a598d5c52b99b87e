"""Programme pages: create, edit, and the checklist configuration form, through the test client."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.programmes.models import Programme
from tests.web.test_pages import HTML, csrf_token, log_in, text


@pytest.fixture
def admin_client(client, factory):
    assert log_in(client, factory.user("admin")).status_code == 303
    return client


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, headers=HTML)


def _field_error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{re.escape(field)}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found.group(1)


def test_create_a_programme(admin_client, db_session, factory):
    emp = factory.employer(name="Quinta do Vale")
    form = {"code": "NP-PT-CARE", "name": "Care workers to Portugal", "origin_country": "NP",
            "destination_country": "NP", "sector": "Care", "occupations": "5322, x",
            "default_language": "ne", "languages": "en, pt"}
    bad = _post(admin_client, "/admin/programmes/new", form)
    assert bad.status_code == 422 and _field_error(bad, "occupations")
    same = _post(admin_client, "/admin/programmes/new", {**form, "occupations": "5322"})
    assert same.status_code == 422
    assert "differ" in _field_error(same, "destination_country")
    ok = _post(admin_client, "/admin/programmes/new",
               {**form, "destination_country": "PT", "occupations": "5322",
                "employer_ids": str(emp.id)})
    assert ok.status_code == 303
    prog = db_session.scalars(sa.select(Programme).where(Programme.code == "NP-PT-CARE")).one()
    assert prog.languages == ["en", "pt"] and [e.id for e in prog.employers] == [emp.id]
    taken = _post(admin_client, "/admin/programmes/new",
                  {**form, "destination_country": "PT", "occupations": "5322"})
    assert taken.status_code == 409 and _field_error(taken, "code")
    listing = text(admin_client.get("/admin/programmes", headers=HTML))
    assert "Care workers to Portugal" in listing and "NP → PT" in listing


def test_edit_a_programme_and_a_stale_version(admin_client, db_session, factory):
    prog = factory.programme()
    provider = factory.provider(name="Skills Academy")
    path = f"/admin/programmes/{prog.id}"
    assert 'name="version" value="1"' in admin_client.get(path, headers=HTML).get_data(
        as_text=True)
    bad = _post(admin_client, path, {"name": "", "languages": "xx-!!", "version": "1"})
    assert bad.status_code == 422 and _field_error(bad, "name") and _field_error(bad, "languages")
    ok = _post(admin_client, path, {"name": "Renamed", "languages": "en",
                                    "training_provider_id": str(provider.id), "version": "1"})
    assert ok.status_code == 303
    db_session.refresh(prog)
    assert prog.name == "Renamed" and prog.training_provider_id == provider.id
    assert prog.version == 2
    stale = _post(admin_client, path, {"name": "Mine", "languages": "", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else changed this record" in text(stale)
    db_session.refresh(prog)
    assert prog.name == "Renamed"


def test_the_api_checks_a_programme_version_when_sent(client, factory):
    admin = factory.user("admin")
    prog = factory.programme()
    url = f"/api/v1/programmes/{prog.id}"
    assert client.patch(url, json={"name": "A"}, headers=factory.headers(admin)).status_code == 200
    stale = client.patch(url, json={"name": "B", "version": 1}, headers=factory.headers(admin))
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    ok = client.patch(url, json={"name": "B", "version": 2}, headers=factory.headers(admin))
    assert ok.status_code == 200 and ok.headers["ETag"] == '"3"'


def test_checklist_form_skips_renames_and_adds(admin_client, db_session, factory):
    prog = factory.programme()
    path = f"/admin/programmes/{prog.id}/checklist"
    page = admin_client.get(path, headers=HTML)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="skip-financial_support"' in body and 'name="add-2-key"' in body
    resp = _post(admin_client, path, {
        "version": "1", "skip-financial_support": "yes", "rename-housing": "Housing inspected",
        "add-0-stage": "arrival", "add-0-key": "sim_card", "add-0-title": "Local SIM card",
        "add-0-due_days": "2",
        "add-1-stage": "intake", "add-1-key": "", "add-1-title": "", "add-1-due_days": "",
        "add-1-required": "yes"})
    assert resp.status_code == 303
    db_session.refresh(prog)
    assert prog.checklist_config == {
        "disabled": ["financial_support"], "renamed": {"housing": "Housing inspected"},
        "added": [{"stage": "arrival", "key": "sim_card", "title": "Local SIM card",
                   "required": False, "due_days": 2}]}
    again = admin_client.get(path, headers=HTML).get_data(as_text=True)
    assert re.search(r'name="skip-financial_support" value="yes" checked', again)
    assert 'value="Housing inspected"' in again and 'value="sim_card"' in again


def test_checklist_errors_show_beside_the_fields(admin_client, db_session, factory):
    prog = factory.programme()
    path = f"/admin/programmes/{prog.id}/checklist"
    resp = _post(admin_client, path, {
        "version": "1", "rename-housing": "h" * 201,
        "add-0-stage": "arrival", "add-0-key": "Bad Key", "add-0-title": "x",
        "add-0-due_days": "-3",
        "add-1-stage": "arrival", "add-1-key": "housing", "add-1-title": "Dup",
        "add-2-stage": "nowhere", "add-2-key": "thing", "add-2-title": "",
        "add-3-stage": "arrival", "add-3-key": "sim", "add-3-title": "One",
        "add-4-stage": "stay", "add-4-key": "sim", "add-4-title": "Two"})
    assert resp.status_code == 422
    assert _field_error(resp, "rename-housing")
    assert _field_error(resp, "add-0-key") and _field_error(resp, "add-0-due_days")
    assert "already a default item" in _field_error(resp, "add-1-key")
    assert _field_error(resp, "add-2-stage") and _field_error(resp, "add-2-title")
    assert "sim" in _field_error(resp, "add-4-key")
    assert 'value="Bad Key"' in resp.get_data(as_text=True)  # what was typed is kept
    db_session.refresh(prog)
    assert prog.checklist_config == {} and prog.version == 1


def test_checklist_stale_version_overwrites_nothing(admin_client, db_session, factory):
    prog = factory.programme(checklist_config={"disabled": ["housing"]})
    path = f"/admin/programmes/{prog.id}/checklist"
    csrf = csrf_token(admin_client, path)
    prog.version = 2
    db_session.flush()
    resp = admin_client.post(path, data={"version": "1", "csrf_token": csrf}, headers=HTML)
    assert resp.status_code == 409 and "Someone else changed this record" in text(resp)
    db_session.refresh(prog)
    assert prog.checklist_config == {"disabled": ["housing"]}


def test_api_refuses_duplicate_added_keys(client, factory):
    admin = factory.user("admin")
    prog = factory.programme()
    item = {"stage": "arrival", "key": "sim", "title": "SIM"}
    resp = client.patch(f"/api/v1/programmes/{prog.id}",
                        json={"checklist_config": {"added": [item, item]}},
                        headers=factory.headers(admin))
    assert resp.status_code == 422


def test_programme_pages_are_for_admins(client, factory):
    prog = factory.programme()
    log_in(client, factory.user("supervisor"))
    assert client.get("/admin/programmes", headers=HTML).status_code == 200
    assert client.get(f"/admin/programmes/{prog.id}", headers=HTML).status_code == 403
    assert client.get(f"/admin/programmes/{prog.id}/checklist", headers=HTML).status_code == 403
    assert client.get("/admin/programmes/new", headers=HTML).status_code == 403


def test_programme_contacts_are_created_edited_and_shown(admin_client, db_session, factory):
    form = {"code": "NP-PT-FARM", "name": "Farm workers to Portugal", "origin_country": "NP",
            "destination_country": "PT", "sector": "Agriculture", "default_language": "ne",
            "contacts.helpline": "call me", "contacts.emergency": "112"}
    new_page = admin_client.get("/admin/programmes/new", headers=HTML).get_data(as_text=True)
    assert 'for="f-contacts.embassy"' in new_page and 'id="f-contacts.embassy"' in new_page
    bad = _post(admin_client, "/admin/programmes/new", form)
    assert bad.status_code == 422 and "phone number" in _field_error(bad, "contacts.helpline")
    assert 'value="call me"' in bad.get_data(as_text=True)  # what was typed is kept
    ok = _post(admin_client, "/admin/programmes/new", {**form, "contacts.helpline": "+351 800 200"})
    assert ok.status_code == 303
    prog = db_session.scalars(sa.select(Programme).where(Programme.code == "NP-PT-FARM")).one()
    assert prog.contacts == {"helpline": "+351 800 200", "emergency": "112"}

    path = f"/admin/programmes/{prog.id}"
    page = text(admin_client.get(path, headers=HTML))
    assert "+351 800 200" in page and "112" in page
    bad = _post(admin_client, path, {"name": prog.name, "version": "1",
                                     "contacts.embassy": "embassy!"})
    assert bad.status_code == 422 and _field_error(bad, "contacts.embassy")
    ok = _post(admin_client, path, {"name": prog.name, "version": "1",
                                    "contacts.emergency": "112", "contacts.embassy": "+351 21 000"})
    assert ok.status_code == 303
    db_session.refresh(prog)
    # the emptied helpline is removed: messages fall back on Portugal's, then the centre's
    assert prog.contacts == {"emergency": "112", "embassy": "+351 21 000"}
    page = admin_client.get(path, headers=HTML).get_data(as_text=True)
    assert 'value="+351 21 000"' in page and 'name="contacts.helpline" type="tel" value=""' in page


def test_programme_contacts_form_needs_csrf(admin_client, factory):
    prog = factory.programme()
    resp = admin_client.post(f"/admin/programmes/{prog.id}", headers=HTML,
                             data={"name": "X", "version": "1", "contacts.emergency": "112"})
    assert resp.status_code in (400, 403)
