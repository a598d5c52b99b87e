"""The journey in a real headless Chromium: a caseworker opens a demo participant in
pre-departure, sees why departure would be refused, ticks the checklist and adds the permit in
the page until the step is allowed, and moves them; a supervisor overrides a refused step, with
a reason. Every page on the way is checked with axe-core."""

from __future__ import annotations

import json
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


def _submit(tab, selector: str) -> None:
    mark = tab.mark()
    tab.click(selector)
    tab.wait_for_load(mark)


def _set(tab, selector: str, value: str) -> None:
    """Set a select's or a date field's value (typing into a date field depends on the locale)."""
    assert tab.js(f"(() => {{ const s = document.querySelector({json.dumps(selector)});"
                  f" s.value = {json.dumps(value)}; return s.value; }})()") == value


def _text(tab, selector: str) -> str:
    return tab.js(f"document.querySelector({json.dumps(selector)})?.textContent.trim() ?? ''")


def _exists(tab, selector: str) -> bool:
    return tab.js(f"document.querySelector({json.dumps(selector)}) !== null")


def _pre_departure(server) -> list[int]:
    return server.scalars(sa.select(Participant.id).where(Participant.stage == "pre_departure")
                        .order_by(Participant.id))


def _stage(server, pid: int) -> str:
    return server.scalars(sa.select(Participant.stage).where(Participant.id == pid))[0]


def test_a_caseworker_ticks_the_checklist_until_departure_is_allowed(page, live):  # noqa: F811
    pid = _pre_departure(live)[0]
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{pid}"))
    assert _text(page, "#journey-title") == "Journey"
    # Before trying: the departure step says why it would be refused, and has no button.
    reasons = _text(page, "#reasons-depart")
    assert "A visa or work permit must be granted" in reasons
    assert "Pre-departure orientation" in reasons
    assert "Required checklist items are not done" in reasons
    assert not _exists(page, "#move-depart")
    assert_accessible(page)

    # Tick every open item from the record page, as a caseworker would, one at a time.
    ticked = 0
    while _exists(page, "table.checklist button[value=done]"):
        _submit(page, "table.checklist button[value=done]")
        assert page.js("location.pathname") == f"/participants/{pid}"
        ticked += 1
        assert ticked < 20, "the Done buttons never ran out"
    assert ticked >= 2
    assert "Done" in _text(page, "table.checklist tbody td.item-status")
    reasons = _text(page, "#reasons-depart")
    assert "Required checklist items are not done" not in reasons
    assert "Pre-departure orientation" not in reasons
    assert "A visa or work permit must be granted" in reasons  # still missing
    assert_accessible(page)

    # The permit, added in its page: first with an error shown beside the field.
    _submit(page, "#add-permit")
    assert page.js("location.pathname") == f"/participants/{pid}/permits/new"
    assert_accessible(page)
    _set(page, "#f-status", "granted")
    _set(page, "#f-expires_on", (date.today() + timedelta(days=400)).isoformat())
    _submit(page, "form.stack button[type=submit]")
    assert _text(page, "#err-type")  # no type chosen
    assert page.js("document.querySelector('#f-type').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    _set(page, "#f-type", "work_visa")
    _submit(page, "form.stack button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert live.scalars(sa.select(Permit.status).where(Permit.participant_id == pid)) == ["granted"]

    # Now the step is allowed: its form asks for the arrival date.
    assert not _exists(page, "#reasons-depart")
    assert _exists(page, "#move-depart")
    _set(page, "#m-depart-arrival_date", date.today().isoformat())
    page.type_into("#m-depart-reason", "Flight confirmed")
    _submit(page, "#move-depart button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert "moved to Arrival" in _text(page, "p.notice")
    assert _stage(live, pid) == "arrival"
    assert_accessible(page)


def test_a_supervisor_overrides_a_refused_step_with_a_reason(page, live):  # noqa: F811
    pid = _pre_departure(live)[-1]
    log_in(page, live, "supervisor")
    page.goto(live.url(f"/participants/{pid}"))
    assert "A visa or work permit must be granted" in _text(page, "#reasons-depart")
    assert_accessible(page)
    _submit(page, "#override-depart")
    assert page.js("location.pathname") == f"/participants/{pid}/move/depart"
    assert "A visa or work permit must be granted" in _text(page, "#reasons")
    assert_accessible(page)

    # Without a reason the override is refused, the error beside the reason field.
    _set(page, "#f-arrival_date", date.today().isoformat())
    _submit(page, "#submit-move")
    assert "Explain why" in _text(page, "#f-err-override_reason")
    assert _stage(live, pid) == "pre_departure"
    assert_accessible(page)

    page.type_into("#f-override_reason", "Visa seen at the embassy; the record follows.")
    _submit(page, "#submit-move")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert _stage(live, pid) == "arrival"
    reasons = live.scalars(sa.select(JourneyEvent.reason).where(
        JourneyEvent.participant_id == pid, JourneyEvent.kind == "guard_overridden"))
    assert reasons == ["Visa seen at the embassy; the record follows."]
    assert_accessible(page)

    # The bulk moves page is in the supervisor's header.
    _submit(page, "a[href='/participants/bulk-move']")
    assert _text(page, "h1") == "Bulk moves"
    assert_accessible(page)
