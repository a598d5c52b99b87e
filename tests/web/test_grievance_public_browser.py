"""The anonymous complaint form and the status page in a real headless Chromium (no script of
ours): a migrant sends a complaint, reads the tracking code off the page, and looks it up on the
status page typed in small letters with spaces; in English and in Arabic (right to left). axe-core
checks every page."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from journey.grievances import services
from journey.grievances.models import Channel, Grievance
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _direction(tab) -> tuple[str, str]:
    return (tab.js("document.documentElement.lang"), tab.js("document.documentElement.dir"))


def _check(tab, selector: str) -> None:
    tab.click(selector)
    assert tab.js(f"document.querySelector({json.dumps(selector)}).checked")


@pytest.mark.parametrize("lang, direction", [("en", "ltr"), ("ar", "rtl")])
def test_a_migrant_complains_and_follows_it_with_the_code(page, live, lang, direction):  # noqa: F811
    page.goto(live.url(f"/complaint?lang={lang}"))
    assert _direction(page) == (lang, direction)
    assert page.js("document.scripts.length") == 0
    assert page.exists('a[href="tel:112"]')
    assert_accessible(page)

    # An empty form comes back with the errors beside the fields, then is corrected.
    page.type_into("#f-desired_outcome", "Pay me what I am owed")
    page.submit(".complaint-form button[type=submit]")
    assert page.exists("#err-category") and page.exists("#err-description")
    assert page.js("document.querySelector('#f-desired_outcome').value") == "Pay me what I am owed"
    assert_accessible(page)
    _check(page, 'input[name=category][value="wages"]')
    page.type_into("#f-description", "Not paid for two months at the hotel")
    _check(page, 'input[name=against_kind][value="employer"]')
    page.submit(".complaint-form button[type=submit]")

    assert _direction(page) == (lang, direction)
    code = page.js("[...document.querySelectorAll('.tracking-code span:not([aria-hidden])')]"
                   ".map(s => s.textContent).join('-')")
    assert len(code) == 14, code
    assert page.js("location.pathname") == "/complaint" and code not in page.js("location.href")
    found = live.scalars(sa.select(Grievance).where(Grievance.channel == "web",
                                                    Grievance.language == lang))
    assert len(found) == 1 and found[0].against_kind == "employer"
    assert_accessible(page)

    # Follow the link to the status page and type the code as a phone user might.
    page.submit("main a[href^='/complaint/status']")
    assert page.js("location.pathname") == "/complaint/status"
    assert _direction(page) == (lang, direction)
    assert_accessible(page)
    page.type_into("#f-code", code.lower().replace("-", " "))
    page.submit(".complaint-lookup button[type=submit]")
    assert page.js("location.pathname") == "/complaint/status"
    assert "code" not in page.js("location.search")
    assert page.exists("#state-title") and page.exists("#replies-title")
    assert code not in page.js("document.body.innerText")
    if lang == "en":
        assert page.text("#state-title") == "Received"
        assert "Wages" in page.js("document.body.innerText")
    assert_accessible(page)


def test_a_migrant_reads_the_decision_and_appeals_in_arabic(page, live):  # noqa: F811
    """A complaint resolved by the demo caseworker, with a public reply; the complainant reads
    both in Arabic and appeals from the page."""
    with live.app.test_request_context(), db.job_session() as sess:
        worker = sess.scalars(sa.select(User).where(User.username == "caseworker")).one()
        g, code = services.intake(sess, None, {"category": "housing", "language": "ar",
                                               "description": "No window in the room",
                                               "office_id": worker.office_id},
                                  channel=Channel.WEB)
        services.add_entry(sess, worker, g, "We visited the house on Monday.", public=True)
        services.add_entry(sess, worker, g, "Internal note only.", public=False)
        for event, data in (("acknowledge", {}), ("resolve", {
                "decision": "not_upheld", "resolution_summary": "Staff-only summary"})):
            services.transition(sess, worker, g, event, data, expected=None)
    page.goto(live.url("/complaint/status?lang=ar"))
    page.type_into("#f-code", code.lower().replace("-", ""))
    page.submit(".complaint-lookup button[type=submit]")
    assert _direction(page) == ("ar", "rtl")
    body = page.js("document.body.innerText")
    assert "We visited the house on Monday." in body
    assert "Internal note only." not in body and "Staff-only summary" not in body
    assert page.exists(".complaint-appeal #f-grounds")
    assert_accessible(page)

    page.type_into("#f-grounds", "They never spoke to my room-mates")
    page.submit(".complaint-appeal button[type=submit]")
    new_code = page.js("[...document.querySelectorAll('.tracking-code span:not([aria-hidden])')]"
                       ".map(s => s.textContent).join('-')")
    assert len(new_code) == 14 and new_code != code
    assert_accessible(page)
    states = live.scalars(sa.select(Grievance.state).where(Grievance.id == g.id))
    assert states == ["appealed"]
