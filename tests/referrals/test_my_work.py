"""Referrals in My work: due within two days, overdue (and expired in the last 30 days) and
declined in the last 30 days; a caseworker's own participants, a supervisor's office by
caseworker, an admin's every office; in the page and the API."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from journey.core.db import utcnow
from journey.referrals import scan
from journey.workbench import services as work
from tests.referrals.helpers import CONSENTS, move, person, refer, setting
from tests.referrals.test_deadlines import partner_calls  # noqa: F401 - an autouse fixture
from tests.web.test_pages import HTML, assert_html_page, log_in, text

DAY = timedelta(days=1)


@dataclass
class World:
    now: Any
    s: Any
    cw: Any
    cw2: Any
    sup: Any
    r: dict[str, Any]


def _refer(app, sess, s, p):
    return refer(app, sess, replace(s, caseworker=s.admin), p)


@pytest.fixture
def world(app, factory, db_session) -> World:
    s = setting(factory, db_session)
    office = s.caseworker.office_id
    cw, sup = s.caseworker, factory.user("supervisor", office_id=office, full_name="Sup")
    cw2 = factory.user("caseworker", office_id=office, full_name="Zed Colleague")
    mine, theirs = (person(factory, s, caseworker_id=u.id) for u in (cw, cw2))
    elsewhere = factory.participant(s.admin, office_id=factory.office().id, consents=CONSENTS)
    now = utcnow()
    r: dict[str, Any] = {}

    def sent(name, p, due_in):
        r[name] = _refer(app, db_session, s, p)
        r[name].response_due_at = now + due_in
        r[name].remind_at = now + due_in / 2
        return r[name]

    def working(name, p, due_in, *, progress=False):
        ref = _refer(app, db_session, s, p)
        move(app, db_session, s.partner, ref, "accept")
        if progress:
            move(app, db_session, s.partner, ref, "progress", note="Met once")
        ref.complete_due_at = now + due_in
        r[name] = ref

    def closed(name, p, event, ago, **data):
        ref = _refer(app, db_session, s, p)
        move(app, db_session, s.partner if event == "decline" else s.admin, ref, event, **data)
        ref.closed_at = now - ago
        r[name] = ref

    # What the scan sees: a missed completion (escalated, still open), and two expired: one
    # now, one 40 days ago (no longer news).
    working("finish_late", mine, -3 * DAY, progress=True)
    sent("expired", mine, -DAY)
    sent("expired_old", mine, -41 * DAY)
    db_session.flush()
    with app.test_request_context():
        scan.scan(db_session, now)
    db_session.expire_all()
    r["expired_old"].closed_at = now - 40 * DAY
    # Made after the scan: overdue, not yet expired.
    sent("late", mine, -2 * DAY)
    sent("colleague_late", theirs, -DAY)
    sent("elsewhere_late", elsewhere, -DAY)
    sent("due", mine, DAY)
    sent("later", mine, 5 * DAY)
    working("finish_soon", mine, DAY)
    working("finish_later", mine, 10 * DAY)
    closed("declined", mine, "decline", 3 * DAY, reason="no_capacity")
    closed("declined_old", mine, "decline", 40 * DAY, reason="outside_area")
    closed("withdrawn", mine, "withdraw", DAY, reason="no_longer_needed")
    db_session.flush()
    return World(now, s, cw, cw2, sup, r)


def _work(app, sess, user, **kw):
    with app.test_request_context():
        return work.my_work(sess, user, **kw)


def _refs(w, work_, section) -> set[str]:
    names = {r.id: n for n, r in w.r.items()}
    return {names.get(i["id"], i["id"]) for i in work_["sections"][section]["items"]}


def test_a_caseworker_sees_their_own_due_overdue_and_declined(app, db_session, world):
    mine = _work(app, db_session, world.cw, now=world.now)
    assert _refs(world, mine, "referrals_due") == {"due", "finish_soon"}
    assert _refs(world, mine, "referrals_overdue") == {"late", "finish_late", "expired"}
    assert _refs(world, mine, "referrals_declined") == {"declined"}
    assert mine["sections"]["referrals_overdue"]["total"] == 3
    items = {i["id"]: i for i in mine["sections"]["referrals_overdue"]["items"]}
    late = items[world.r["finish_late"].id]
    assert (late["deadline"], late["state"]) == ("completion", "in_progress")
    assert late["escalated_at"] is not None  # the scan escalated the missed completion
    assert items[world.r["expired"].id]["state"] == "expired"
    assert late["service_name"] == world.s.service.name
    assert late["provider_name"] == world.s.provider.name
    # Overdue longest ago first; due soonest first.
    overdue = [i["due_at"] for i in mine["sections"]["referrals_overdue"]["items"]]
    assert overdue == sorted(overdue)
    declined = mine["sections"]["referrals_declined"]["items"][0]
    assert declined["decline_reason"] == "no_capacity"
    assert [r["caseworker_id"] for r in mine["caseworkers"]] == [world.cw.id]


def test_a_supervisor_sees_the_office_by_caseworker_and_an_admin_every_office(app, db_session,
                                                                              world):
    office = _work(app, db_session, world.sup, now=world.now)
    assert _refs(world, office, "referrals_overdue") == {"late", "finish_late", "expired",
                                                         "colleague_late"}
    by = {r["caseworker_id"]: r["counts"] for r in office["caseworkers"]}
    assert by[world.cw.id]["referrals_overdue"] == 3
    assert by[world.cw2.id]["referrals_overdue"] == 1
    assert by[world.cw.id]["referrals_due"] == 2 and by[world.cw.id]["referrals_declined"] == 1
    everyone = _work(app, db_session, world.s.admin, now=world.now)
    assert "elsewhere_late" in _refs(world, everyone, "referrals_overdue")
    one = _work(app, db_session, world.s.admin, now=world.now,
                office_id=world.cw.office_id)
    assert "elsewhere_late" not in _refs(world, one, "referrals_overdue")


def test_the_limit_keeps_every_count(app, db_session, world):
    office = _work(app, db_session, world.sup, now=world.now, limit=1)
    section = office["sections"]["referrals_overdue"]
    assert len(section["items"]) == 1 and section["total"] == 4
    assert sum(r["counts"]["referrals_overdue"] for r in office["caseworkers"]) == 4


def test_the_page_and_the_api_show_the_referral_sections(client, factory, world):
    log_in(client, world.cw)
    resp = client.get("/work", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert 'Overdue and expired referrals <span class="count">(3)</span>' in body
    assert 'Referrals due within 2 days <span class="count">(2)</span>' in body
    assert 'Referrals declined in the last 30 days <span class="count">(1)</span>' in body
    html = resp.get_data(as_text=True)
    assert f'href="/referrals/{world.r["finish_late"].id}"' in html
    assert world.r["later"].reference not in html
    assert world.r["declined_old"].reference not in html
    api = client.get("/api/v1/my-work", headers=factory.headers(world.cw))
    assert api.status_code == 200
    sections = api.get_json()["sections"]
    assert {i["reference"] for i in sections["referrals_due"]["items"]} == {
        world.r["due"].reference, world.r["finish_soon"].reference}
    assert sections["referrals_declined"]["total"] == 1


def test_partners_and_employers_have_no_my_work(client, factory, world):
    assert client.get("/api/v1/my-work",
                      headers=factory.headers(world.s.partner)).status_code == 403
