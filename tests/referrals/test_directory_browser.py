"""The directory in a real headless Chromium: a supervisor adds a location and a service (an
error beside a field first), and a caseworker finds the service by category and language. Every
page is checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.organisations.models import ServiceProvider
from journey.referrals.models import DirectoryService
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

NAME = "Nepali-speaking legal clinic (browser test)"


def test_a_supervisor_adds_a_service_and_a_caseworker_finds_it(page, live):  # noqa: F811
    provider_id = live.scalars(sa.select(ServiceProvider.id).where(
        ServiceProvider.name == "Lisbon Job Centre (IEFP)"))[0]
    log_in(page, live, "supervisor")
    page.goto(live.url("/directory"))
    assert page.text("h1") == "Service directory"
    assert page.exists('header.site nav a[href="/directory"]')
    assert_accessible(page)

    # A location first.
    page.submit('a[href="/directory/locations/new"]')
    assert page.text("h1") == "Add a location"
    assert_accessible(page)
    page.set_value("#f-provider_id", str(provider_id))
    page.type_into("#f-name", "Legal desk, Martim Moniz")
    page.type_into("#f-address", "Praça do Martim Moniz 1")
    page.type_into("#f-city", "Lisboa")
    page.type_into("#f-country", "PT")
    page.submit("#save-location")
    assert page.js("location.pathname") == "/directory"

    # The service: a closing time before the opening is refused beside the day.
    page.submit('a[href="/directory/services/new"]')
    assert page.text("h1") == "Add a service"
    assert_accessible(page)
    page.set_value("#f-provider_id", str(provider_id))
    page.type_into("#f-name", NAME)
    page.click("input[name=categories][value=legal_aid]")
    page.type_into("#f-languages", "ne pt")
    page.type_into("#f-areas", "Lisboa")
    page.click("input[name=location_ids] + label")  # the one location of the provider
    page.set_value("#f-opens_1", "18:00")
    page.set_value("#f-closes_1", "09:00")
    page.submit("#save-service")
    assert page.text("#err-hours_1")
    assert page.js("document.querySelector('#f-closes_1').getAttribute('aria-invalid')") == "true"
    assert page.js("document.querySelector('#f-name').value") == NAME  # kept
    assert_accessible(page)
    page.set_value("#f-opens_1", "09:00")
    page.set_value("#f-closes_1", "13:00")
    page.submit("#save-service")
    assert page.text("h1") == NAME
    assert "Legal aid" in page.text("main") and "Nepali" in page.text("main")
    assert re.search(r"9:00\sAM–1:00\sPM", page.text("#hours"))
    assert page.exists("#confirm-today")
    assert_accessible(page)
    service_id = live.scalars(sa.select(DirectoryService.id).where(
        DirectoryService.name == NAME))[0]

    # A caseworker finds it by category and language.
    page.submit("header.site .account button")
    log_in(page, live, "caseworker")
    page.goto(live.url("/directory"))
    page.set_value("#category", "legal_aid")
    page.set_value("#language", "ne")
    page.submit(".filters button[type=submit]")
    assert "category=legal_aid" in page.js("location.search")
    assert "language=ne" in page.js("location.search")
    assert NAME in page.text("#results")
    assert_accessible(page)
    page.submit(f'#results a[href="/directory/services/{service_id}"]')
    assert page.text("h1") == NAME
    assert "Praça do Martim Moniz 1" in page.text("#locations")
    assert not page.exists("#confirm-today")  # caseworkers read, never keep
    assert_accessible(page)
