"""axe-core on every page a user can reach, not only on the pages the flows pass through.

For each staff role, Chromium crawls the demo site from the start page, following every local
link (breadth first; one page per address pattern, so one participant's pages stand for
all), and runs axe-core on each: no serious or critical violation anywhere. The public pages a
migrant opens (welcome and return information, credential and card checks) are crawled the same
way without logging in. Each page is also checked to be in the language the user chose: the
admin crawls in Arabic, right to left.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from tests.web.axe import violations
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# Addresses a crawl must not follow: they end the session or are not pages.
SKIP = re.compile(r"^/(logout|api/|static/|webhooks/|\.well-known/)|/export$|\.(zip|json|png|svg)$")
PER_PATTERN = 1
LIMIT = 140


def _pattern(path: str) -> str:
    """The address with ids, tokens and the query string left out: one page stands for all."""
    path = path.split("?", 1)[0]
    return re.sub(r"/\d+", "/N", re.sub(r"/[0-9a-f-]{20,}", "/T", path))


def _crawl(tab, live, start: list[str]) -> tuple[list[str], list[str]]:  # noqa: F811
    """Visit pages breadth first from `start`; return (visited paths, axe failures)."""
    queue, seen, per_pattern, failures = list(start), set(), Counter(), []
    while queue and len(seen) < LIMIT:
        path = queue.pop(0)
        pattern = _pattern(path)
        if path in seen or SKIP.search(path) or per_pattern[pattern] >= PER_PATTERN:
            continue
        seen.add(path)
        per_pattern[pattern] += 1
        tab.goto(live.url(path))
        if tab.js("document.contentType") != "text/html":
            continue
        for v in violations(tab):
            nodes = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            failures.append(f"{path}: {v['id']} ({v['impact']}) {v['help']} at {nodes}")
        links = tab.js("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
                       ".filter(h => h.startsWith('/') && !h.startsWith('//'))"
                       ".map(h => h.split('#')[0])")
        queue.extend(h for h in links if h and h not in seen)
    return sorted(seen), failures


@pytest.mark.parametrize("role", ["caseworker", "supervisor"])
def test_every_page_a_staff_member_reaches_is_accessible(page, live, role):  # noqa: F811
    log_in(page, live, role)
    visited, failures = _crawl(page, live, ["/", "/participants", "/account"])
    assert len(visited) >= 25, f"the crawl reached only {visited}"
    assert any(p.startswith("/participants/") and p.count("/") == 2 for p in visited)
    assert not failures, "\n".join(failures)


def test_every_page_an_admin_reaches_in_arabic_is_accessible(page, live):  # noqa: F811
    with live.app.app_context(), db.job_session() as sess:
        sess.execute(sa.update(User).where(User.username == "admin").values(language="ar"))
    try:
        log_in(page, live, "admin")
        visited, failures = _crawl(page, live, ["/", "/admin", "/participants", "/audit",
                                                "/campaigns/new", "/messages/triage"])
        assert page.js("document.documentElement.dir") == "rtl"
    finally:
        with live.app.app_context(), db.job_session() as sess:
            sess.execute(sa.update(User).where(User.username == "admin").values(language="en"))
    assert len(visited) >= 30, f"the crawl reached only {visited}"
    assert {"/admin/offices", "/admin/programmes", "/admin/organisations"} <= set(visited)
    assert not failures, "\n".join(failures)


def test_every_public_page_is_accessible(page, live):  # noqa: F811
    visited, failures = _crawl(page, live, ["/login", "/welcome", "/return", "/verify",
                                            "/password/reset/not-a-token", "/shared/not-a-token"])
    assert {"/login", "/welcome", "/return", "/verify"} <= set(visited)
    assert not failures, "\n".join(failures)
