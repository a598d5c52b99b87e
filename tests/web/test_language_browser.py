"""The language switch in a real headless Chromium, without JavaScript on our side: a visitor
picks Arabic on the login page (right-to-left), a caseworker switches their own pages to Arabic
and back from the header. And the API docs offer Swagger UI's Authorize button. Every page is
checked with axe-core."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _switch_to(tab, code: str) -> None:
    assert tab.js("(() => { const s = document.querySelector('#language-switch');"
                  f" s.value = {json.dumps(code)}; return s.value; }})()") == code
    mark = tab.mark()
    tab.click(".language-switch button[type=submit]")
    tab.wait_for_load(mark)


def _direction(tab) -> tuple[str, str]:
    return (tab.js("document.documentElement.lang"), tab.js("document.documentElement.dir"))


def _x(tab, selector: str) -> float:
    return tab.js(f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().x")


def test_a_visitor_and_a_caseworker_switch_to_arabic(page, live):  # noqa: F811
    page.goto(live.url("/login"))
    assert _direction(page) == ("en", "ltr")
    options = page.js("[...document.querySelectorAll('#language-switch option')]"
                      ".map(o => o.textContent)")
    assert "العربية" in options and "नेपाली" in options and "Français" in options
    _switch_to(page, "ar")
    assert page.js("location.pathname") == "/login"
    assert _direction(page) == ("ar", "rtl")
    # Right to left: the brand at the right, the switch at the left.
    assert _x(page, ".language-switch") < _x(page, "header.site .brand")
    assert_accessible(page)

    log_in(page, live, "caseworker")
    assert page.js("location.pathname") == "/work"
    assert _direction(page) == ("en", "ltr")  # their own setting, until they change it
    _switch_to(page, "ar")
    assert page.js("location.pathname") == "/work"
    assert _direction(page) == ("ar", "rtl")
    assert live.scalars(sa.select(User.language).where(User.username == "caseworker")) == ["ar"]
    assert _x(page, "header.site .account") < _x(page, "header.site .brand")
    assert_accessible(page)

    page.goto(live.url("/account"))
    assert _direction(page) == ("ar", "rtl")
    assert page.js("document.querySelector('#f-language').value") == "ar"
    assert_accessible(page)
    _switch_to(page, "en")
    assert page.js("location.pathname") == "/account"
    assert _direction(page) == ("en", "ltr")
    assert live.scalars(sa.select(User.language).where(User.username == "caseworker")) == ["en"]


def test_the_api_docs_offer_authorize(page, live):  # noqa: F811
    page.goto(live.url("/api/v1/docs"))
    assert page.wait_for("document.querySelectorAll('.opblock').length") > 5
    assert page.wait_for("document.querySelector('.auth-wrapper .authorize') !== null")
    # The padlock on an operation that needs a token, none on a public one.
    assert page.wait_for("document.querySelectorAll('.opblock .authorization__btn').length") > 5
