"""The account lifecycle in a real headless Chromium: an admin creates a user (a weak password
first), deactivates them, makes a reset link; the user sets a password through it and logs in.
Every page on the way is checked with axe-core."""

from __future__ import annotations

from urllib.parse import urlsplit

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

STRONG = "plum kettle orbit saffron"


def test_admin_creates_deactivates_and_resets_a_user_who_then_logs_in(page, live, browser):  # noqa: F811
    log_in(page, live, "admin")
    page.goto(live.url("/admin/users"))
    assert page.text("h1") == "Users"
    assert_accessible(page)

    page.goto(live.url("/admin/users/new"))
    assert_accessible(page)
    page.type_into("#f-username", "pema.sherpa")
    page.type_into("#f-full_name", "Pema Sherpa")
    page.set_value("#f-role", "caseworker")
    office_value = page.js("document.querySelector('#f-office_id option:nth-child(2)').value")
    page.set_value("#f-office_id", office_value)
    page.type_into("#f-password", "aaaaaaaaaaaa")
    page.submit("form.stack button[type=submit]")
    # The error sits beside the password field, tied to it for screen readers.
    assert "too easy to guess" in page.text("#err-password")
    assert page.js("document.querySelector('#f-password').getAttribute('aria-invalid')") == "true"
    assert page.js("document.querySelector('#f-username').value") == "pema.sherpa"
    assert_accessible(page)

    page.type_into("#f-password", STRONG)
    page.submit("form.stack button[type=submit]")
    (user_id,) = live.scalars(sa.select(User.id).where(User.username == "pema.sherpa"))
    assert page.js("location.pathname") == f"/admin/users/{user_id}"
    assert "created" in page.text("p.notice")
    assert_accessible(page)

    page.set_value("#f-deactivate-reason", "leave")
    page.click("#f-confirm")
    page.submit("#deactivate")
    assert page.text("#status").startswith("Deactivated")
    assert live.scalars(sa.select(User.is_active).where(User.id == user_id)) == [False]
    assert_accessible(page)

    page.set_value("#f-reactivate-reason", "returned")
    page.submit("#reactivate")
    assert page.text("#status") == "Active"
    page.submit("#make-reset-link")
    shown = page.js("document.querySelector('#reset-link').value")
    # The link is on the public address (JOURNEY_PUBLIC_BASE_URL); here, the test server's.
    assert shown.startswith(live.app.config["PUBLIC_BASE_URL"] + "/password/reset/")
    link = live.url(urlsplit(shown).path)
    assert_accessible(page)

    # The user, in a browser of their own, opens the link and sets a password.
    theirs = browser.new_page()
    try:
        theirs.goto(link)
        assert theirs.text("h1") == "Set a new password"
        assert_accessible(theirs)
        theirs.type_into("#f-password", STRONG + " tea")
        theirs.type_into("#f-password_again", STRONG + " tea")
        theirs.submit("form.stack button[type=submit]")
        assert theirs.js("location.pathname") == "/login"
        theirs.type_into("#username", "pema.sherpa")
        theirs.type_into("#password", STRONG + " tea")
        theirs.submit("form.stack button[type=submit]")
        assert theirs.js("location.pathname") in ("/participants", "/work")
        assert "Pema Sherpa" in theirs.text("header.site .who")
        # The link worked once.
        theirs.goto(link)
        assert theirs.text("h1") == "This link has already been used"
        assert_accessible(theirs)
        theirs.goto(live.url("/account/password"))
        assert_accessible(theirs)
    finally:
        theirs.close()
