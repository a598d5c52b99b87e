"""The staff credentials page: issue a credential (same schema and service as the API), list
them with a link to each public verification page."""

from __future__ import annotations

from sqlmodel import select

from journey.credentials.models import Credential
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _url(p) -> str:
    return f"/participants/{p.id}/credentials"


def _post(client, p, data: dict):
    return client.post(_url(p), data={**data, "csrf_token": csrf_token(client, _url(p))},
                       headers=HTML)


def test_issue_a_passport_credential_and_find_its_verify_page(client, factory, db_session,
                                                              passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw, office_id=cw.office_id)
    passports.full(p, cw)
    log_in(client, cw)
    empty = client.get(_url(p), headers=HTML)
    assert empty.status_code == 200 and "No credentials yet." in text(empty)
    resp = _post(client, p, {"scope": "passport"})
    assert resp.status_code == 303
    cred = db_session.scalars(select(Credential).where(Credential.participant_id == p.id)).one()
    assert (cred.scope, cred.issued_by) == ("passport", cw.id)
    page = client.get(_url(p), headers=HTML)
    assert f"/verify/{cred.uuid}" in page.get_data(as_text=True)
    assert "The whole passport" in text(page) and "Credential issued" in text(page)


def test_one_entry_credential_needs_its_entry_beside_the_field(client, factory, db_session,
                                                              passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw, office_id=cw.office_id)
    entries = passports.full(p, cw)
    log_in(client, cw)
    resp = _post(client, p, {"scope": "entry"})
    assert resp.status_code == 422 and 'id="err-entry_id"' in resp.get_data(as_text=True)
    teamwork = next(e for e in entries if e.kind == "soft_skill")
    resp = _post(client, p, {"scope": "entry", "entry_id": str(teamwork.id)})
    assert resp.status_code == 422 and "Only a qualification or a skill" in text(resp)
    qualification = next(e for e in entries if e.kind == "qualification")
    assert _post(client, p, {"scope": "entry", "entry_id": str(qualification.id)}).status_code == 303
    cred = db_session.scalars(select(Credential).where(Credential.participant_id == p.id)).one()
    assert (cred.scope, cred.entry_id) == ("entry", qualification.id)


def test_an_empty_passport_is_refused_with_the_reason(client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw, office_id=cw.office_id)
    log_in(client, cw)
    resp = _post(client, p, {"scope": "passport"})
    assert resp.status_code == 409 and 'role="alert"' in resp.get_data(as_text=True)
    assert db_session.scalars(select(Credential).where(Credential.participant_id == p.id)).all() == []


def test_other_office_and_employer_users_cannot_open_it(client, factory):
    cw = factory.user("caseworker")
    p = factory.participant(cw, office_id=cw.office_id)
    log_in(client, factory.user("caseworker"))
    assert client.get(_url(p), headers=HTML).status_code == 404
