"""My work, the service and the API: each section holds its items and nothing else, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.errors import Forbidden, InvalidInput
from journey.workbench import services
from journey.workbench.services import SECTIONS
from tests.workbench.helpers import build, ids, item, permit


@pytest.fixture
def world(factory, db_session):
    return build(factory, db_session)


def _work(app, db_session, user, **kw):
    with app.test_request_context():
        return services.my_work(db_session, user, **kw)


def test_a_caseworker_sees_their_own_items_in_each_section(app, db_session, world):
    work = _work(app, db_session, world.cw)
    assert work["view"] == "mine" and work["today"] == world.today
    for section in ("overdue", "due", "permits_7", "permits_30", "permits_90", "permits_expired",
                    "replies", "problems"):
        assert ids(work, section) == world.ids[section], section
        assert work["sections"][section]["total"] == len(world.ids[section]), section
    shown = set().union(*(ids(work, s) for s in ("overdue", "due")))
    assert not shown & (world.ids["checklist_out"] | world.ids["colleague"]
                        | world.ids["unassigned"] | world.ids["elsewhere"])
    permits = set().union(*(ids(work, s) for s in SECTIONS if s.startswith("permits")))
    assert not permits & (world.ids["permits_out"] | world.ids["colleague_permit"]
                          | world.ids["elsewhere_permit"])
    assert not ids(work, "replies") & (world.ids["replies_out"] | world.ids["elsewhere_reply"])
    # The reply's text is shown; each item names its participant.
    reply = work["sections"]["replies"]["items"][0]
    assert reply["body"] == "My passport is with the agent, help"
    assert reply["participant_id"] == world.mine.id and reply["reference"] == world.mine.reference
    problems = {i["status"]: i for i in work["sections"]["problems"]["items"]}
    assert problems["skipped"]["skip_reason"] == "no_consent"
    assert problems["failed"]["last_error_code"] == "30003"
    assert work["triage"]["count"] >= 1
    assert [r["caseworker_id"] for r in work["caseworkers"]] == [world.cw.id]


def test_overdue_items_come_oldest_first_and_due_soonest_first(app, db_session, world):
    work = _work(app, db_session, world.cw)
    for section in ("overdue", "due"):
        dates = [i["due_date"] for i in work["sections"][section]["items"]]
        assert dates == sorted(dates)


def test_a_supervisor_sees_the_office_by_caseworker(app, db_session, world):
    work = _work(app, db_session, world.sup)
    assert work["view"] == "office"
    assert ids(work, "overdue") == (world.ids["overdue"] | world.ids["colleague"]
                                    | world.ids["unassigned"])
    assert ids(work, "permits_7") == world.ids["permits_7"] | world.ids["colleague_permit"]
    assert not ids(work, "replies") & world.ids["elsewhere_reply"]
    rows = work["caseworkers"]
    # By name, unassigned last.
    assert [r["caseworker_id"] for r in rows] == [world.cw.id, world.cw2.id, None]
    assert [r["name"] for r in rows] == ["Asha Caseworker", "Bikash Caseworker", None]
    by = {r["caseworker_id"]: r for r in rows}
    assert by[world.cw.id]["counts"]["overdue"] == 2
    assert by[world.cw2.id]["counts"] == {**dict.fromkeys(SECTIONS, 0), "overdue": 1,
                                          "permits_7": 1}
    assert by[None]["counts"]["overdue"] == 1 and by[None]["total"] == 1
    assert sum(r["counts"]["overdue"] for r in rows) == work["sections"]["overdue"]["total"]


def test_an_admin_sees_every_office_or_one(app, db_session, world):
    everyone = _work(app, db_session, world.admin)
    assert everyone["view"] == "all"
    assert world.ids["elsewhere"] <= ids(everyone, "overdue")
    assert world.ids["overdue"] <= ids(everyone, "overdue")
    one = _work(app, db_session, world.admin, office_id=world.other_office.id)
    assert ids(one, "overdue") == world.ids["elsewhere"]
    assert ids(one, "problems") == world.ids["elsewhere_problem"]
    assert [r["caseworker_id"] for r in one["caseworkers"]] == [world.other_cw.id]


def test_a_supervisor_cannot_filter_into_another_office(app, db_session, world):
    with pytest.raises(InvalidInput) as refused:
        _work(app, db_session, world.sup, office_id=world.other_office.id)
    assert refused.value.errors[0]["field"] == "office_id"


@pytest.mark.parametrize("who", ["cw", "admin"])
def test_an_office_that_does_not_exist_is_a_field_error_not_a_conflict(client, factory, world, who):
    """Found by the fuzzer: an unknown office id reached the audit event's foreign key (409)."""
    resp = client.get("/api/v1/my-work?office_id=88835", headers=factory.headers(getattr(world, who)))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "office_id"


def test_lists_are_capped_but_totals_count_everything(app, db_session, world):
    for n in range(4):
        item(db_session, world.mine, world.today - timedelta(days=20 + n))
    work = _work(app, db_session, world.cw, limit=2)
    assert len(work["sections"]["overdue"]["items"]) == 2
    assert work["sections"]["overdue"]["total"] == 6
    assert len(work["sections"]["problems"]["items"]) == 2
    assert work["sections"]["problems"]["total"] == 3


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_non_staff_are_refused(app, db_session, factory, role):
    with pytest.raises(Forbidden):
        _work(app, db_session, factory.user(role))


def test_reading_reply_texts_is_audited_per_participant(app, db_session, world):
    _work(app, db_session, world.sup)
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.actor_id == world.sup.id, AuditEvent.action == "workbench:reply:read")).all()
    assert [(e.object_type, e.object_id) for e in events] == [("participant", world.mine.id)]
    assert events[0].details["inbound_ids"] == sorted(world.ids["replies"])
    assert events[0].office_id == world.office.id
    # The text itself is never in the audit log.
    assert "passport" not in str(events[0].details)
    assert db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.actor_id == world.sup.id, AuditEvent.action == "workbench:work:read")).one()


def test_no_reply_no_reply_audit(app, db_session, world):
    _work(app, db_session, world.cw2)
    assert not db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.actor_id == world.cw2.id, AuditEvent.action == "workbench:reply:read")).all()


def test_queries_do_not_grow_with_the_caseload(app, db_session, factory, world, connection):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        _work(app, db_session, world.sup)
        small = len(statements)
        for _ in range(5):
            p = factory.participant(world.cw)
            item(db_session, p, world.today - timedelta(days=1))
            permit(db_session, p, world.today + timedelta(days=4))
        statements.clear()
        _work(app, db_session, world.sup)
        assert len(statements) == small
        assert small <= 13  # 12, and one for the referral sections
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)


# --- the API -------------------------------------------------------------------------------------

def test_the_api_answers_with_the_documented_schema(client, factory, world):
    resp = client.get("/api/v1/my-work", headers=factory.headers(world.cw))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"today", "view", "office_id", "limit", "sections", "triage", "caseworkers"}
    assert set(body["sections"]) == set(SECTIONS)
    overdue = body["sections"]["overdue"]
    assert overdue["total"] == 2 and {i["id"] for i in overdue["items"]} == world.ids["overdue"]
    first = overdue["items"][0]
    assert set(first) == {"id", "key", "title", "status", "stage", "due_date", "participant_id",
                          "reference", "given_name", "family_name", "office_id", "caseworker_id"}
    assert first["due_date"] == (world.today - timedelta(3)).isoformat()
    reply = body["sections"]["replies"]["items"][0]
    assert reply["body"] == "My passport is with the agent, help"
    assert "sender" not in reply
    assert body["caseworkers"][0]["counts"]["overdue"] == 2
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/my-work" in spec["paths"] or "/my-work" in spec["paths"]
    assert "MyWork" in spec["components"]["schemas"]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "office_id=0", "colour=red"])
def test_the_api_refuses_bad_queries(client, factory, world, query):
    resp = client.get(f"/api/v1/my-work?{query}", headers=factory.headers(world.cw))
    assert resp.status_code == 422


def test_the_api_filters_an_admin_by_office(client, factory, world):
    resp = client.get(f"/api/v1/my-work?office_id={world.other_office.id}&limit=5",
                      headers=factory.headers(world.admin))
    body = resp.get_json()
    assert resp.status_code == 200 and body["limit"] == 5
    assert {i["id"] for i in body["sections"]["overdue"]["items"]} == world.ids["elsewhere"]


@pytest.mark.parametrize("stage", ["closed", "reintegration", "local_track"])
def test_expired_permits_of_people_who_no_longer_need_one_are_left_out(app, db_session, factory,
                                                                          world, stage):
    from journey.participants.models import Participant
    from tests.workbench.helpers import assign

    p = factory.participant(world.cw)
    assign(db_session, p, world.cw)
    old = permit(db_session, p, world.today - timedelta(days=30))
    soon = permit(db_session, p, world.today + timedelta(days=3))
    db_session.execute(sa.update(Participant).where(Participant.id == p.id).values(stage=stage))
    db_session.flush()
    work = _work(app, db_session, world.cw)
    assert old.id not in ids(work, "permits_expired")
    assert ids(work, "permits_expired") == world.ids["permits_expired"]
    # A permit still valid is still worth a look whatever the stage.
    assert soon.id in ids(work, "permits_7")
