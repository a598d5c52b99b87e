"""The audit page in a real headless Chromium: an admin opens it, presses "Verify the chain" and
reads that the chain is intact; the page passes axe-core's serious and critical rules."""

from __future__ import annotations

import pytest

from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def test_admin_verifies_the_chain_from_the_audit_page(page, live):  # noqa: F811
    log_in(page, live, "admin")
    page.goto(live.url("/audit"))
    assert page.js("document.querySelector('h1').textContent") == "Audit log"
    rows = page.js("document.querySelectorAll('table.list tbody tr').length")
    assert rows == 25, "the demo's events, a page of them"
    assert_accessible(page)

    mark = page.mark()
    page.click("section.chain button[type=submit]")
    page.wait_for_load(mark)
    assert page.js("location.pathname") == "/audit"
    result = page.js("document.querySelector('#chain-result').textContent.replace(/\\s+/g, ' ')")
    assert "The chain is intact" in result, result
    assert_accessible(page)

    page.type_into("#f-action", "auditlog:")
    mark = page.mark()
    page.click(".filters button[type=submit]")
    page.wait_for_load(mark)
    actions = page.js("[...document.querySelectorAll('table.list tbody td:nth-of-type(2) code')]"
                      ".map(c => c.textContent)")
    assert actions == ["auditlog:chain:verify"]
