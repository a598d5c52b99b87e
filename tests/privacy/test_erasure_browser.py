"""Erasing a participant through the page in a real headless Chromium (tests/web/test_browser.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.organisations.models import Office
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def test_a_supervisor_erases_a_record_after_typing_its_reference(page, live, tmp_path):  # noqa: F811
    (person,) = live.scalars(
        sa.select(Participant).join(Office, Office.id == Participant.office_id)
        .where(Office.code == "KTM", Participant.erased_at.is_(None))
        .order_by(Participant.id.desc()).limit(1))
    pid, reference = person.id, person.reference
    log_in(page, live, "supervisor")
    page.goto(live.url(f"/participants/{pid}/privacy/erase"))
    assert page.js("document.querySelector('h1').textContent") == "Erase a record"
    assert page.js("document.querySelector('label[for=f-confirm]').textContent").endswith(reference)
    assert_accessible(page)

    # A wrong reference: the error stands beside the field, and nothing is erased.
    page.js("document.querySelector('#f-reason').value = 'subject_request'")
    page.type_into("#f-confirm", "NOT-THIS")
    mark = page.mark()
    page.click("form.card button[type=submit]")
    page.wait_for_load(mark)
    assert page.js("document.querySelector('#f-confirm').getAttribute('aria-describedby')") \
        == "err-confirm"
    assert page.js("document.querySelector('#err-confirm').textContent") \
        == "Type the record's reference exactly."
    assert_accessible(page)

    assert page.js("document.querySelector('#f-reason').value") == "subject_request"  # kept
    page.type_into("#f-confirm", reference.lower())  # case is forgiven
    mark = page.mark()
    page.click("form.card button[type=submit]")
    page.wait_for_load(mark)

    assert page.js("location.pathname") == f"/participants/{pid}/privacy/erase"
    body = page.js("document.body.innerText")
    assert "The record was erased." in body and "This record is erased" in body
    assert page.js("document.querySelector('input[name=confirm_reference]')") is None
    page.screenshot(tmp_path / "erased.png")
    assert_accessible(page)
    (name,) = live.scalars(sa.select(Participant.given_name).where(Participant.id == pid))
    assert name == "Erased"
