"""Confidentiality in a real headless Chromium, on the demo data: the supervisor finds the
restricted harassment case masked, breaks the glass with a written reason (too short first: the
error beside the field), and then sees it; the focal point is told by email. The break-glass and
patterns pages are checked with axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from journey.demo.grievances import FOCAL_EMAIL
from journey.grievances import access, glass
from journey.grievances.models import Grievance
from notifications.models import OutboxMessage
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _restricted(live):  # noqa: F811
    """The demo's restricted case: its id, reference and description."""
    with live.app.app_context(), db.job_session() as sess:
        g = sess.scalars(sa.select(Grievance).where(
            Grievance.confidentiality == "restricted")).one()
        return g.id, g.reference, g.description


def _sees_full(live, grievance_id: int) -> bool:  # noqa: F811
    with live.app.app_context(), db.job_session() as sess:
        user = sess.scalars(sa.select(User).where(User.username == "supervisor")).one()
        return access.sees_full(sess, user, sess.get(Grievance, grievance_id))


def test_a_supervisor_breaks_the_glass_and_then_sees_the_grievance(page, live):  # noqa: F811
    gid, reference, description = _restricted(live)
    assert not _sees_full(live, gid)
    log_in(page, live, "supervisor")

    page.goto(live.url(f"/grievances/{gid}/break-glass"))
    assert reference in page.text("h1")
    shown = page.text("main")
    assert reference in page.text("#masked-facts") and description not in shown
    assert_accessible(page)

    page.type_into("#f-reason", "urgent")  # too short: refused beside the field
    page.submit("form.card button[type=submit]")
    assert "15 characters" in page.text("#err-reason")
    assert page.js("document.querySelector('#f-reason').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)

    page.set_value("#f-reason", "The focal point is on leave and the case needs a safety plan today.")
    page.submit("form.card button[type=submit]")
    assert page.js("location.pathname") == f"/grievances/{gid}"
    assert _sees_full(live, gid)
    if page.exists("main h1") and reference in page.text("main h1"):
        # The grievance's own page (the staff pages') now shows it in full.
        assert description in page.text("main")
    told = live.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == glass.TEMPLATE))
    assert [m.recipient for m in told] == [FOCAL_EMAIL]
    assert reference in told[0].body and description not in told[0].body

    # No glass to break any more: the page says so, with no form.
    page.goto(live.url(f"/grievances/{gid}/break-glass"))
    assert page.exists("#already") and not page.exists("#f-reason")


def test_the_patterns_page_is_a_table_for_the_supervisor(page, live):  # noqa: F811
    log_in(page, live, "supervisor")
    page.goto(live.url("/grievances/patterns"))
    assert page.text("h1") == "Patterns of complaints"
    assert "Himalayan Manpower" in page.text("#by-recruiter")
    assert page.exists("#by-month") and page.exists("#by-category")
    assert_accessible(page)
    page.set_value("#f-from", "2000-01-01")
    page.set_value("#f-to", "2000-01-31")
    page.submit("form.filters button[type=submit]")
    assert "0 grievances" in page.text("#total")


def test_the_focal_points_page_lists_kathmandus_protection_officer(page, live):  # noqa: F811
    log_in(page, live, "supervisor")
    page.goto(live.url("/grievances/focal-points"))
    assert "Pema Protection Officer" in page.text("#focal-points")
    assert page.exists("#f-user_id")
    assert_accessible(page)
