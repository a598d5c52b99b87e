"""#13's small gaps in a real headless Chromium, each page checked with axe-core: a programme's
numbers edited by an admin (a bad one refused beside its field), the demo's work shown to its
caseworker (My work, Unknown numbers), and the returnee's light skill form."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import db
from journey.participants.models import Participant
from journey.programmes.models import Programme
from journey.skillcards import services as skillcards
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _clear(tab, selector: str) -> None:
    tab.js(f"document.querySelector({json.dumps(selector)}).value = ''")


def test_admin_sets_a_programmes_numbers(page, live):  # noqa: F811
    prog_id = live.scalars(sa.select(Programme.id).where(Programme.code == "NP-PT-HOSP"))[0]
    log_in(page, live, "admin")
    page.goto(live.url(f"/admin/programmes/{prog_id}"))
    assert_accessible(page)
    page.type_into("#f-contacts\\.embassy", "ask at the desk")
    page.submit("form.stack button[type=submit]")
    assert "phone number" in page.text("#err-contacts\\.embassy")
    assert page.js("document.querySelector('#f-contacts\\\\.embassy')"
                   ".getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    _clear(page, "#f-contacts\\.embassy")
    page.type_into("#f-contacts\\.embassy", "+351 21 393 1000")
    page.submit("form.stack button[type=submit]")
    assert "+351 21 393 1000" in page.text("dl.facts")
    assert live.scalars(sa.select(Programme.contacts).where(Programme.id == prog_id))[0] == {
        "embassy": "+351 21 393 1000"}


def test_the_demo_caseworker_finds_work_waiting(page, live):  # noqa: F811
    log_in(page, live, "caseworker")
    page.goto(live.url("/work"))
    assert "When is my flight?" in page.text("main")
    assert_accessible(page)
    page.goto(live.url("/messages/triage"))
    assert "hotel work in Portugal" in page.text("main")
    assert_accessible(page)


def test_the_returnees_skill_form_is_light_and_labelled(page, live):  # noqa: F811
    with live.app.app_context(), db.job_session() as sess:
        caseworker = sess.scalars(sa.select(User).where(User.username == "caseworker")).one()
        returnee = sess.scalars(sa.select(Participant).where(
            Participant.stage == Stage.RETURN.value,
            Participant.office_id == caseworker.office_id).order_by(Participant.id)).first()
        form, _new = skillcards.open_form(sess, caseworker, returnee)
        with live.app.test_request_context():
            url = skillcards.create_link(sess, caseworker, returnee, form)["url"]
    page.goto(live.url(urlsplit(url).path))
    assert_accessible(page)
    # Every language can still be chosen: the last row offers them all, the others the common.
    counts = page.js("[...document.querySelectorAll('select[name$=\".code\"]')]"
                     ".map(s => s.options.length)")
    assert len(counts) >= 1 and counts[-1] > 150 and all(n < 40 for n in counts[:-1])
    page.js("(() => { const s = document.querySelectorAll('select[name$=\".code\"]');"
            " s[s.length - 1].value = 'zu'; })()")
    page.submit("button[value=save]")
    assert page.js("[...document.querySelectorAll('select[name$=\".code\"]')]"
                   ".some(s => s.value === 'zu')")
