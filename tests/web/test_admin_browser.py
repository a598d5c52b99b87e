"""Administration in a real headless Chromium: an admin opens an office and creates a caseworker
in it, who then logs in; the admin edits a programme's checklist and filters the audit log; a
supervisor previews and sends a campaign. Every page on the way is checked with axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.organisations.models import Office
from journey.programmes.models import Programme
from notifications.models import Campaign, OutboxMessage
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

STRONG = "plum kettle orbit saffron"


def _log_out(tab) -> None:
    tab.submit("form.account button[type=submit]")


def test_admin_opens_an_office_and_creates_a_caseworker_who_logs_in(page, live):  # noqa: F811
    log_in(page, live, "admin")
    page.goto(live.url("/admin"))
    assert page.text("h1") == "Administration"
    assert_accessible(page)
    page.submit("a[href='/admin/offices']")
    assert_accessible(page)
    page.submit("a[href='/admin/office/new']")
    assert_accessible(page)

    page.type_into("#f-code", "pkr 1")
    page.type_into("#f-name", "Pokhara MRC")
    page.type_into("#f-country", "NP")
    page.type_into("#f-timezone", "Asia/Kathmandu")
    page.submit("form.stack button[type=submit]")
    assert page.text("#err-code"), "the code's error sits beside it"
    assert page.js("document.querySelector('#f-code').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    page.type_into("#f-code", "PKR-1")
    page.submit("form.stack button[type=submit]")
    (office_id,) = live.scalars(sa.select(Office.id).where(Office.code == "PKR-1"))
    assert page.js("location.pathname") == f"/admin/office/{office_id}"
    assert "Saved" in page.text("p.notice")
    assert_accessible(page)

    page.goto(live.url("/admin/users/new"))
    page.type_into("#f-username", "sita.gurung")
    page.type_into("#f-full_name", "Sita Gurung")
    page.set_value("#f-role", "caseworker")
    page.set_value("#f-office_id", str(office_id))
    page.type_into("#f-password", STRONG)
    page.submit("form.stack button[type=submit]")
    (user_office,) = live.scalars(sa.select(User.office_id).where(User.username == "sita.gurung"))
    assert user_office == office_id
    _log_out(page)

    page.goto(live.url("/login"))
    page.type_into("#username", "sita.gurung")
    page.type_into("#password", STRONG)
    page.submit("form.stack button[type=submit]")
    assert page.js("location.pathname") == "/work"  # a caseworker starts on My work
    assert "Sita Gurung" in page.text("header.site .who")
    _log_out(page)


def test_admin_edits_a_checklist_and_filters_the_audit_log(page, live):  # noqa: F811
    log_in(page, live, "admin")
    page.goto(live.url("/admin/programmes"))
    assert_accessible(page)
    (prog_id,) = live.scalars(sa.select(Programme.id).order_by(Programme.id).limit(1))
    page.submit(f"a[href='/admin/programmes/{prog_id}/checklist']")
    assert_accessible(page)
    page.click("#f-skip-financial_support")
    page.type_into("#f-add-0-key", "Local SIM")  # not a key: refused beside the field
    page.type_into("#f-add-0-title", "Local SIM card")
    page.set_value("#f-add-0-stage", "arrival")
    page.submit("form.checklist-config button[type=submit]")
    assert page.text("#err-add-0-key")
    assert_accessible(page)
    page.type_into("#f-add-0-key", "sim_card")
    page.submit("form.checklist-config button[type=submit]")
    assert "Saved the checklist" in page.text("p.notice")
    (config,) = live.scalars(sa.select(Programme.checklist_config).where(Programme.id == prog_id))
    assert "financial_support" in config["disabled"]
    assert [a["key"] for a in config["added"]] == ["sim_card"]
    assert_accessible(page)

    page.goto(live.url("/audit"))
    assert_accessible(page)
    page.type_into("#f-actor", "nobody.at.all")
    page.submit("form.filters button[type=submit]")
    assert "No user" in page.text("#err-actor")
    assert_accessible(page)
    page.type_into("#f-actor", "admin")
    page.type_into("#f-action", "programmes:")
    page.submit("form.filters button[type=submit]")
    assert "actor=admin" in page.js("location.search")
    assert "programmes:programme:update" in page.text("table.list")
    assert_accessible(page)
    _log_out(page)


def test_supervisor_previews_and_sends_a_campaign(page, live):  # noqa: F811
    log_in(page, live, "supervisor")
    page.goto(live.url("/campaigns/new"))
    assert_accessible(page)
    page.set_value("#f-template", "appointment_reminder")
    page.submit("form.filters button[type=submit]")
    assert_accessible(page)
    page.type_into("#f-name", "Orientation day")
    page.type_into("[id='f-params.what']", "Orientation")
    page.type_into("[id='f-params.place']", "Pokhara MRC")
    page.js("document.getElementById('f-params.date').value = '2026-12-14'")
    page.submit("form.stack button[type=submit]")
    assert page.text("h1") == "Preview: Orientation day"
    assert "participant" in page.text("#summary")
    assert_accessible(page)
    page.submit("form.stack button[type=submit]")  # without the confirmation
    assert page.text("#err-confirm")
    page.click("#f-confirm")
    page.submit("form.stack button[type=submit]")
    (campaign_id,) = live.scalars(sa.select(Campaign.id).where(Campaign.name == "Orientation day"))
    assert page.js("location.pathname") == f"/campaigns/{campaign_id}"
    queued = live.scalars(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign_id))
    assert page.text("#recipients") == str(queued[0])
    assert_accessible(page)
