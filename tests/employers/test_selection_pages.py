"""The staff's vacancy pages: draft, publish, present a candidate (from the vacancy and from the
person's record), the candidates with their steps, refusals beside the field; in Arabic too."""

from __future__ import annotations

import sqlalchemy as sa

from journey.employers.models import Candidacy, Vacancy
from tests.employers.selection_helpers import candidate, open_vacancy, presented, setting
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _post(client, path, data, token_from):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)},
                       headers=HTML)


def test_draft_publish_and_present_through_the_pages(app, client, factory, db_session):
    s = setting(factory, db_session)
    log_in(client, s.caseworker)
    assert "Vacancies" in text(client.get("/vacancies", headers=HTML))
    form = {"title": "Kitchen porter", "employer_id": str(s.employer.id),
            "programme_id": str(s.programme.id), "place": "Faro", "positions": "2",
            "languages": "pt A2\nen b1", "required_skills": "", "optional_skills": "",
            "certificates": "Food hygiene", "wage_amount": "800", "wage_currency": "EUR",
            "wage_period": "month"}
    resp = _post(client, "/vacancies/new", {**form, "languages": "portuguese"}, "/vacancies/new")
    assert resp.status_code == 422
    assert 'id="err-languages"' in resp.get_data(as_text=True)
    resp = _post(client, "/vacancies/new", form, "/vacancies/new")
    assert resp.status_code == 303, text(resp)[:2000]
    v = db_session.scalars(sa.select(Vacancy).where(Vacancy.title == "Kitchen porter")).one()
    assert v.languages == [{"language": "pt", "level": "A2"}, {"language": "en", "level": "B1"}]
    page = f"/vacancies/{v.id}"
    assert _post(client, f"{page}/publish", {}, page).status_code == 303
    db_session.refresh(v)
    assert v.status == "open"

    p = candidate(factory, db_session, s)
    refusing = candidate(factory, db_session, s, consents=[
        {"purpose": "case_management", "method": "signed"}])
    body = text(client.get(page, headers=HTML))
    assert p.family_name in body and refusing.family_name not in body  # the chooser
    resp = _post(client, f"{page}/present", {"participant_id": str(refusing.id)}, page)
    assert resp.status_code == 409 and 'id="err-participant_id"' in resp.get_data(as_text=True)
    resp = _post(client, f"{page}/present", {"participant_id": str(p.id), "note": "Ready"}, page)
    assert resp.status_code == 303
    body = text(client.get(page, headers=HTML))
    assert f"{p.given_name} {p.family_name}" in body and "Presented" in body and "Ready" in body


def test_the_record_section_lists_candidacies_and_presents(app, client, factory, db_session):
    s = setting(factory, db_session)
    v, w = open_vacancy(app, db_session, s, title="Cook"), open_vacancy(app, db_session, s,
                                                                         title="Waiter")
    p, _c = presented(app, factory, db_session, s, v)
    log_in(client, s.caseworker)
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Vacancies and placement" in body and "Cook" in body
    form_page = f"/participants/{p.id}/present"
    page = text(client.get(form_page, headers=HTML))
    assert "Waiter" in page and "Cook ·" not in page  # already presented there
    resp = _post(client, form_page, {"vacancy_id": ""}, form_page)
    assert resp.status_code == 422 and 'id="err-vacancy_id"' in resp.get_data(as_text=True)
    resp = _post(client, form_page, {"vacancy_id": str(w.id)}, form_page)
    assert resp.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Candidacy).where(
        Candidacy.participant_id == p.id)) == 2


def test_employers_and_partners_do_not_reach_the_staff_pages(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    log_in(client, s.employer_user)
    assert client.get("/vacancies", headers=HTML).status_code == 403
    assert client.get(f"/vacancies/{v.id}", headers=HTML).status_code == 403


def test_the_vacancy_page_in_arabic(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    presented(app, factory, db_session, s, v)
    s.caseworker.language = "ar"
    db_session.flush()
    log_in(client, s.caseworker)
    resp = client.get(f"/vacancies/{v.id}", headers=HTML)
    assert resp.status_code == 200
    assert 'dir="rtl"' in resp.get_data(as_text=True)


def test_staff_record_a_decision_an_employer_gave_them(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v)
    log_in(client, s.caseworker)
    page = f"/vacancies/{v.id}/candidates/{c.id}/decide"
    assert "Record the employer’s decision" in text(client.get(f"/vacancies/{v.id}", headers=HTML))
    resp = _post(client, page, {"state": "shortlisted", "version": "1"}, page)
    assert resp.status_code == 422 and 'id="err-reason"' in resp.get_data(as_text=True)
    resp = _post(client, page, {"state": "selected", "reason": "skills_match", "version": "1",
                                "note": "Chosen at the job fair"}, page)
    assert resp.status_code == 303
    db_session.refresh(p)
    assert p.stage == "matched"
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Placed with" in body and "Selected" in body
    resp = _post(client, page, {"state": "rejected", "reason": "other", "version": "2"}, page)
    assert resp.status_code == 409 and 'id="err-state"' in resp.get_data(as_text=True)
