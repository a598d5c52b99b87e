"""The account pages in a real Chromium: enrol a TOTP second factor, log in with a code, sign out
everywhere; the admin's security pages. axe-core checks each page."""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa

from journey.accounts.totp import UserTotp
from journey.core.auth import User, UserSession
from journey.core.db import db
from journey.demo.load import DEMO_PASSWORD
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _forget_used_codes(server, username: str) -> None:
    """As if a minute had passed: the last code's step no longer blocks the next login's."""
    with server.app.app_context(), db.job_session() as sess:
        uid = sess.scalar(sa.select(User.id).where(User.username == username))
        sess.get(UserTotp, uid).last_step = None


def _live_sessions(server, username: str) -> int:
    return len(server.scalars(sa.select(UserSession.id).join(User, User.id == UserSession.user_id)
                            .where(User.username == username, UserSession.ended_at.is_(None))))


def test_enrol_log_in_with_a_code_and_sign_out_everywhere(browser, page, live):  # noqa: F811
    log_in(page, live, "caseworker")
    page.goto(live.url("/account"))
    assert page.js("document.querySelector('h1').textContent") == "Your account"
    assert_accessible(page)

    page.submit("#totp-enrol")
    assert page.js("location.pathname") == "/account/totp"
    assert page.js("!!document.querySelector('figure svg')"), "the QR code"
    assert_accessible(page)
    secret = page.js("document.querySelector('#totp-secret').textContent").replace(" ", "")
    otp = pyotp.TOTP(secret)
    page.type_into("#code", otp.now())
    page.submit("form.stack button[type=submit]")
    assert page.js("location.pathname") == "/account"
    assert "Logins ask for a code" in page.js("document.body.innerText")

    # Log out, then back in: the password leads to the code.
    page.submit("header.site .account button")
    page.goto(live.url("/"))
    page.type_into("#username", "caseworker")
    page.type_into("#password", DEMO_PASSWORD)
    page.submit("form.stack button[type=submit]")
    assert page.js("location.pathname") == "/login/code"
    assert_accessible(page)
    page.type_into("#code", "000000" if otp.now() != "000000" else "111111")
    page.submit("form.stack button[type=submit]")
    assert page.js("document.querySelector('#code').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    page.type_into("#code", otp.at(time.time() + otp.interval))  # a step not used yet
    page.submit("form.stack button[type=submit]")
    assert page.js("location.pathname") in ("/participants", "/work")

    # A second browser (its own cookies) logs in too; signing out everywhere ends it.
    other = browser.new_page()
    try:
        _forget_used_codes(live, "caseworker")
        log_in(other, live, "caseworker")
        assert other.js("location.pathname") == "/login/code"
        other.type_into("#code", otp.now())
        other.submit("form.stack button[type=submit]")
        assert other.js("location.pathname") in ("/participants", "/work")
        assert _live_sessions(live, "caseworker") == 2

        page.goto(live.url("/account"))
        page.submit("#sign-out-everywhere")
        assert "Every other session has ended" in page.js("document.body.innerText")
        assert _live_sessions(live, "caseworker") == 1
        other.goto(live.url("/"))
        assert other.js("location.pathname") == "/login"
        page.goto(live.url("/"))
        assert page.js("location.pathname") in ("/participants", "/work")  # this browser was kept
    finally:
        other.close()


def test_admin_security_pages(page, live):  # noqa: F811
    log_in(page, live, "admin")
    (cw_id,) = live.scalars(sa.select(User.id).where(User.username == "caseworker"))
    page.goto(live.url(f"/admin/users/{cw_id}/security"))
    assert page.js("document.querySelector('h1').textContent").startswith("Sessions and tokens")
    assert_accessible(page)
    page.goto(live.url("/admin/security"))
    assert page.js("document.querySelectorAll('input[name=require_totp]').length") == 5
    assert_accessible(page)
