"""A referral's whole loop in a real headless Chromium (issue #16): the demo caseworker refers a
participant from their record (searches the directory inside the form, chooses the service and
the fields to share, sends it); the partner accepts it and reports the outcome; the caseworker
sees the outcome on the referral's page and on the person's record. And a partner without an
account who phones in: the caseworker records its answer on its behalf. Every page is checked
with axe-core (no serious or critical violation), and the caseworker's pages in Arabic read right
to left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.consent import services as consent_services
from journey.core.auth import User
from journey.core.db import db
from journey.participants.models import Participant
from journey.referrals.models import Referral
from tests.referrals.helpers import add_service
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

SERVICE = "Wage claims clinic (browser test)"


def _a_service_and_a_person(server) -> tuple[int, int, str]:
    """The demo partner's provider offers a service in the directory, and a participant of the
    caseworker's office consents to share with service providers. Returns the service's and
    the participant's ids and the participant's name."""
    with server.app.test_request_context(), db.job_session() as sess:
        users = {u.username: u for u in sess.scalars(sa.select(User).where(
            User.username.in_(("caseworker", "partner"))))}
        service = add_service(sess, users["partner"].provider_id, name=SERVICE,
                              employment=True, legal_aid=True, languages=("ne", "en"))
        p = sess.scalars(sa.select(Participant).where(
            Participant.office_id == users["caseworker"].office_id,
            Participant.erased_at.is_(None)).order_by(Participant.id).limit(1)).one()
        if not consent_services.has_consent(sess, p.id, "share_providers"):
            consent_services.grant(sess, users["caseworker"], p, purpose="share_providers",
                                   method="signed")
        return service.id, p.id, f"{p.given_name} {p.family_name}"


def test_a_caseworker_refers_the_partner_completes_the_caseworker_sees_it(
        page, browser, live):  # noqa: F811
    service_id, participant_id, name = _a_service_and_a_person(live)
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{participant_id}"))
    assert page.exists("#referrals") and page.exists('header.site nav a[href="/referrals"]')
    assert_accessible(page)

    # From the record: the form, a search inside it, the service chosen, fields shared.
    page.submit("#refer-to-service")
    assert page.js("location.pathname") == f"/participants/{participant_id}/referrals/new"
    assert page.text("h1") == "Refer to a service"
    assert_accessible(page)
    page.type_into("#f-reason", "Unpaid wages for three months: needs help with a claim.")
    page.type_into("#f-q", "wage claims")
    page.submit("#search-services")
    assert SERVICE in page.text("#services")
    assert page.js("document.querySelector('#f-reason').value").startswith("Unpaid wages")
    assert_accessible(page)
    page.submit("#send-now")  # no service chosen yet: refused beside the field
    assert page.text("#err-service_id") == "Choose a service."
    assert page.js("document.querySelector('#f-reason').value").startswith("Unpaid wages")
    assert_accessible(page)
    page.click(f"#service-{service_id}")
    page.click("input[name=shared_fields][value=phone]")
    page.submit("#send-now")
    referral_id = live.scalars(sa.select(Referral.id).where(
        Referral.participant_id == participant_id, Referral.service_id == service_id))[0]
    assert page.js("location.pathname") == f"/referrals/{referral_id}"
    assert "sent." in page.text("main .notice")
    assert page.text("#shared-fields").startswith("Name, Phone, Language")
    assert "Sent, waiting for an answer" in page.text("main .lead")
    assert_accessible(page)
    assert live.scalars(sa.select(Referral.state).where(Referral.id == referral_id)) == ["sent"]

    # The partner logs in, accepts and reports the outcome on its own pages.
    partner = browser.new_page()
    try:
        log_in(partner, live, "partner")
        _partner_pages(partner, live, referral_id, name)
    finally:
        partner.close()
    assert live.scalars(sa.select(Referral.outcome).where(Referral.id == referral_id)) \
        == ["provided"]

    # The caseworker sees the outcome on the referral's page and on the record.
    page.goto(live.url(f"/referrals/{referral_id}"))
    assert page.text("#outcome").startswith("Service provided")
    assert "Claim filed with the labour inspectorate." in page.text("#outcome")
    assert "Completed" in page.text("main .lead")
    assert_accessible(page)
    page.goto(live.url(f"/participants/{participant_id}"))
    assert "Service provided" in page.text(f"#referral-{referral_id}")
    assert_accessible(page)
    page.goto(live.url("/referrals?state=completed"))
    assert "Service provided" in page.text(f"#referral-{referral_id}")
    assert_accessible(page)

    # In Arabic: right to left.
    with live.app.app_context(), db.job_session() as sess:
        sess.execute(sa.update(User).where(User.username == "caseworker").values(language="ar"))
    try:
        for path in ("/referrals", f"/referrals/{referral_id}",
                     f"/participants/{participant_id}/referrals/new"):
            page.goto(live.url(path))
            assert page.js("[document.documentElement.lang, document.documentElement.dir]") \
                == ["ar", "rtl"]
            assert_accessible(page)
    finally:
        with live.app.app_context(), db.job_session() as sess:
            sess.execute(sa.update(User).where(User.username == "caseworker")
                         .values(language="en"))


def _partner_pages(partner, server, referral_id: int, name: str) -> None:
    """The partner's own pages (journey.referrals.partner_pages): it sees the person by the
    fields shared, accepts, and reports the outcome."""
    partner.goto(server.url(f"/partner/referrals/{referral_id}"))
    assert name in partner.text("main")
    assert_accessible(partner)
    partner.type_into("#f-note-accept", "We can see them on Monday.")
    partner.submit("#submit-accept")
    assert_accessible(partner)
    partner.set_value("#f-outcome-complete", "provided")
    partner.type_into("#f-note-complete", "Claim filed with the labour inspectorate.")
    partner.submit("#submit-complete")
    assert not partner.exists("#submit-complete")
    assert_accessible(partner)


def test_a_partner_phones_in_and_the_caseworker_records_its_answer(page, live):  # noqa: F811
    """A partner without an account answers by phone: the caseworker records the acceptance
    and the outcome on its behalf, refused beside the field without an outcome."""
    service_id, participant_id, _name = _a_service_and_a_person(live)
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{participant_id}/referrals/new"))
    page.click(f"#service-{service_id}")
    page.submit("#send-now")
    referral_id = int(page.js("location.pathname").rsplit("/", 1)[1])
    page.submit("#step-accept")
    assert "Accepted" in page.text("main .lead")
    assert_accessible(page)
    page.submit("#step-complete")
    assert page.js("location.pathname") == f"/referrals/{referral_id}/steps/complete"
    assert_accessible(page)
    page.submit("#submit-step")  # no outcome: refused beside the field
    assert page.text("#err-outcome")
    assert_accessible(page)
    page.click("input[name=outcome][value=not_provided]")
    page.set_value("#f-outcome_reason", "client_did_not_attend")
    page.type_into("#f-note", "Two appointments missed.")
    page.submit("#submit-step")
    assert page.js("location.pathname") == f"/referrals/{referral_id}"
    assert page.text("#outcome").startswith("Service not provided: The person did not come")
    assert "Kiran Caseworker" in page.text("#history")
    assert_accessible(page)
