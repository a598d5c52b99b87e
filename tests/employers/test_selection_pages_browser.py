"""The staff's vacancy page in Chromium: a caseworker presents a candidate with the form, and the
page (with its candidates and steps) passes axe-core, in English and in Arabic."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
import sqlalchemy as sa

from journey.continuum.intake import register_participant
from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.employers.models import Candidacy, Vacancy
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme, ProgrammeEmployer
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


_seq = itertools.count(1)


def _open_vacancy_and_candidate(live) -> tuple[int, int]:  # noqa: F811
    n = next(_seq)
    with live.app.app_context(), db.job_session() as sess:
        cw = sess.scalar(sa.select(User).where(User.username == "caseworker"))
        employer = sess.scalar(sa.select(Employer).order_by(Employer.id).limit(1))
        employer.verification = "verified"
        programme = sess.scalar(sa.select(Programme).order_by(Programme.id).limit(1))
        if sess.get(ProgrammeEmployer, (programme.id, employer.id)) is None:
            sess.add(ProgrammeEmployer(programme_id=programme.id, employer_id=employer.id))
        now = utcnow()
        v = Vacancy(employer_id=employer.id, programme_id=programme.id, title="Browser cook",
                    place="Lisbon", positions=2, status="open", languages=[
                        {"language": "pt", "level": "A2"}], created_at=now, updated_at=now,
                    published_at=now)
        sess.add(v)
        with live.app.test_request_context():
            p = register_participant(sess, cw, {
                "given_name": "Anjali", "family_name": f"Browsertest{n}", "office_id": cw.office_id,
                "date_of_birth": date(1994, 3, 2), "sex": "female", "nationality": "NP",
                "origin_country": "NP", "destination_country": "PT", "language": "ne",
                "timezone": "Asia/Kathmandu", "channels": ["sms"], "phone": f"+97798123777{n:02d}",
                "consents": [{"purpose": "case_management", "method": "signed"},
                             {"purpose": "share_employers", "method": "signed"}]})
        sess.flush()
        sess.execute(sa.update(Participant).where(Participant.id == p.id)
                     .values(stage=Stage.TRAINING.value))
        return v.id, p.id


def test_a_caseworker_presents_a_candidate_on_an_accessible_page(live, page):  # noqa: F811
    vacancy_id, participant_id = _open_vacancy_and_candidate(live)
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/vacancies/{vacancy_id}"))
    assert_accessible(page)
    page.set_value("#f-participant_id", str(participant_id))
    page.type_into("#f-note", "Six years in hotel kitchens")
    page.submit("form[action$='/present'] button[type=submit]")
    assert "Browsertest" in page.text("#candidates")
    assert_accessible(page)
    with live.app.app_context(), db.job_session() as sess:
        candidacy = sess.scalar(sa.select(Candidacy).where(
            Candidacy.participant_id == participant_id))
        assert candidacy.state == "presented"
    page.goto(live.url(f"/vacancies/{vacancy_id}/candidates/{candidacy.id}/decide"))
    assert_accessible(page)
    page.goto(live.url(f"/participants/{participant_id}"))
    assert "Browser cook" in page.text("#vacancies")
    assert_accessible(page)


def test_the_vacancy_pages_in_arabic_are_accessible(live, page):  # noqa: F811
    vacancy_id, _pid = _open_vacancy_and_candidate(live)
    with live.app.app_context(), db.job_session() as sess:
        sess.execute(sa.update(User).where(User.username == "supervisor").values(language="ar"))
    try:
        log_in(page, live, "supervisor")
        for path in ("/vacancies", f"/vacancies/{vacancy_id}", "/vacancies/new",
                     f"/vacancies/{vacancy_id}/edit"):
            page.goto(live.url(path))
            assert page.js("document.documentElement.dir") == "rtl"
            assert_accessible(page)
    finally:
        with live.app.app_context(), db.job_session() as sess:
            sess.execute(sa.update(User).where(User.username == "supervisor")
                         .values(language="en"))
