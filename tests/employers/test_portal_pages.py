"""The employer's own pages through the test client: an employer user starts on them, each page
opens for them and for no other role, another employer's vacancy or candidate is missing (404),
forms put their errors beside the fields and a refused step (409) in a message, and the pages
read in the user's language (Portuguese; Arabic right to left)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journey.consent import services as consent_services
from journey.continuum.models import ChecklistItem
from journey.core.db import utcnow
from journey.employers import candidates, vacancies
from journey.employers.models import (
    CandidacyStep,
    OnboardingStep,
    Placement,
    RetentionCheck,
    StepStatus,
    Vacancy,
)
from journey.employers.placements import open_placement
from journey.employers.schemas import VacancySchema
from journey.programmes.models import ProgrammeEmployer
from journey.stages import Stage
from tests.skillcards.helpers import place
from tests.web.test_forms_never_500 import HOSTILE, _crawl, _forms
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text

VACANCY = {"title": "Line cook", "place": "Lisbon, Hotel Atlântico", "positions": 2,
           "start_date": (date.today() + timedelta(days=60)).isoformat(),
           "wage_amount": "1050.00", "wage_currency": "EUR", "wage_period": "month",
           "languages": [{"language": "pt", "level": "A2"}]}


class World:
    """An employer in a programme, its user, an open vacancy with two candidates presented (one
    of them placed, with its onboarding steps), and a second employer with its own vacancy."""


def _present(db_session, app, cw, vacancy_id, p):
    with app.test_request_context():
        consent_services.grant(db_session, cw, p, purpose="share_employers", method="signed")
        return candidates.present(db_session, cw, vacancy_id, p.id)


@pytest.fixture
def world(app, factory, db_session) -> World:
    w = World()
    office = factory.office()
    w.admin = factory.user("admin")
    w.cw = factory.user("caseworker", office=office)
    w.programme = factory.programme()
    w.employer = factory.employer(verification="verified")
    w.other_employer = factory.employer(verification="verified")
    for emp in (w.employer, w.other_employer):
        db_session.add(ProgrammeEmployer(programme_id=w.programme.id, employer_id=emp.id))
    db_session.flush()
    w.user = factory.user("employer", employer_id=w.employer.id)
    w.other_user = factory.user("employer", employer_id=w.other_employer.id)
    with app.test_request_context():
        def draft(user, **kw):
            data = VacancySchema().load({**VACANCY, "programme_id": w.programme.id, **kw})
            return vacancies.create_vacancy(db_session, user, data)

        w.vacancy = draft(w.user)
        vacancies.publish_vacancy(db_session, w.admin, w.vacancy.id)
        w.draft = draft(w.user, title="Housekeeper")
        w.theirs = draft(w.other_user)
        vacancies.publish_vacancy(db_session, w.admin, w.theirs.id)
    w.p1 = factory.participant(w.cw, programme_id=w.programme.id)
    w.p2 = factory.participant(w.cw, programme_id=w.programme.id)
    w.c1 = _present(db_session, app, w.cw, w.vacancy.id, w.p1)
    w.c2 = _present(db_session, app, w.cw, w.vacancy.id, w.p2)
    w.their_candidate = _present(db_session, app, w.cw, w.theirs.id,
                                 factory.participant(w.cw, programme_id=w.programme.id))
    # The second candidate is placed already (as selection would), arrived 100 days ago.
    w.c2.state = "selected"
    with app.test_request_context():
        w.placement = open_placement(db_session, w.admin, w.c2)
    w.placement.arrived_on = date.today() - timedelta(days=100)
    db_session.add(RetentionCheck(placement_id=w.placement.id, months=3,
                                  due_on=date.today() - timedelta(days=8)))
    db_session.flush()
    return w


def _error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{re.escape(field)}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    return found.group(1) if found else ""


def _pages(w) -> list[str]:
    v, c = w.vacancy.id, w.c1.id
    return ["/employer", "/employer/vacancies", "/employer/vacancies/new",
            f"/employer/vacancies/{v}", f"/employer/vacancies/{w.draft.id}/edit",
            f"/employer/vacancies/{v}/candidates", f"/employer/vacancies/{v}/candidates/{c}",
            "/employer/onboarding", "/employer/placements", "/employer/employer-pays"]


# --- who opens the pages -------------------------------------------------------------------------

def test_an_employer_user_starts_on_their_home(client, world):
    log_in(client, world.user)
    resp = client.get("/", headers=HTML)
    assert resp.status_code == 302 and resp.headers["Location"] == "/employer"
    home = client.get("/employer", headers=HTML)
    assert_html_page(home, 200)
    body = text(home)
    assert world.employer.name in body and "works with journey through its API" not in body
    assert "Verified" in body and "Not signed yet" in body
    assert "1 new candidate" in body  # the open vacancy's first candidate waits for a decision
    for path in ("/employer/vacancies", "/employer/onboarding", "/employer/placements",
                 "/employer/employer-pays"):
        assert f'href="{path}"' in body  # the header's links


def test_a_partner_lands_on_its_own_pages_not_the_employers(client, factory):
    log_in(client, factory.user("partner"))
    resp = client.get("/", headers=HTML)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/partner")
    home = client.get("/partner", headers=HTML)
    assert_html_page(home, 200)
    assert 'href="/employer/vacancies"' not in text(home)


def test_every_page_opens_for_the_employer(client, world):
    log_in(client, world.user)
    for path in _pages(world):
        resp = client.get(path, headers=HTML)
        assert_html_page(resp, 200)


@pytest.mark.parametrize("role", ["admin", "caseworker", "partner"])
def test_other_roles_cannot_open_them(client, factory, world, role):
    user = world.admin if role == "admin" else world.cw if role == "caseworker" \
        else factory.user("partner")
    log_in(client, user)
    for path in _pages(world):
        assert_html_page(client.get(path, headers=HTML), 403)
    assert 'href="/employer/vacancies"' not in text(client.get("/account", headers=HTML))


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    resp = client.get("/employer/onboarding", headers=HTML)
    assert resp.status_code == 302 and "/login?next=/employer/onboarding" in resp.headers["Location"]


def test_another_employers_vacancy_and_candidates_are_missing(client, world):
    log_in(client, world.user)
    t, tc = world.theirs.id, world.their_candidate.id
    for path in (f"/employer/vacancies/{t}", f"/employer/vacancies/{t}/edit",
                 f"/employer/vacancies/{t}/candidates", f"/employer/vacancies/{t}/candidates/{tc}",
                 # Their candidate under our vacancy, and ours under theirs.
                 f"/employer/vacancies/{world.vacancy.id}/candidates/{tc}",
                 f"/employer/vacancies/{t}/candidates/{world.c1.id}"):
        assert_html_page(client.get(path, headers=HTML), 404)
    resp = client.post(f"/employer/vacancies/{t}/candidates/{tc}", headers=HTML, data={
        "state": "rejected", "reason": "skills_gap",
        "csrf_token": csrf_token(client, "/employer")})
    assert_html_page(resp, 404)
    assert world.their_candidate.state == "presented"


def test_unknown_or_bad_query_parameters_are_refused(client, world):
    log_in(client, world.user)
    v = world.vacancy.id
    for path in ("/employer/vacancies?status=nonsense", "/employer/vacancies?colour=red",
                 f"/employer/vacancies/{v}/candidates?after=x",
                 f"/employer/vacancies/{v}/candidates?state=hired", "/employer/onboarding?x=1"):
        assert_html_page(client.get(path, headers=HTML), 422)


# --- vacancies --------------------------------------------------------------------------------

def test_the_list_groups_vacancies_by_status(client, world):
    log_in(client, world.user)
    body = text(client.get("/employer/vacancies", headers=HTML))
    assert "Line cook" in body and "Housekeeper" in body
    assert "Waiting for the centre’s staff to publish them" in body
    assert f"/employer/vacancies/{world.theirs.id}" not in body
    drafts = text(client.get("/employer/vacancies?status=draft", headers=HTML))
    assert "Housekeeper" in drafts and "Line cook" not in drafts


def test_drafting_a_vacancy_shows_errors_beside_the_fields(client, world, db_session):
    log_in(client, world.user)
    token = csrf_token(client, "/employer/vacancies/new")
    resp = client.post("/employer/vacancies/new", headers=HTML, data={
        "csrf_token": token, "language_rows": "2", "lang_0": "pt", "level_0": "",
        "lang_1": "", "level_1": ""})
    assert_html_page(resp, 422)
    assert _error(resp, "title") and _error(resp, "place") and _error(resp, "programme_id")
    assert _error(resp, "level_0")  # the language row without its level
    assert 'aria-invalid="true" aria-describedby="err-title"' in resp.get_data(as_text=True)

    resp = client.post("/employer/vacancies/new", headers=HTML, data={
        "csrf_token": token, "title": "Kitchen porter", "place": "Porto",
        "programme_id": str(world.programme.id), "positions": "3", "language_rows": "2",
        "lang_0": "pt", "level_0": "A1", "lang_1": "", "level_1": "",
        "required_skills": "", "certificates": "Food hygiene\n\nFood hygiene"})
    assert resp.status_code == 303
    made = db_session.scalars(sa.select(Vacancy).where(Vacancy.title == "Kitchen porter")).one()
    assert made.status == "draft" and made.employer_id == world.employer.id
    assert made.languages == [{"language": "pt", "level": "A1"}]
    assert made.certificates == ["Food hygiene"]
    page = client.get(resp.headers["Location"], headers=HTML)
    assert "will check it and publish it" in text(page)
    assert "waiting for the centre’s staff to publish it" in text(page)


def test_editing_a_draft(client, world, db_session):
    log_in(client, world.user)
    path = f"/employer/vacancies/{world.draft.id}/edit"
    form = client.get(path, headers=HTML)
    assert 'value="Housekeeper"' in form.get_data(as_text=True)
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, path), "version": str(world.draft.version),
        "title": "Head housekeeper", "place": "", "programme_id": str(world.programme.id),
        "positions": "0", "language_rows": "1", "lang_0": "", "level_0": ""})
    assert_html_page(resp, 422)
    assert _error(resp, "positions") and _error(resp, "place")
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, path), "version": str(world.draft.version),
        "title": "Head housekeeper", "place": "Lisbon", "programme_id": str(world.programme.id),
        "positions": "1", "language_rows": "1", "lang_0": "", "level_0": ""})
    assert resp.status_code == 303
    db_session.refresh(world.draft)
    assert world.draft.title == "Head housekeeper" and world.draft.languages == []
    # A published vacancy is not edited here.
    resp = client.get(f"/employer/vacancies/{world.vacancy.id}/edit", headers=HTML)
    assert resp.status_code == 303


# --- candidates -------------------------------------------------------------------------------

def test_the_candidate_list_shows_only_those_presented(client, world):
    log_in(client, world.user)
    resp = client.get(f"/employer/vacancies/{world.vacancy.id}/candidates", headers=HTML)
    body = text(resp)
    assert f"/candidates/{world.c1.id}" in body and f"/candidates/{world.c2.id}" in body
    assert f"/candidates/{world.their_candidate.id}" not in body
    presented = text(client.get(
        f"/employer/vacancies/{world.vacancy.id}/candidates?state=presented", headers=HTML))
    assert f"/candidates/{world.c1.id}" in presented and f"/candidates/{world.c2.id}" not in presented


def test_the_candidate_page_hides_what_is_not_disclosed(client, world):
    log_in(client, world.user)
    resp = client.get(f"/employer/vacancies/{world.vacancy.id}/candidates/{world.c1.id}",
                      headers=HTML)
    body = text(resp)
    assert "Selection timeline" in body and "Presented" in body
    assert world.p1.phone not in body
    assert "Female" not in body and "Disability" not in body


def test_a_decision_needs_a_step_and_a_reason(client, world, db_session):
    log_in(client, world.user)
    path = f"/employer/vacancies/{world.vacancy.id}/candidates/{world.c1.id}"
    resp = client.post(path, headers=HTML, data={"csrf_token": csrf_token(client, path),
                                                 "note": "Good references"})
    assert_html_page(resp, 422)
    assert _error(resp, "state") and _error(resp, "reason")
    assert "Good references" in text(resp)  # what was typed stays
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, path), "state": "shortlisted", "reason": "skills_match",
        "note": "Good references", "version": str(world.c1.version)})
    assert resp.status_code == 303
    db_session.refresh(world.c1)
    assert world.c1.state == "shortlisted"
    step = db_session.scalars(sa.select(CandidacyStep).where(
        CandidacyStep.candidacy_id == world.c1.id, CandidacyStep.state == "shortlisted")).one()
    assert step.reason == "skills_match" and step.note == "Good references"
    page = text(client.get(path, headers=HTML))
    assert "Shortlisted" in page and "Skills match the job" in page and "Good references" in page


def test_a_refused_selection_says_why(client, world, db_session, factory, app):
    """The first candidate already holds an active placement elsewhere: selecting them is a
    409, shown as a message on the page, and nothing changes."""
    elsewhere = factory.employer(verification="verified")
    db_session.add(ProgrammeEmployer(programme_id=world.programme.id, employer_id=elsewhere.id))
    db_session.add(Placement(participant_id=world.p1.id, employer_id=elsewhere.id,
                             created_at=utcnow()))
    db_session.flush()
    log_in(client, world.user)
    path = f"/employer/vacancies/{world.vacancy.id}/candidates/{world.c1.id}"
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, path), "state": "selected", "reason": "experience"})
    assert_html_page(resp, 409)
    assert 'id="refused"' in resp.get_data(as_text=True)
    db_session.refresh(world.c1)
    assert world.c1.state == "presented"


# --- onboarding and placements ----------------------------------------------------------------

def test_confirming_an_onboarding_step(client, world, db_session):
    log_in(client, world.user)
    page = client.get("/employer/onboarding", headers=HTML)
    body = text(page)
    assert "Employment contract signed" in body
    assert f"{world.p2.given_name} {world.p2.family_name}" in body
    step = db_session.scalars(sa.select(OnboardingStep).where(
        OnboardingStep.placement_id == world.placement.id, OnboardingStep.key ==
        "contract_signed")).one()
    resp = client.post(f"/employer/onboarding/{step.id}/confirm", headers=HTML, data={
        "csrf_token": csrf_token(client, "/employer/onboarding"), "note": "Signed in Lisbon",
        "version": str(step.version)})
    assert resp.status_code == 303
    db_session.refresh(step)
    assert step.status == StepStatus.CONFIRMED.value and step.confirmed_by == world.user.id
    assert "Confirmed: Employment contract signed" in text(client.get("/employer/onboarding",
                                                                     headers=HTML))


def test_another_employers_step_cannot_be_confirmed(client, world, db_session):
    step = db_session.scalars(sa.select(OnboardingStep).where(
        OnboardingStep.placement_id == world.placement.id)).first()
    log_in(client, world.other_user)
    resp = client.post(f"/employer/onboarding/{step.id}/confirm", headers=HTML, data={
        "csrf_token": csrf_token(client, "/employer/onboarding")})
    assert resp.status_code == 404
    db_session.refresh(step)
    assert step.status == StepStatus.WAITING.value


def test_recording_retention_when_due(client, world, db_session):
    log_in(client, world.user)
    page = client.get("/employer/placements", headers=HTML)
    body = text(page)
    assert "Still employed after 3 months?" in body
    path = f"/employer/placements/{world.placement.id}/retention/3"
    resp = client.post(path, headers=HTML, data={"csrf_token": csrf_token(client,
                                                                          "/employer/placements")})
    assert_html_page(resp, 422)
    assert _error(resp, f"retained-{world.placement.id}-3")
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, "/employer/placements"), "retained": "yes"})
    assert resp.status_code == 303
    check = db_session.scalars(sa.select(RetentionCheck).where(
        RetentionCheck.placement_id == world.placement.id, RetentionCheck.months == 3)).one()
    db_session.refresh(check)
    assert check.retained is True and check.recorded_by == world.user.id
    assert client.post(f"/employer/placements/{world.placement.id}/retention/5", headers=HTML,
                       data={"csrf_token": csrf_token(client, "/employer/placements"),
                             "retained": "yes"}).status_code == 404


def test_the_employer_pays_page(client, world):
    log_in(client, world.user)
    resp = client.get("/employer/employer-pays", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert "Workers never pay recruitment fees" in body and "No open breach" in body


# --- languages ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "direction", "phrase"),
                         [("pt", "ltr", 'lang="pt"'), ("ar", "rtl", 'lang="ar"')])
def test_the_pages_follow_the_users_language(client, world, db_session, lang, direction, phrase):
    world.user.language = lang
    db_session.flush()
    log_in(client, world.user)
    for path in _pages(world):
        resp = client.get(path, headers=HTML)
        assert_html_page(resp, 200)
        html = resp.get_data(as_text=True)
        assert phrase in html and f'dir="{direction}"' in html


def test_no_employer_form_answers_500_to_hostile_input(client, world):
    """Every form of the employer's pages, each field filled with hostile values (empty, far
    too long, NUL, out of range, impossible dates, other scripts' digits, markup): a page,
    never a 500 (as tests/web/test_forms_never_500.py does for staff)."""
    log_in(client, world.user)
    pages = _crawl(client, ["/employer", *_pages(world)])
    forms = {}
    for path, body in pages.items():
        for action, names, token in _forms(path, body):
            if urlsplit(action).path.startswith("/employer"):
                forms.setdefault((urlsplit(action).path, tuple(names)), token)
    assert {a for a, _n in forms} >= {
        "/employer/vacancies/new", f"/employer/vacancies/{world.draft.id}/edit",
        f"/employer/vacancies/{world.vacancy.id}/candidates/{world.c1.id}",
        f"/employer/placements/{world.placement.id}/retention/3"}
    assert any(a.startswith("/employer/onboarding/") for a, _n in forms)
    failures = []
    for (action, names), token in forms.items():
        for kind, value in HOSTILE.items():
            data = {name: value for name in names}
            data["csrf_token"] = token
            resp = client.post(action, data=data, headers=HTML)
            if resp.status_code >= 500 or resp.mimetype != "text/html":
                failures.append(f"POST {action} ({kind}): {resp.status_code} {resp.mimetype}")
    assert not failures, "\n".join(failures)


def test_a_selection_the_continuum_refuses_names_the_conditions(client, world, db_session):
    """A candidate in training whose training items are not done: the continuum's selection
    step refuses (409), and the page lists the conditions not met; nothing changes."""
    place(db_session, world.p1, Stage.TRAINING)
    db_session.add(ChecklistItem(participant_id=world.p1.id, stage=Stage.TRAINING.value,
                                 key="training_done", title="Training completed",
                                 updated_at=utcnow()))
    db_session.flush()
    log_in(client, world.user)
    path = f"/employer/vacancies/{world.vacancy.id}/candidates/{world.c1.id}"
    resp = client.post(path, headers=HTML, data={
        "csrf_token": csrf_token(client, path), "state": "selected", "reason": "skills_match"})
    assert_html_page(resp, 409)
    box = re.search(r'<div class="error refused" role="alert" id="refused">(.*?)</div>',
                    resp.get_data(as_text=True), re.S)
    assert box and "Not recorded." in box.group(1) and "<li>" in box.group(1)
    assert 'name="reason"' in resp.get_data(as_text=True)  # the form is still there
    db_session.refresh(world.c1)
    assert world.c1.state == "presented"
    assert db_session.scalar(sa.select(Placement.id).where(
        Placement.participant_id == world.p1.id)) is None


def test_the_candidate_list_pages_by_candidacy(client, world, monkeypatch):
    monkeypatch.setattr("journey.employers.portal_candidates.PAGE_SIZE", 1)
    log_in(client, world.user)
    path = f"/employer/vacancies/{world.vacancy.id}/candidates"
    first = client.get(path, headers=HTML).get_data(as_text=True)
    assert f"/candidates/{world.c1.id}\"" in first and f"/candidates/{world.c2.id}\"" not in first
    assert f'rel="next" href="{path}?after={world.c1.id}"' in first
    second = client.get(f"{path}?after={world.c1.id}", headers=HTML).get_data(as_text=True)
    assert f"/candidates/{world.c2.id}\"" in second and f"/candidates/{world.c1.id}\"" not in second
    assert 'rel="next"' not in second and f'href="{path}">First page' in text(
        client.get(f"{path}?after={world.c1.id}", headers=HTML))
