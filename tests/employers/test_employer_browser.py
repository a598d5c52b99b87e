"""The employer's pages in a real headless Chromium: the demo employer logs in and lands on their
home, opens their open vacancy and a candidate the centre presented, tries to select without a
reason (the error beside the field), selects with one, and confirms the onboarding steps the
placement opened. Every page is checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.consent import services as consent_services
from journey.continuum import services as continuum
from journey.continuum.models import ChecklistItem, ItemStatus
from journey.core.auth import User
from journey.core.db import db
from journey.employers import candidates, vacancies
from journey.employers.models import Candidacy, OnboardingStep, Placement, StepStatus
from journey.employers.schemas import VacancySchema
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import ProgrammeEmployer
from journey.stages import Stage
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

TITLE = "Breakfast cook (browser test)"


def _present_a_candidate(server) -> tuple[int, int, str]:
    """As the centre would: the demo employer verified, an open vacancy of its own, and a
    participant in training (their training done, consent to share with employers given)
    presented to it. Returns the vacancy's and the candidacy's ids and the candidate's name."""
    with server.app.test_request_context(), db.job_session() as sess:
        users = {u.username: u for u in sess.scalars(sa.select(User).where(
            User.username.in_(("admin", "caseworker", "employer"))))}
        employer = sess.get(Employer, users["employer"].employer_id)
        employer.verification = "verified"
        programme_id = sess.scalar(sa.select(ProgrammeEmployer.programme_id).where(
            ProgrammeEmployer.employer_id == employer.id).limit(1))
        data = VacancySchema().load({
            "title": TITLE, "place": "Lisbon", "programme_id": programme_id, "positions": 1,
            "start_date": (date.today() + timedelta(days=30)).isoformat(),
            "languages": [{"language": "en", "level": "B1"}]})
        vacancy = vacancies.create_vacancy(sess, users["employer"], data)
        vacancies.publish_vacancy(sess, users["admin"], vacancy.id)
        busy = sa.select(Placement.participant_id)
        p = sess.scalars(sa.select(Participant).where(
            Participant.stage == Stage.TRAINING.value,
            Participant.office_id == users["caseworker"].office_id,
            Participant.id.not_in(busy)).order_by(Participant.id).limit(1)).one()
        for item in sess.scalars(sa.select(ChecklistItem).where(
                ChecklistItem.participant_id == p.id, ChecklistItem.stage == p.stage,
                ChecklistItem.required.is_(True))):
            if item.status != ItemStatus.DONE:
                continuum.update_item(sess, users["caseworker"], p, item,
                                      {"status": "done", "evidence_note": "Course completed."},
                                      expected=None)
        if not consent_services.has_consent(sess, p.id, "share_employers"):
            consent_services.grant(sess, users["caseworker"], p, purpose="share_employers",
                                   method="signed")
        c = candidates.present(sess, users["caseworker"], vacancy.id, p.id)
        return vacancy.id, c.id, f"{p.given_name} {p.family_name}"


def test_an_employer_selects_a_candidate_and_confirms_onboarding(page, live):  # noqa: F811
    vacancy_id, candidacy_id, name = _present_a_candidate(live)
    log_in(page, live, "employer")
    assert page.js("location.pathname") == "/employer"
    assert page.text("h1") == "Hotel Atlântico Lisboa"
    assert "Verified" in page.text("main")
    assert page.exists('header.site nav a[href="/employer/onboarding"]')
    assert_accessible(page)

    # Home → the vacancy's new candidates → the vacancy's page.
    page.submit(f'a[href="/employer/vacancies/{vacancy_id}/candidates?state=presented"]')
    assert page.text("h1") == f"Candidates for {TITLE}"
    assert name in page.text("table.list")
    assert_accessible(page)
    page.goto(live.url("/employer/vacancies"))
    assert page.text("h1") == "Your vacancies"
    assert_accessible(page)
    page.submit(f'a[href="/employer/vacancies/{vacancy_id}"]')
    assert page.text("h1") == TITLE
    assert_accessible(page)
    page.submit(f'a[href="/employer/vacancies/{vacancy_id}/candidates"]')
    page.submit(f'a[href="/employer/vacancies/{vacancy_id}/candidates/{candidacy_id}"]')
    assert page.text("h1") == name
    assert "Skills passport" in page.text("main")
    assert_accessible(page)

    # Select without a reason: refused, the error beside the field.
    page.click("input[name=state][value=selected]")
    page.submit("#submit-decision")
    assert page.text("#err-reason")
    assert page.js("document.querySelector('#f-reason').getAttribute('aria-invalid')") == "true"
    assert page.js("document.querySelector('input[name=state][value=selected]').checked")
    assert_accessible(page)
    page.set_value("#f-reason", "skills_match")
    page.type_into("#f-note", "Strong breakfast service experience.")
    page.submit("#submit-decision")
    assert page.js("location.pathname") == \
        f"/employer/vacancies/{vacancy_id}/candidates/{candidacy_id}"
    assert "Decision recorded: the candidate is selected." in page.text("main")
    assert "Skills match the job" in page.text("#timeline")
    assert_accessible(page)
    assert live.scalars(sa.select(Candidacy.state).where(Candidacy.id == candidacy_id)) \
        == ["selected"]
    placement_id = live.scalars(sa.select(Placement.id).where(
        Placement.candidacy_id == candidacy_id))[0]

    # The placement's onboarding steps wait for the employer: confirm the first two.
    page.goto(live.url("/employer"))
    page.submit('a[href="/employer/onboarding"]')
    assert page.text("h1") == "Onboarding steps waiting for you"
    assert name in page.text("main")
    assert_accessible(page)
    steps = live.scalars(sa.select(OnboardingStep.id).where(
        OnboardingStep.placement_id == placement_id).order_by(OnboardingStep.position))
    page.type_into(f"#note-{steps[0]}", "Signed on the first day.")
    page.submit(f"#confirm-{steps[0]}")
    assert "Confirmed: Employment contract signed" in page.text("main .notice")
    assert not page.exists(f"#step-{steps[0]}")
    page.submit(f"#confirm-{steps[1]}")
    assert page.text("main .notice").startswith("Confirmed:")
    assert_accessible(page)
    assert live.scalars(sa.select(OnboardingStep.status).where(
        OnboardingStep.id.in_(steps[:2]))) == [StepStatus.CONFIRMED.value] * 2

    # Placements and Employer Pays.
    page.submit('header.site nav a[href="/employer/placements"]')
    assert page.text("h1") == "Your placements"
    assert name in page.text(f"#placement-{placement_id}")
    assert_accessible(page)
    page.submit('header.site nav a[href="/employer/employer-pays"]')
    assert page.text("h1") == "Employer Pays"
    assert_accessible(page)
    page.goto(live.url("/employer/vacancies/new"))
    assert page.text("h1") == "Draft a vacancy"
    assert_accessible(page)
    page.set_value("#f-level_0", "B1")  # a level without its language
    page.submit("form.card button[type=submit]")
    assert page.text("#err-title") and page.text("#err-place") and page.text("#err-lang_0")
    assert_accessible(page)

    # In Arabic, from the header's switch (saved as the employer's own setting): right to left.
    assert page.js("(() => { const s = document.querySelector('#language-switch');"
                   " s.value = 'ar'; return s.value; })()") == "ar"
    page.submit(".language-switch button[type=submit]")
    assert page.js("document.documentElement.dir") == "rtl"
    for path in ("/employer", "/employer/onboarding", "/employer/placements",
                 f"/employer/vacancies/{vacancy_id}/candidates/{candidacy_id}"):
        page.goto(live.url(path))
        assert page.js("[document.documentElement.lang, document.documentElement.dir]") \
            == ["ar", "rtl"]
        assert_accessible(page)
