"""Participant pages through the test client: the caseload's filters, register (errors beside the
field, the duplicate warning then the confirmation), edit (a stale version shows both), the
assigned caseworker, consent recorded and withdrawn, CSRF on every form."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from journey.consent.models import ConsentRecord
from journey.core.audit import AuditEvent
from journey.participants.models import Participant
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, row_links, text

FORM = {"given_name": "Sita", "family_name": "Rai", "date_of_birth": "1996-03-14",
        "sex": "female", "nationality": "NP", "origin_country": "NP",
        "destination_country": "PT", "phone": "+9779812399999", "language": "ne",
        "timezone": "Asia/Kathmandu", "channels": "sms", "disability": "no"}


@pytest.fixture
def team(factory):
    office = factory.office()
    return (office, factory.user("caseworker", office=office),
            factory.user("supervisor", office=office))


def _post(client, path: str, data: dict, token_page: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_page)},
                       headers=HTML)


def _error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    return found.group(1) if found else ""


# --- the caseload list -------------------------------------------------------------------------

def test_the_list_moved_and_home_sends_staff_to_it(client, team):
    _office, cw, _sup = team
    log_in(client, cw)
    resp = client.get("/", headers=HTML)
    # My work when journey.workbench is installed, else the caseload.
    start = "/work" if "workbench_pages.my_work" in client.application.view_functions else "/participants"
    assert resp.status_code == 302 and resp.headers["Location"] == start
    page = client.get("/participants", headers=HTML)
    assert_html_page(page, 200)
    assert 'href="/participants/new"' in text(page) and "New participant" in text(page)
    assert 'href="/participants" aria-current="page"' in text(page)  # the header's link


def test_assigned_to_filter(client, factory, team):
    office, cw, sup = team
    other = factory.user("caseworker", office=office)
    mine = factory.participant(cw)
    theirs = factory.participant(other)
    free = factory.participant(sup)
    log_in(client, cw)
    assert row_links(client.get("/participants?assigned=me", headers=HTML)) == [mine.id]
    assert row_links(client.get("/participants?assigned=unassigned", headers=HTML)) == [free.id]
    assert set(row_links(client.get("/participants", headers=HTML))) == {mine.id, theirs.id, free.id}
    # A caseworker has no "by caseworker" choice: an id is ignored, not obeyed.
    assert len(row_links(client.get(f"/participants?assigned={other.id}", headers=HTML))) == 3
    client.post("/logout", data={"csrf_token": csrf_token(client, "/participants")})
    log_in(client, sup)
    page = client.get(f"/participants?assigned={other.id}", headers=HTML)
    assert row_links(page) == [theirs.id]
    assert f'<option value="{other.id}" selected>' in page.get_data(as_text=True)


# --- register ----------------------------------------------------------------------------------

def test_register_shows_errors_beside_the_field_then_registers(client, team, db_session):
    _office, cw, _sup = team
    log_in(client, cw)
    form = client.get("/participants/new", headers=HTML)
    assert_html_page(form, 200)
    assert '<option value="NP">Nepal</option>' in form.get_data(as_text=True)
    resp = _post(client, "/participants/new", {**FORM, "date_of_birth": "2999-01-01",
                                               "email": "not-an-email"}, "/participants/new")
    assert_html_page(resp, 422)
    assert _error(resp, "date_of_birth") == "Date of birth cannot be in the future."
    assert _error(resp, "email")
    assert 'value="Sita"' in resp.get_data(as_text=True)  # what was typed stays
    resp = _post(client, "/participants/new", {**FORM, "channels": "email"}, "/participants/new")
    assert_html_page(resp, 422)
    assert _error(resp, "channels") == "Email needs an email address."
    resp = _post(client, "/participants/new", FORM, "/participants/new")
    assert resp.status_code == 303
    p = db_session.scalars(select(Participant).where(Participant.family_name == "Rai")).one()
    assert resp.headers["Location"] == f"/participants/{p.id}"
    assert p.caseworker_id == cw.id and p.office_id == cw.office_id
    assert p.destination_country == "PT" and p.channels == ["sms"] and p.disability == "no"
    record = client.get(resp.headers["Location"], headers=HTML)
    assert "Sita Rai is registered." in text(record)
    assert f"{cw.full_name}" in text(record)  # the assigned caseworker, in the header


def test_register_warns_of_a_duplicate_then_confirms(client, factory, team, db_session):
    _office, cw, _sup = team
    existing = factory.participant(cw, phone=FORM["phone"])
    log_in(client, cw)
    resp = _post(client, "/participants/new", FORM, "/participants/new")
    assert_html_page(resp, 409)
    body = text(resp)
    assert "This person may already be registered" in body
    assert f'href="/participants/{existing.id}"' in body and existing.reference in body
    assert "same phone number" in body
    assert 'value="Sita"' in body and 'name="confirm_not_duplicate"' in body
    assert db_session.scalars(select(Participant).where(Participant.family_name == "Rai")).all() == []
    resp = _post(client, "/participants/new", {**FORM, "confirm_not_duplicate": "yes"},
                 "/participants/new")
    assert resp.status_code == 303
    assert db_session.scalars(select(Participant).where(Participant.family_name == "Rai")).one()


def test_a_duplicate_elsewhere_names_nothing(client, factory, team):
    _office, cw, _sup = team
    stranger = factory.user("caseworker")
    hidden = factory.participant(stranger, phone=FORM["phone"])
    log_in(client, cw)
    resp = _post(client, "/participants/new", FORM, "/participants/new")
    assert_html_page(resp, 409)
    assert "another office" in text(resp)
    assert hidden.reference not in text(resp) and f"/participants/{hidden.id}" not in text(resp)


def test_forms_need_the_csrf_token(client, factory, team):
    _office, cw, _sup = team
    p = factory.participant(cw)
    log_in(client, cw)
    for path in ("/participants/new", f"/participants/{p.id}/edit",
                 f"/participants/{p.id}/caseworker", f"/participants/{p.id}/consent/new",
                 f"/participants/{p.id}/consent/updates/withdraw"):
        resp = client.post(path, data=FORM, headers=HTML)
        assert_html_page(resp, 400)
        assert "The form expired" in text(resp)


def test_employer_cannot_open_the_forms(client, factory, team):
    _office, cw, _sup = team
    p = factory.participant(cw)
    log_in(client, factory.user("employer"))
    assert_html_page(client.get("/participants/new", headers=HTML), 403)
    assert_html_page(client.get("/participants", headers=HTML), 403)
    assert_html_page(client.get(f"/participants/{p.id}/edit", headers=HTML), 403)


# --- edit --------------------------------------------------------------------------------------

def test_edit_saves_and_a_stale_version_shows_both(client, factory, team, db_session):
    _office, cw, _sup = team
    p = factory.participant(cw, given_name="Maya", family_name="Lama")
    log_in(client, cw)
    form = client.get(f"/participants/{p.id}/edit", headers=HTML)
    assert_html_page(form, 200)
    assert 'name="version" value="1"' in form.get_data(as_text=True)
    fields = {"given_name": "Maya", "family_name": "Lama", "date_of_birth": "1990-01-05",
              "sex": "female", "nationality": "NP", "origin_country": "NP",
              "destination_country": "PT", "phone": p.phone, "language": "ne",
              "timezone": "Asia/Kathmandu", "channels": "sms", "disability": "unknown",
              "version": "1"}
    resp = _post(client, f"/participants/{p.id}/edit", {**fields, "family_name": "Lama-Gurung"},
                 f"/participants/{p.id}/edit")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/participants/{p.id}"
    db_session.refresh(p)
    assert p.family_name == "Lama-Gurung" and p.version == 2
    # Someone else's form still says version 1: both versions shown, nothing overwritten.
    resp = _post(client, f"/participants/{p.id}/edit", {**fields, "family_name": "Tamang"},
                 f"/participants/{p.id}/edit")
    assert_html_page(resp, 409)
    body = text(resp)
    assert "Someone else changed this record" in body
    assert "<td>Lama-Gurung</td><td>Tamang</td>" in body.replace("> <", "><")
    assert 'name="version" value="2"' in body
    db_session.refresh(p)
    assert p.family_name == "Lama-Gurung" and p.version == 2


def test_edit_errors_sit_beside_the_field(client, factory, team):
    _office, cw, _sup = team
    p = factory.participant(cw)
    log_in(client, cw)
    resp = _post(client, f"/participants/{p.id}/edit",
                 {"given_name": "", "family_name": "X", "date_of_birth": "1990-01-05",
                  "sex": "female", "nationality": "ZZ", "origin_country": "NP",
                  "version": "1"}, f"/participants/{p.id}/edit")
    assert_html_page(resp, 422)
    assert _error(resp, "nationality") and _error(resp, "given_name")


# --- the assigned caseworker -------------------------------------------------------------------

def test_supervisor_reassigns_and_caseworker_takes_a_free_case(client, factory, team, db_session):
    office, cw, sup = team
    other = factory.user("caseworker", office=office)
    p = factory.participant(sup)
    log_in(client, cw)
    record = client.get(f"/participants/{p.id}", headers=HTML)
    assert "Take this case" in text(record) and "Reassign to" not in text(record)
    resp = _post(client, f"/participants/{p.id}/caseworker", {"caseworker_id": "me", "version": "1"},
                 f"/participants/{p.id}")
    assert resp.status_code == 303
    db_session.refresh(p)
    assert p.caseworker_id == cw.id
    record = client.get(f"/participants/{p.id}", headers=HTML)
    assert "Take this case" not in text(record)
    # A caseworker cannot hand it on, even by posting the form.
    resp = _post(client, f"/participants/{p.id}/caseworker",
                 {"caseworker_id": str(other.id), "version": str(p.version)}, f"/participants/{p.id}")
    assert resp.status_code == 303
    assert "Only a supervisor can reassign a case" in text(client.get(resp.headers["Location"]))
    db_session.refresh(p)
    assert p.caseworker_id == cw.id

    client.post("/logout", data={"csrf_token": csrf_token(client, "/participants")})
    log_in(client, sup)
    assert "Reassign to" in text(client.get(f"/participants/{p.id}", headers=HTML))
    resp = _post(client, f"/participants/{p.id}/caseworker",
                 {"caseworker_id": str(other.id), "version": str(p.version)}, f"/participants/{p.id}")
    assert resp.status_code == 303
    db_session.refresh(p)
    assert p.caseworker_id == other.id
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "participants:participant:assign", AuditEvent.actor_id == sup.id)).one()


# --- consent -----------------------------------------------------------------------------------

def test_consent_recorded_and_withdrawn(client, factory, team, db_session):
    _office, cw, _sup = team
    p = factory.participant(cw)
    log_in(client, cw)
    record = client.get(f"/participants/{p.id}", headers=HTML)
    assert f'href="/participants/{p.id}/consent/new"' in text(record)
    resp = _post(client, f"/participants/{p.id}/consent/new", {"method": "verbal"},
                 f"/participants/{p.id}/consent/new")
    assert_html_page(resp, 422)
    assert _error(resp, "purpose")
    resp = _post(client, f"/participants/{p.id}/consent/new",
                 {"purpose": "case_management", "method": "signed", "note": "Form 12"},
                 f"/participants/{p.id}/consent/new")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/participants/{p.id}#consent"
    rec = db_session.scalars(select(ConsentRecord).where(ConsentRecord.participant_id == p.id)).one()
    assert (rec.purpose, rec.method, rec.note, rec.recorded_by) == (
        "case_management", "signed", "Form 12", cw.id)
    # Already given: the form offers it no more, and a forged post is refused beside the field.
    form = client.get(f"/participants/{p.id}/consent/new", headers=HTML)
    assert 'value="case_management"' not in form.get_data(as_text=True)
    resp = _post(client, f"/participants/{p.id}/consent/new",
                 {"purpose": "case_management", "method": "signed"}, f"/participants/{p.id}/consent/new")
    assert_html_page(resp, 409)
    assert _error(resp, "purpose") == "Consent for this purpose is already recorded."

    page = client.get(f"/participants/{p.id}", headers=HTML)
    assert f'href="/participants/{p.id}/consent/case_management/withdraw"' in text(page)
    resp = _post(client, f"/participants/{p.id}/consent/case_management/withdraw",
                 {"method": "verbal"}, f"/participants/{p.id}/consent/case_management/withdraw")
    assert resp.status_code == 303
    db_session.refresh(rec)
    assert rec.withdrawn_at is not None and rec.withdrawal_method == "verbal"
    resp = _post(client, f"/participants/{p.id}/consent/updates/withdraw", {"method": "verbal"},
                 f"/participants/{p.id}/consent/updates/withdraw")
    assert_html_page(resp, 409)
    assert_html_page(client.get(f"/participants/{p.id}/consent/bogus/withdraw", headers=HTML), 404)


def test_consent_pages_of_another_office_are_404(client, factory, team):
    _office, cw, _sup = team
    theirs = factory.participant(factory.user("caseworker"))
    log_in(client, cw)
    for path in (f"/participants/{theirs.id}/consent/new", f"/participants/{theirs.id}/edit",
                 f"/participants/{theirs.id}/consent/updates/withdraw"):
        assert_html_page(client.get(path, headers=HTML), 404)


def test_the_record_header_names_programme_office_and_caseworker(client, factory, team):
    office, cw, _sup = team
    programme = factory.programme()
    p = factory.participant(cw, programme_id=programme.id)
    log_in(client, cw)
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert programme.name in body and office.name in body and cw.full_name in body
    assert f'href="/participants/{p.id}/edit"' in body
