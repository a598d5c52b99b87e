"""The skills passport in a real headless Chromium: a caseworker adds an entry (an error first),
edits it and makes a share link; a supervisor verifies the entry. Every page on the way, and the
credential and skill form pages, are checked with axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.consent.services import has_consent
from journey.core.db import db
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.passports.models import PassportEntry, ShareLink
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _sharing_participant(app_live) -> int:
    """A Kathmandu participant who agreed to share with employers."""
    with app_live.app.app_context(), db.job_session() as sess:
        ids = sess.scalars(sa.select(Participant.id).join(Office, Office.id == Participant.office_id)
                           .where(Office.code == "KTM").order_by(Participant.id)).all()
        return next(i for i in ids if has_consent(sess, i, "share_employers"))


def test_caseworker_adds_edits_and_shares_then_a_supervisor_verifies(page, live, browser):  # noqa: F811
    pid = _sharing_participant(live)
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{pid}"))
    assert "Skills passport" in page.text("#skills-passport-title")
    assert_accessible(page)
    page.submit('#skills-passport a[href$="/passport/entries/new"]')
    assert page.js("location.pathname") == f"/participants/{pid}/passport/entries/new"
    assert_accessible(page)
    page.submit('a[href$="kind=qualification"]')
    assert_accessible(page)

    # No title: the error sits beside the field, tied to it for screen readers.
    page.type_into("#f-awarding_body", "CTEVT")
    page.set_value("#f-formality", "formal")
    page.submit("form.card button[type=submit]")
    assert page.text("#err-title")
    assert page.js("document.querySelector('#f-title').getAttribute('aria-invalid')") == "true"
    assert page.js("document.querySelector('#f-awarding_body').value") == "CTEVT"
    assert_accessible(page)
    page.type_into("#f-title", "Diploma in culinary arts")
    page.set_value("#f-level_framework", "EQF")
    page.type_into("#f-level_level", "4")
    page.submit("form.card button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}/passport"
    assert "Diploma in culinary arts" in page.text("main")
    assert_accessible(page)
    (entry_id,) = live.scalars(sa.select(PassportEntry.id).where(
        PassportEntry.participant_id == pid, PassportEntry.title == "Diploma in culinary arts"))

    page.submit(f'a[href$="/entries/{entry_id}/edit"]')
    assert_accessible(page)
    page.type_into("#f-title", "Diploma in culinary arts (Level 4)")
    page.type_into("#f-why", "Certificate copy received")
    page.submit('form[action$="/edit"] button[type=submit]')
    assert page.js("location.pathname") == f"/participants/{pid}/passport"
    assert "Diploma in culinary arts (Level 4)" in page.text("main")
    assert live.scalars(sa.select(PassportEntry.version).where(PassportEntry.id == entry_id)) == [2]

    page.submit('a[href$="/passport/share-links"]')
    assert_accessible(page)
    page.type_into("#f-audience", "Hotel Atlântico, Lisbon")
    page.click("#f-kinds-3")  # qualifications only
    page.type_into("#f-expires_in_days", "10")
    page.submit('form[action$="/share-links"] button[type=submit]')
    shown = page.text(".created a")
    assert "/shared/" in shown
    assert_accessible(page)
    (kinds,) = live.scalars(sa.select(ShareLink.kinds).where(
        ShareLink.participant_id == pid, ShareLink.audience == "Hotel Atlântico, Lisbon"))
    assert kinds == ["qualification"]

    for path in (f"/participants/{pid}/credentials", f"/participants/{pid}/skill-form"):
        page.goto(live.url(path))
        assert page.js("location.pathname") == path
        assert_accessible(page)

    supervisor = browser.new_page()
    try:
        log_in(supervisor, live, "supervisor")
        supervisor.goto(live.url(f"/participants/{pid}/passport/entries/{entry_id}/edit"))
        supervisor.set_value("#f-verify_level", "documents_seen")
        supervisor.type_into("#f-verify_evidence", "Original diploma seen at the office")
        supervisor.submit('form[action$="/verify"] button[type=submit]')
        assert supervisor.js("location.pathname") == f"/participants/{pid}/passport"
        assert "Documents seen" in supervisor.text("main")
        assert_accessible(supervisor)
    finally:
        supervisor.close()
    assert live.scalars(sa.select(PassportEntry.verification).where(
        PassportEntry.id == entry_id)) == ["documents_seen"]
