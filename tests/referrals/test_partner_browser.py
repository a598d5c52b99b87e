"""The partner's pages in a real headless Chromium: the demo partner logs in and lands on its
home, opens a referral the centre sent it, tries to decline without a reason (the error beside
the field), accepts, records progress and reports the outcome; then reads its pages in Arabic,
right to left. A partner without an account opens a signed link. Every page is checked with
axe-core (no serious or critical violation)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journey.consent import services as consent_services
from journey.core.auth import User
from journey.core.db import db
from journey.participants.models import Participant
from journey.referrals import links, services
from journey.referrals.models import Referral
from tests.referrals.helpers import add_service
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

SERVICE = "Legal clinic (browser test)"


def _refer(server, n: int = 0) -> tuple[int, str]:
    """As the centre would: a service of the demo partner's provider, and a participant of the
    caseworker's office (consent to share with providers given) referred to it. Returns the
    referral's id and reference."""
    with server.app.test_request_context(), db.job_session() as sess:
        users = {u.username: u for u in sess.scalars(sa.select(User).where(
            User.username.in_(("caseworker", "partner"))))}
        service = add_service(sess, users["partner"].provider_id, name=f"{SERVICE} {n}")
        p = sess.scalars(sa.select(Participant).where(
            Participant.office_id == users["caseworker"].office_id,
            Participant.erased_at.is_(None)).order_by(Participant.id).offset(n).limit(1)).one()
        for purpose in ("case_management", "share_providers"):
            if not consent_services.has_consent(sess, p.id, purpose):
                consent_services.grant(sess, users["caseworker"], p, purpose=purpose,
                                       method="signed")
        r = services.create(sess, users["caseworker"], {
            "participant_id": p.id, "service_id": service.id, "send": True,
            "reason": "Unpaid wages: needs advice on a claim",
            "shared_fields": ["name", "language"]})
        return r.id, r.reference


def test_a_partner_accepts_records_progress_and_reports_the_outcome(page, live):  # noqa: F811
    referral_id, reference = _refer(live)
    log_in(page, live, "partner")
    assert page.js("location.pathname") == "/partner"
    assert page.text("h1") == "Referrals to your organisation"
    assert reference in page.text("main")
    assert_accessible(page)

    page.submit('header.site nav a[href="/partner/referrals"]')
    assert page.text("h1") == "Our referrals"
    assert reference in page.text("table.list")
    assert_accessible(page)
    page.submit(f'a[href="/partner/referrals/{referral_id}"]')
    assert page.text("h1") == f"Referral {reference}"
    assert "Unpaid wages" in page.text("main")
    assert_accessible(page)

    # Decline without a reason: refused, the error beside the field.
    page.submit("#submit-decline")
    assert page.text("#err-reason-decline")
    assert page.js("document.querySelector('#f-reason-decline')"
                   ".getAttribute('aria-invalid')") == "true"
    assert_accessible(page)

    page.type_into("#f-note-accept", "We can see them on Monday.")
    page.submit("#submit-accept")
    assert page.js("location.pathname") == f"/partner/referrals/{referral_id}"
    assert "Accepted." in page.text("main .notice")
    assert_accessible(page)

    page.type_into("#f-note-progress", "First meeting held; documents checked.")
    page.submit("#submit-progress")
    assert "Progress recorded." in page.text("main .notice")
    assert "First meeting held" in page.text("main")

    page.set_value("#f-outcome-complete", "provided")
    page.submit("#submit-complete")
    assert "Outcome reported." in page.text("main .notice")
    assert "Service provided" in page.text("main")
    assert not page.exists("#submit-complete")
    assert_accessible(page)
    assert live.scalars(sa.select(Referral.state).where(Referral.id == referral_id)) \
        == ["completed"]

    # The same pages in Arabic, right to left (the header's switch saves the user's choice).
    page.set_value("#language-switch", "ar")
    page.submit("form.language-switch button")
    for path in ("/partner", "/partner/referrals", f"/partner/referrals/{referral_id}"):
        page.goto(live.url(path))
        assert page.js("document.documentElement.dir") == "rtl", path
        assert page.js("document.documentElement.lang") == "ar", path
        assert_accessible(page)


def test_a_partner_without_an_account_answers_through_a_signed_link(page, live):  # noqa: F811
    referral_id, reference = _refer(live, 1)
    with live.app.test_request_context(), db.job_session() as sess:
        r = sess.get(Referral, referral_id)
        url = links.issue_link(sess, r, "respond", actor_id=None, email="intake@example.org")
    parts = urlsplit(url)
    page.goto(live.url(f"{parts.path}?{parts.query}"))
    # In the provider's language (links.link_language), which the address carries.
    assert page.js("document.documentElement.lang") == parts.query.removeprefix("lang=")
    assert reference in page.text("main")
    assert not page.exists("#submit-complete")
    assert_accessible(page)
    page.submit("#submit-decline")
    assert page.text("#err-reason-decline")
    assert_accessible(page)
    page.set_value("#f-reason-decline", "no_capacity")
    page.submit("#submit-decline")
    assert reference in page.text("main")
    assert_accessible(page)
    assert live.scalars(sa.select(Referral.state).where(Referral.id == referral_id)) \
        == ["declined"]
