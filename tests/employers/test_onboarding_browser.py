"""Onboarding in a real headless Chromium (no script of ours), axe-core on every page: the demo
caseworker opens a placed participant's record, follows the Placement section to the placement,
confirms a step for the employer and records a contest in the participant's words; an employer
contact without an account confirms another step through the emailed link, in Arabic (right to
left), once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.employers import steps
from journey.employers.models import OnboardingStep
from journey.grievances.models import Grievance
from journey.organisations.models import Office
from tests.employers.onboarding_helpers import contact, place
from tests.factories import Factory
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def placed(live):  # noqa: F811
    """A participant of the demo caseworker's office placed with the demo employer's employer,
    an Arabic-speaking contact of that employer, and a link for one step (its token)."""
    engine = live.app.extensions["journey_db"].engine
    with Session(engine, expire_on_commit=False) as sess:
        factory = Factory(live.app, sess)
        caseworker = sess.scalar(sa.select(User).where(User.username == "caseworker"))
        employer = sess.scalar(sa.select(User).where(User.username == "employer"))
        office = sess.get(Office, caseworker.office_id)
        found = place(factory, sess, office=office, caseworker=caseworker, employer_user=employer,
                      language="en")
        c = contact(factory, employer.employer_id, language="ar", email="hr@example.jo")
        step = found.step(sess, "accommodation_ready")
        with live.app.test_request_context():
            _link, token = steps.issue_link(sess, caseworker, step.id, contact_id=c.id)
        sess.commit()
    return found, token


def test_a_caseworker_confirms_for_the_employer_and_records_a_contest(page, live, placed):  # noqa: F811
    found, _token = placed
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{found.participant.id}"))
    assert page.exists("#placement")
    assert_accessible(page)
    page.submit("#placement a[href^='/placements/']")
    assert page.js("location.pathname") == f"/placements/{found.placement.id}"
    assert page.js("document.scripts.length") == 0
    assert_accessible(page)
    (wage,) = _steps(live, found, "first_wage_paid")
    page.submit(f"#step-{wage.id} form button[type=submit]")
    assert page.js("location.hash") == f"#step-{wage.id}"
    assert live.scalars(sa.select(OnboardingStep.status).where(
        OnboardingStep.id == wage.id)) == ["confirmed"]
    # The participant says they were not paid: the caseworker writes it down.
    page.submit(f"#step-{wage.id} a[href$='/contest']")
    assert_accessible(page)
    page.submit("form.stack button[type=submit]")  # empty: the error beside the field
    assert page.exists("#err-text")
    assert_accessible(page)
    page.type_into("#f-text", "I was paid half of the wage in the contract")
    page.submit("form.stack button[type=submit]")
    assert live.scalars(sa.select(OnboardingStep.status).where(
        OnboardingStep.id == wage.id)) == ["contested"]
    assert len(live.scalars(sa.select(Grievance.id).where(Grievance.category == "wages"))) >= 1
    assert_accessible(page)


def test_an_employer_contact_confirms_through_the_link_in_arabic(page, live, placed):  # noqa: F811
    found, token = placed
    page.goto(live.url(f"/onboarding/confirm/{token}?lang=ar"))
    assert (page.js("document.documentElement.lang"),
            page.js("document.documentElement.dir")) == ("ar", "rtl")
    assert found.participant.family_name not in page.js("document.body.innerText")
    assert_accessible(page)
    page.submit("form.stack button[type=submit]")
    assert page.js("document.documentElement.dir") == "rtl"
    assert_accessible(page)
    (step,) = _steps(live, found, "accommodation_ready")
    assert step.status == "confirmed" and step.confirmed_via_link_id is not None
    page.goto(live.url(f"/onboarding/confirm/{token}?lang=ar"))
    assert page.js("document.title")  # the 410 page, a page all the same
    assert_accessible(page)


def _steps(live, found, key: str) -> list[OnboardingStep]:  # noqa: F811
    """The step as committed (a short session of its own: SQLite has one writer at a time)."""
    return live.scalars(sa.select(OnboardingStep).where(
        OnboardingStep.placement_id == found.placement.id, OnboardingStep.key == key))
