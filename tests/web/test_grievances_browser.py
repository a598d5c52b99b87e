"""Grievances in a real headless Chromium: the demo caseworker logs a grievance for a participant
of their office, gives the complainant the tracking code shown once, acknowledges it, starts the
review and resolves it with a decision (a missing decision first: the error beside the field).
The list, the intake form, the grievance and the resolve step are checked with axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.grievances.models import Grievance
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def test_a_caseworker_logs_acknowledges_and_resolves_a_grievance(page, live):  # noqa: F811
    office_id = live.scalars(sa.select(User.office_id).where(User.username == "caseworker"))[0]
    pid = live.scalars(sa.select(Participant.id).where(Participant.office_id == office_id)
                       .order_by(Participant.id).limit(1))[0]
    log_in(page, live, "caseworker")

    page.goto(live.url("/grievances"))
    assert page.text("h1") == "Grievances"
    assert page.exists('header.site nav a[href="/grievances"]')
    assert_accessible(page)

    # From the participant's record: the Grievances section's link.
    page.goto(live.url(f"/participants/{pid}"))
    assert page.exists("#grievances")
    page.submit(f'#grievances a[href="/participants/{pid}/grievances/new"]')
    assert page.text("h1") == "Log a grievance"
    assert_accessible(page)
    page.submit("form.card button[type=submit]")  # empty: errors beside the fields
    assert page.text("#err-category") and page.text("#err-description")
    assert page.js("document.querySelector('#f-description').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    page.set_value("#f-category", "wages")
    page.set_value("#f-severity", "high")
    page.type_into("#f-description", "No wages paid since the harvest began.")
    page.type_into("#f-desired_outcome", "Be paid what I am owed")
    page.click("#f-against_kind-3")  # a recruiter
    page.type_into("#f-against_name", "Fast Track Recruiting")
    page.submit("form.card button[type=submit]")

    path = page.js("location.pathname")
    assert path.startswith("/grievances/")
    gid = int(path.rsplit("/", 1)[1])
    code = live.scalars(sa.select(Grievance.tracking_code).where(Grievance.id == gid))[0]
    assert f"Give the complainant this tracking code: {code}" in page.text("main .notice")
    assert "No wages paid since the harvest began." in page.text("main")
    assert "Fast Track Recruiting" in page.text("main")
    assert_accessible(page)

    page.submit("#step-acknowledge")
    assert "Done: Acknowledge" in page.text("main .notice")
    page.goto(live.url(path))
    assert code not in page.text("main")  # the code is shown once, never again
    page.submit("#step-start_review")
    assert page.text(".lead .state") == "In review"

    page.submit(f'a[href="{path}/transitions/resolve"]')
    assert page.text("h1").startswith("Resolve")
    page.type_into("#f-resolution_summary", "The recruiter refunded the fee and wages were paid.")
    page.submit("#submit-step")  # no decision yet
    assert page.text("#err-decision")
    assert_accessible(page)
    page.set_value("#f-decision", "upheld")
    page.submit("#submit-step")
    assert page.js("location.pathname") == path
    assert page.text(".lead .state") == "Resolved"
    assert "Decision: Upheld" in page.text("main")
    history = page.text("#history")
    for step in ("Received", "Acknowledge", "Start the review", "Resolve"):
        assert step in history
    assert_accessible(page)
    assert live.scalars(sa.select(Grievance.state).where(Grievance.id == gid)) == ["resolved"]
