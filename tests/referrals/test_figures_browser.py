"""The closed-loop report page in a real headless Chromium, on the demo data: tables with
captions and headers, no serious axe-core violation, a refused period shown beside its field,
and in Arabic right to left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def test_the_report_page_is_accessible_and_refuses_a_backwards_period(page, live):  # noqa: F811
    log_in(page, live, "caseworker.lisbon")
    page.goto(live.url("/referrals/report"))
    assert page.text("h1") == "Closed-loop referral figures"
    assert "11 referrals sent" in page.text("#overall")
    assert "Emergency shelter for women" in page.text("#by-service")
    assert "Lisbon Job Centre (IEFP)" in page.text("#by-partner")
    assert page.exists("#by-sex caption") and page.exists("#by-sex th[scope=row]")
    assert_accessible(page)
    page.set_value("#f-since", "2026-03-02")
    page.set_value("#f-until", "2026-03-01")
    page.submit("form.filters button[type=submit]")
    assert "before its start" in page.text("#err-until")
    assert page.js("document.querySelector('#f-until').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)


def test_the_report_page_in_arabic_is_right_to_left(page, live):  # noqa: F811
    with live.app.app_context(), db.job_session() as sess:
        sess.execute(sa.update(User).where(User.username == "supervisor").values(language="ar"))
    try:
        log_in(page, live, "supervisor")
        page.goto(live.url("/referrals/report"))
        assert page.js("document.documentElement.dir") == "rtl"
        assert page.js("document.documentElement.lang") == "ar"
        assert_accessible(page)
    finally:
        with live.app.app_context(), db.job_session() as sess:
            sess.execute(sa.update(User).where(User.username == "supervisor")
                         .values(language="en"))
