"""The My work page through the Flask test client: what each role sees, the links to the record,
dates in the user's language, and who may open it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.auth import User
from tests.web.test_pages import HTML, assert_html_page, log_in, text
from tests.workbench.helpers import build


@pytest.fixture
def world(factory, db_session):
    return build(factory, db_session)


def _page(client, user, query: str = "", *, login: bool = True):
    if login:
        log_in(client, user)
    resp = client.get(f"/work{query}", headers=HTML)
    assert_html_page(resp, 200)
    return resp


def test_a_caseworker_sees_their_work_linked_to_the_record(client, db_session, world):
    resp = _page(client, world.cw)
    body = text(resp)
    html = resp.get_data(as_text=True)
    assert "<h1>My work</h1>" in body
    mine = world.mine.id
    for anchor in ("checklist", "permits", "timeline"):
        assert f'href="/participants/{mine}#{anchor}"' in html
    linked = {int(i) for i in re.findall(r'href="/participants/(\d+)#', html)}
    assert linked == {mine}
    # The reply's text in full, and why each message failed or was skipped.
    assert "My passport is with the agent, help" in body
    assert "Skipped: no consent to messages." in body
    assert "The provider refused it (error 30003)." in body
    assert "was due" in body and "expires" in body and "expired" in body
    # A caseworker's page is not grouped; the header links the page.
    assert "By caseworker" not in body
    assert 'href="/work" aria-current="page">My work</a>' in html
    assert "waiting for triage" in body
    assert db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.actor_id == world.cw.id, AuditEvent.action == "workbench:reply:read")).all()


def test_the_triage_link_appears_only_when_triage_exists(app, client, world):
    html = _page(client, world.cw).get_data(as_text=True)
    has_triage = "messaging_pages.triage" in app.view_functions
    assert ('href="/messages/triage"' in html) == has_triage


def test_dates_follow_the_users_language(client, db_session, world):
    db_session.execute(sa.update(User).where(User.id == world.cw.id).values(language="fr"))
    db_session.flush()
    body = text(_page(client, world.cw))
    months = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc.")
    month = months[world.today.month - 1]
    assert f"{world.today.day} {month} {world.today.year}" in body


def test_a_supervisor_sees_the_office_grouped_by_caseworker(client, world):
    resp = _page(client, world.sup)
    body = text(resp)
    html = resp.get_data(as_text=True)
    assert "By caseworker" in body
    counts = body.partition("By caseworker")[2]
    assert counts.index("Asha Caseworker") < counts.index("Bikash Caseworker") < counts.index(
        "Unassigned")
    overdue = html.partition('id="overdue"')[2].partition("</section>")[0]
    assert "<h3>Asha Caseworker" in overdue and "<h3>Unassigned" in overdue
    for p in (world.mine, world.colleague, world.unassigned):
        assert f'href="/participants/{p.id}#checklist"' in overdue
    assert f"/participants/{world.elsewhere.id}#" not in html


def test_an_admin_filters_by_office(client, world):
    everyone = _page(client, world.admin).get_data(as_text=True)
    assert '<select id="office_id" name="office_id">' in everyone
    assert f"/participants/{world.elsewhere.id}#checklist" in everyone
    one = _page(client, world.admin, f"?office_id={world.other_office.id}",
                login=False).get_data(as_text=True)
    assert f'value="{world.other_office.id}" selected' in one
    assert f"/participants/{world.elsewhere.id}#checklist" in one
    assert f"/participants/{world.mine.id}#" not in one


def test_a_bad_filter_is_a_page_not_a_crash(client, world):
    log_in(client, world.admin)
    resp = client.get("/work?office_id=abc", headers=HTML)
    assert_html_page(resp, 422)


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_non_staff_cannot_open_it_nor_see_the_link(client, factory, role):
    user = factory.user(role)
    log_in(client, user)
    resp = client.get("/work", headers=HTML)
    assert_html_page(resp, 403)
    assert 'href="/work"' not in resp.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    resp = client.get("/work", headers=HTML)
    assert resp.status_code == 302 and "/login?next=/work" in resp.headers["Location"]


def test_an_empty_day_says_so(client, factory):
    cw = factory.user("caseworker")
    body = text(_page(client, cw))
    assert "Nothing overdue." in body and "No replies waiting." in body
