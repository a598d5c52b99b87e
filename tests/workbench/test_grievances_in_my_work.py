"""Grievances in My work: due within two days and breached (a caseworker's assigned ones, a
supervisor's office), escalations addressed to the user (unseen first, seen by a button or by
opening the grievance), restricted ones masked, and the page still a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.grievances import queries, services, sla
from journey.grievances.models import Channel, Escalation, FocalPoint, Grievance
from journey.workbench import services as work_services
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text


@dataclass
class World:
    now: Any
    office: Any
    cw: Any
    cw2: Any
    sup: Any
    focal: Any
    g: dict[str, Any]
    people: dict[str, Any]


def _log(app, db_session, actor, assignee, *, due_in, participant=None, category="wages",
         received_ago=timedelta(days=1), **values):
    now = utcnow()
    with app.test_request_context():
        g, _code = services.intake(db_session, actor, {
            "category": category, "severity": "medium", "description": "Unpaid for months",
            "assignee_id": assignee.id if assignee else None}, channel=Channel.STAFF,
            participant=participant, now=now - received_ago)
    db_session.execute(sa.update(Grievance).where(Grievance.id == g.id).values(
        ack_due_at=now + due_in, resolve_due_at=now + due_in + timedelta(days=10), **values))
    return g


@pytest.fixture
def world(app, factory, db_session):
    office = factory.office()
    cw = factory.user("caseworker", office, full_name="Asha Caseworker")
    cw2 = factory.user("caseworker", office, full_name="Bikash Caseworker")
    sup = factory.user("supervisor", office, email="sup@example.org")
    focal = factory.user("caseworker", office, full_name="Chandra Focal")
    db_session.add(FocalPoint(office_id=office.id, user_id=focal.id, created_at=utcnow()))
    other = factory.office()
    other_cw = factory.user("caseworker", other)
    people = {"mine": factory.participant(cw, given_name="Sita", family_name="Tamang"),
              "hidden": factory.participant(cw2, given_name="Maya", family_name="Gurung")}
    h = timedelta(hours=1)
    g = {
        "due": _log(app, db_session, cw, cw, due_in=20 * h, participant=people["mine"]),
        "breached": _log(app, db_session, cw, cw, due_in=-3 * h),
        "later": _log(app, db_session, cw, cw, due_in=5 * 24 * h),
        "colleague": _log(app, db_session, cw2, cw2, due_in=30 * h),
        "restricted": _log(app, db_session, cw2, cw2, due_in=-h, category="harassment_gbv",
                           participant=people["hidden"]),
        # Logged by the supervisor (who takes it), then left to no one.
        "unassigned": _log(app, db_session, sup, None, due_in=10 * h, assignee_id=None),
        "paused": _log(app, db_session, cw, cw, due_in=-5 * h, state="waiting",
                       clock_paused_at=utcnow() - 24 * h, acknowledged_at=utcnow()),
        "elsewhere": _log(app, db_session, other_cw, other_cw, due_in=h),
    }
    # Acknowledged: the resolution deadline governs, and it is a day away.
    g["resolving"] = _log(app, db_session, cw, cw, due_in=-48 * h, state="acknowledged",
                          acknowledged_at=utcnow())
    db_session.execute(sa.update(Grievance).where(Grievance.id == g["resolving"].id)
                       .values(resolve_due_at=utcnow() + 24 * h))
    db_session.flush()
    db_session.expire_all()
    return World(utcnow(), office, cw, cw2, sup, focal, g, people)


def _work(app, db_session, user, **kw):
    with app.test_request_context():
        return work_services.my_work(db_session, user, **kw)


def _ids(work, section):
    return {i["id"] for i in work["sections"][section]["items"]}


def test_a_caseworker_sees_their_grievances_due_and_breached(app, db_session, world):
    work = _work(app, db_session, world.cw)
    g = world.g
    assert _ids(work, "grievances_due") == {g["due"].id, g["resolving"].id}
    assert _ids(work, "grievances_breached") == {g["breached"].id}
    assert work["sections"]["grievances_due"]["total"] == 2
    by_id = {i["id"]: i for i in work["sections"]["grievances_due"]["items"]}
    item = by_id[g["due"].id]
    assert item["deadline"] == "acknowledge" and item["masked"] is False
    assert (item["given_name"], item["family_name"]) == ("Sita", "Tamang")
    assert item["reference"] == g["due"].reference
    assert by_id[g["resolving"].id]["deadline"] == "resolve"
    # Soonest first.
    dues = [i["due_at"] for i in work["sections"]["grievances_due"]["items"]]
    assert dues == sorted(dues)
    assert work["sections"]["escalations"] == {"total": 0, "items": [], "unseen": 0}


def test_a_supervisor_sees_the_office_and_a_restricted_grievance_masked(app, db_session, world):
    work = _work(app, db_session, world.sup)
    g = world.g
    assert _ids(work, "grievances_due") == {g["due"].id, g["resolving"].id, g["colleague"].id,
                                            g["unassigned"].id}
    assert _ids(work, "grievances_breached") == {g["breached"].id, g["restricted"].id}
    masked = next(i for i in work["sections"]["grievances_breached"]["items"]
                  if i["id"] == g["restricted"].id)
    assert masked["masked"] is True
    assert masked["reference"] == g["restricted"].reference and masked["due_at"] is not None
    for name in ("participant_id", "given_name", "family_name", "participant_reference",
                 "category", "state"):
        assert masked[name] is None, name
    by = {r["caseworker_id"]: r["counts"] for r in work["caseworkers"]}
    assert by[world.cw.id]["grievances_due"] == 2 and by[world.cw.id]["grievances_breached"] == 1
    assert by[world.cw2.id]["grievances_breached"] == 1 and by[None]["grievances_due"] == 1
    # The focal point (and the assignee) see it in full.
    assignee = _work(app, db_session, world.cw2)
    full = next(i for i in assignee["sections"]["grievances_breached"]["items"]
                if i["id"] == g["restricted"].id)
    assert full["masked"] is False and full["given_name"] == "Maya"
    # Which grievances were listed, and which in full, is audited (ids only).
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.actor_id == world.sup.id,
        AuditEvent.action == "grievances:grievance:list")).one()
    assert g["restricted"].id in event.details["grievance_ids"]
    assert g["restricted"].id not in event.details["unmasked_ids"]


def test_escalations_show_unseen_first_and_are_seen_by_button_or_by_opening(
        app, client, factory, db_session, world):
    with app.test_request_context():
        result = sla.scan(db_session, world.now)
    assert result["escalated"] == 2  # breached and restricted (the paused one is not)
    db_session.expire_all()
    work = _work(app, db_session, world.sup)
    section = work["sections"]["escalations"]
    assert section["total"] == 2 and section["unseen"] == 2
    assert _ids(work, "escalations") == {world.g["breached"].id, world.g["restricted"].id}
    restricted = next(i for i in section["items"] if i["id"] == world.g["restricted"].id)
    assert restricted["masked"] is True and restricted["given_name"] is None
    # The focal point sees the restricted one in full.
    focal = _work(app, db_session, world.focal)["sections"]["escalations"]["items"]
    assert next(i for i in focal if i["id"] == world.g["restricted"].id)["given_name"] == "Maya"

    # Opening the grievance marks it seen; the other stays first, unseen.
    with app.test_request_context():
        queries.read(db_session, world.sup, world.g["breached"].id)
    work = _work(app, db_session, world.sup)
    items = work["sections"]["escalations"]["items"]
    assert work["sections"]["escalations"]["unseen"] == 1
    assert items[0]["id"] == world.g["restricted"].id and items[0]["seen_at"] is None
    assert items[1]["seen_at"] is not None

    # The button on the page.
    log_in(client, world.sup)
    page = client.get("/work", headers=HTML)
    assert_html_page(page, 200)
    html = page.get_data(as_text=True)
    assert "Escalated to you" in html and world.g["restricted"].reference in html
    for name in ("escalations", "grievances_breached"):
        section = html.partition(f'id="{name}"')[2].partition("</section>")[0]
        assert world.g["restricted"].reference in section
        # Her own checklist items are listed elsewhere on the page; here she is not named.
        assert "Maya" not in section and "Gurung" not in section
    resp = client.post(f"/work/escalations/{restricted['escalation_id']}/seen", headers=HTML,
                       data={"csrf_token": csrf_token(client, "/work")})
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.scalar(sa.select(Escalation.seen_at).where(
        Escalation.id == restricted["escalation_id"])) is not None
    # Someone else's escalation is not theirs to mark.
    theirs = db_session.scalar(sa.select(Escalation.id).where(
        Escalation.user_id == world.focal.id))
    assert client.post(f"/api/v1/my-work/escalations/{theirs}/seen",
                       headers=factory.headers(world.sup)).status_code == 404
    assert client.post(f"/api/v1/my-work/escalations/{theirs}/seen",
                       headers=factory.headers(world.focal)).status_code == 204


def test_the_page_and_the_api_show_the_grievance_sections(client, factory, world):
    log_in(client, world.cw)
    resp = client.get("/work", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert 'Breached grievances <span class="count">(1)</span>' in body
    assert 'Grievances due within 2 days <span class="count">(2)</span>' in body
    html = resp.get_data(as_text=True)
    assert f'href="/grievances/{world.g["due"].id}"' in html
    assert world.g["later"].reference not in html and world.g["paused"].reference not in html
    api = client.get("/api/v1/my-work", headers=factory.headers(world.cw)).get_json()
    item = api["sections"]["grievances_breached"]["items"][0]
    assert item["id"] == world.g["breached"].id and item["deadline"] == "acknowledge"
    assert item["masked"] is False and item["sla_status"] in ("on_track", "breached")
    assert api["sections"]["escalations"]["unseen"] == 0


def test_queries_stay_bounded_with_grievances(app, db_session, factory, world, connection):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    with app.test_request_context():
        sla.scan(db_session, world.now)
    db_session.refresh(world.sup)  # loaded before counting: the page's own queries only
    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        _work(app, db_session, world.sup)
        small = len(statements)
        first = list(statements)
        for _ in range(6):
            _log(app, db_session, world.cw, world.cw2, due_in=-timedelta(hours=2))
            _log(app, db_session, world.cw, world.cw, due_in=timedelta(hours=2),
                 category="harassment_gbv")
        db_session.flush()
        with app.test_request_context():
            sla.scan(db_session, utcnow())
        db_session.refresh(world.sup)
        statements.clear()
        work = _work(app, db_session, world.sup)
        assert work["sections"]["grievances_breached"]["total"] == 2 + 6
        assert work["sections"]["escalations"]["total"] == 2 + 6
        assert len(statements) == small, "\n".join(s[:150] for s in first)
        assert small <= 13  # 12, and one for the referral sections
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)
