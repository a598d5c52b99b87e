"""The journey in a real headless Chromium: a caseworker opens a demo participant in
pre-departure, sees why departure would be refused, ticks the checklist and adds the permit in
the page until the step is allowed, and moves them; a supervisor overrides a refused step, with
a reason. Every page on the way is checked with axe-core."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.continuum.models import Permit
from journey.core.timeline import JourneyEvent
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _pre_departure(server) -> list[int]:
    return server.scalars(sa.select(Participant.id).where(Participant.stage == "pre_departure")
                        .order_by(Participant.id))


def _stage(server, pid: int) -> str:
    return server.scalars(sa.select(Participant.stage).where(Participant.id == pid))[0]


def test_a_caseworker_ticks_the_checklist_until_departure_is_allowed(page, live):  # noqa: F811
    pid = _pre_departure(live)[0]
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{pid}"))
    assert page.text("#journey-title") == "Journey"
    # Before trying: the departure step says why it would be refused, and has no button.
    reasons = page.text("#reasons-depart")
    assert "A visa or work permit must be granted" in reasons
    assert "Pre-departure orientation" in reasons
    assert "Required checklist items are not done" in reasons
    assert not page.exists("#move-depart")
    assert_accessible(page)

    # Tick every open item from the record page, as a caseworker would, one at a time.
    ticked = 0
    while page.exists("table.checklist button[value=done]"):
        page.submit("table.checklist button[value=done]")
        assert page.js("location.pathname") == f"/participants/{pid}"
        ticked += 1
        assert ticked < 20, "the Done buttons never ran out"
    assert ticked >= 2
    assert "Done" in page.text("table.checklist tbody td.item-status")
    reasons = page.text("#reasons-depart")
    assert "Required checklist items are not done" not in reasons
    assert "Pre-departure orientation" not in reasons
    assert "A visa or work permit must be granted" in reasons  # still missing
    assert_accessible(page)

    # The permit, added in its page: first with an error shown beside the field.
    page.submit("#add-permit")
    assert page.js("location.pathname") == f"/participants/{pid}/permits/new"
    assert_accessible(page)
    page.set_value("#f-status", "granted")
    page.set_value("#f-expires_on", (date.today() + timedelta(days=400)).isoformat())
    page.submit("form.stack button[type=submit]")
    assert page.text("#err-type")  # no type chosen
    assert page.js("document.querySelector('#f-type').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    page.set_value("#f-type", "work_visa")
    page.submit("form.stack button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert live.scalars(sa.select(Permit.status).where(Permit.participant_id == pid)) == ["granted"]

    # Now the step is allowed: its form asks for the arrival date.
    assert not page.exists("#reasons-depart")
    assert page.exists("#move-depart")
    page.set_value("#m-depart-arrival_date", date.today().isoformat())
    page.type_into("#m-depart-reason", "Flight confirmed")
    page.submit("#move-depart button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert "moved to Arrival" in page.text("p.notice")
    assert _stage(live, pid) == "arrival"
    assert_accessible(page)


def test_a_supervisor_overrides_a_refused_step_with_a_reason(page, live):  # noqa: F811
    pid = _pre_departure(live)[-1]
    log_in(page, live, "supervisor")
    page.goto(live.url(f"/participants/{pid}"))
    assert "A visa or work permit must be granted" in page.text("#reasons-depart")
    assert_accessible(page)
    page.submit("#override-depart")
    assert page.js("location.pathname") == f"/participants/{pid}/move/depart"
    assert "A visa or work permit must be granted" in page.text("#reasons")
    assert_accessible(page)

    # Without a reason the override is refused, the error beside the reason field.
    page.set_value("#f-arrival_date", date.today().isoformat())
    page.submit("#submit-move")
    assert "Explain why" in page.text("#f-err-override_reason")
    assert _stage(live, pid) == "pre_departure"
    assert_accessible(page)

    page.type_into("#f-override_reason", "Visa seen at the embassy; the record follows.")
    page.submit("#submit-move")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert _stage(live, pid) == "arrival"
    reasons = live.scalars(sa.select(JourneyEvent.reason).where(
        JourneyEvent.participant_id == pid, JourneyEvent.kind == "guard_overridden"))
    assert reasons == ["Visa seen at the embassy; the record follows."]
    assert_accessible(page)

    # The bulk moves page is in the supervisor's header.
    page.submit("a[href='/participants/bulk-move']")
    assert page.text("h1") == "Bulk moves"
    assert_accessible(page)
