"""The caseworker's main flow end to end in a real headless Chromium, in English and in Arabic:
register a person, see why the first step is refused (no consent yet), record consent, and move
them from intake through pre-departure to arrival by ticking each stage's checklist in the page,
choosing the employer, and adding the permit. The checklist and the moves are done with the
keyboard alone (Tab to the button, Enter). axe-core checks every page on the way."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from journey.organisations.models import Employer
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _keyboard_submit(tab, selector: str) -> None:
    """Reach a button with Tab alone and press Enter: the keyboard-only way through a page."""
    tab.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); true")
    tab.tab_to(f"e.matches({json.dumps(selector)})", limit=200)
    mark = tab.mark()
    tab.press("Enter")
    tab.wait_for_load(mark)


def _stage(live, pid: int) -> str:  # noqa: F811
    return live.scalars(sa.select(Participant.stage).where(Participant.id == pid))[0]


def _register(tab, live, given: str, family: str, phone: str) -> int:  # noqa: F811
    tab.goto(live.url("/participants"))
    tab.submit("a[href='/participants/new']")
    assert_accessible(tab)
    tab.type_into("#f-given_name", given)
    tab.type_into("#f-family_name", family)
    tab.set_value("#f-date_of_birth", "1993-03-14")
    tab.set_value("#f-sex", "female")
    tab.set_value("#f-nationality", "NP")
    tab.set_value("#f-origin_country", "NP")
    tab.set_value("#f-destination_country", "PT")
    tab.type_into("#f-phone", phone)
    tab.submit("form.stack button[type=submit]")
    path = tab.js("location.pathname")
    assert path.split("/")[-1].isdigit(), f"not on the new record: {path}"
    assert_accessible(tab)
    return int(path.split("/")[-1])


def _tick_all(tab, pid: int) -> int:
    """Tick every open checklist item of the current stage, each with the keyboard."""
    ticked = 0
    while tab.exists("table.checklist button[value=done]"):
        _keyboard_submit(tab, "table.checklist button[value=done]")
        assert tab.js("location.pathname") == f"/participants/{pid}"
        ticked += 1
        assert ticked < 25, "the Done buttons never ran out"
    return ticked


def _move(tab, live, pid: int, event: str, expected: str) -> None:  # noqa: F811
    assert tab.exists(f"#move-{event}"), f"{event} is not offered: {tab.text('#step-' + event)}"
    _keyboard_submit(tab, f"#move-{event} button[type=submit]")
    assert tab.js("location.pathname") == f"/participants/{pid}"
    assert _stage(live, pid) == expected
    assert_accessible(tab)


def _whole_flow(tab, live, given: str, family: str, phone: str) -> int:  # noqa: F811
    pid = _register(tab, live, given, family, phone)
    # Before consent, the first step says why it would be refused, and offers no button.
    assert tab.exists("#reasons-preselect")
    assert not tab.exists("#move-preselect")
    refusal = tab.text("#reasons-preselect")
    assert refusal

    tab.submit(f"a[href='/participants/{pid}/consent/new']")
    assert_accessible(tab)
    tab.set_value("#f-purpose", "case_management")
    tab.set_value("#f-method", "signed")
    tab.submit("form.stack button[type=submit]")
    assert not tab.exists("#reasons-preselect"), "consent lifts the refusal"

    _move(tab, live, pid, "preselect", "preselection")
    _tick_all(tab, pid)
    _move(tab, live, pid, "start_training", "training")
    _tick_all(tab, pid)
    employer = live.scalars(sa.select(Employer.id).order_by(Employer.id))[0]
    tab.set_value("#m-match-employer_id", str(employer))
    _move(tab, live, pid, "match", "matched")
    _tick_all(tab, pid)
    _move(tab, live, pid, "prepare_departure", "pre_departure")

    # Pre-departure: the departure step is refused until the checklist and the permit are done,
    # and says so before anyone tries.
    assert tab.exists("#reasons-depart") and not tab.exists("#move-depart")
    assert _tick_all(tab, pid) >= 2
    assert tab.exists("#reasons-depart"), "still refused: no permit yet"
    tab.submit("#add-permit")
    assert_accessible(tab)
    tab.set_value("#f-type", "work_visa")
    tab.set_value("#f-status", "granted")
    tab.set_value("#f-expires_on", (date.today() + timedelta(days=400)).isoformat())
    tab.submit("form.stack button[type=submit]")
    assert tab.js("location.pathname") == f"/participants/{pid}"
    assert not tab.exists("#reasons-depart")
    tab.set_value("#m-depart-arrival_date", date.today().isoformat())
    _move(tab, live, pid, "depart", "arrival")
    return pid


def test_a_caseworker_registers_and_moves_a_person_through_pre_departure(page, live):  # noqa: F811
    log_in(page, live, "caseworker")
    # The first Tab reaches the skip link, for keyboard users.
    page.goto(live.url("/participants"))
    page.press("Tab")
    assert page.js("document.activeElement.classList.contains('skip')")
    pid = _whole_flow(page, live, "Sabina", "Tamang", "+9779800055566")
    assert "Sabina" in page.text("h1")
    assert _stage(live, pid) == "arrival"


def test_the_same_flow_in_arabic(page, live):  # noqa: F811
    with live.app.app_context(), db.job_session() as sess:
        sess.execute(sa.update(User).where(User.username == "caseworker").values(language="ar"))
    try:
        log_in(page, live, "caseworker")
        page.goto(live.url("/participants"))
        assert page.js("document.documentElement.dir") == "rtl"
        pid = _whole_flow(page, live, "Mina", "Rai", "+9779800077788")
        assert page.js("document.documentElement.dir") == "rtl"
        assert page.js("document.documentElement.lang") == "ar"
        assert _stage(live, pid) == "arrival"
    finally:
        with live.app.app_context(), db.job_session() as sess:
            sess.execute(sa.update(User).where(User.username == "caseworker").values(language="en"))
