"""My work in a real headless Chromium: a caseworker opens their work, sees an overdue checklist
item and follows it to the participant's checklist; a supervisor sees the office by caseworker.
Every My work page is checked with axe-core."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.continuum.models import ChecklistItem
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

TASK = "Collect the police clearance certificate"


@pytest.fixture(scope="module")
def assigned(live):  # noqa: F811
    """Three participants of the demo caseworker's office assigned to them, the first with an
    overdue checklist item; one more left unassigned, with an overdue item too."""
    now = utcnow()
    with live.app.app_context(), db.job_session() as sess:
        cw = sess.scalars(sa.select(User).where(User.username == "caseworker")).one()
        people = sess.scalars(sa.select(Participant).where(
            Participant.office_id == cw.office_id, Participant.erased_at.is_(None))
            .order_by(Participant.id).limit(4)).all()
        for p in people[:3]:
            p.caseworker_id = cw.id
        people[3].caseworker_id = None
        for p, key in ((people[0], "wb_overdue"), (people[3], "wb_overdue_unassigned")):
            sess.add(ChecklistItem(participant_id=p.id, stage=p.stage, cycle=p.cycle, key=key,
                                   title=TASK, status="pending",
                                   due_date=now.date() - timedelta(days=3), updated_at=now))
        return {"id": people[0].id, "unassigned": people[3].id, "caseworker": cw.full_name}


def _log_out(page, live) -> None:  # noqa: F811
    """End whatever session this browser has (the pages share its cookies)."""
    page.goto(live.url("/logout"))
    if page.js("location.pathname") == "/logout":
        mark = page.mark()
        page.click("main form button[type=submit]")
        page.wait_for_load(mark)


def test_a_caseworker_follows_an_overdue_item_to_the_record(page, live, assigned):  # noqa: F811
    log_in(page, live, "caseworker")
    if page.js("location.pathname") != "/work":
        # Until / leads staff to My work, the header does.
        assert page.js("document.querySelector('header.site nav a').getAttribute('href')") == "/work"
        mark = page.mark()
        page.click("header.site nav a[href='/work']")
        page.wait_for_load(mark)
    assert page.js("location.pathname") == "/work"
    assert page.text("h1") == "My work"
    assert TASK in page.text("#overdue")
    assert "was due" in page.text("#overdue")
    # Only their own participants: the unassigned one is not on a caseworker's page.
    assert page.js(f"!!document.querySelector('a[href^=\"/participants/{assigned['unassigned']}#\"]')"
                   ) is False
    assert_accessible(page)

    link = f"#overdue a[href='/participants/{assigned['id']}#checklist']"
    assert page.js(f"!!document.querySelector({json.dumps(link)})")
    mark = page.mark()
    page.click(link)
    page.wait_for_load(mark)
    assert page.js("location.pathname") == f"/participants/{assigned['id']}"
    assert page.js("location.hash") == "#checklist"
    _log_out(page, live)


def test_a_supervisor_sees_the_office_by_caseworker(page, live, assigned):  # noqa: F811
    _log_out(page, live)
    log_in(page, live, "supervisor")
    page.goto(live.url("/work"))
    assert page.text("h1") == "My work"
    counts = page.text("#by-caseworker + .table-wrap")
    assert assigned["caseworker"] in counts and "Unassigned" in counts
    headings = page.js("[...document.querySelectorAll('#overdue h3')].map(h => h.textContent)")
    assert any(h.startswith(assigned["caseworker"]) for h in headings)
    assert any(h.startswith("Unassigned") for h in headings)
    assert page.js(f"!!document.querySelector('#overdue a[href=\"/participants/"
                   f"{assigned['unassigned']}#checklist\"]')")
    assert_accessible(page)
    _log_out(page, live)
