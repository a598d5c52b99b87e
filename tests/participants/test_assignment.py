"""The assigned caseworker through the API: who may be assigned, who may assign, the trail."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.timeline import recorded
from tests.factories import registration_body as _body


def _patch(client, factory, actor, p, **body):
    return client.patch(f"/api/v1/participants/{p.id}", headers=factory.headers(actor),
                        json={"version": p.version, **body})


def test_a_caseworker_who_registers_holds_the_case(client, factory, db_session):
    cw = factory.user("caseworker")
    body = client.post("/api/v1/participants/", json=_body(), headers=factory.headers(cw)).get_json()
    assert body["caseworker_id"] == cw.id
    # Registering is the case's start: no assignment entry until it changes hands.
    assert "caseworker_assigned" not in [e["kind"] for e in recorded(db_session, body["id"])]
    listed = client.get("/api/v1/participants/?unassigned=true", headers=factory.headers(cw))
    assert listed.get_json()["items"] == []
    mine = client.get(f"/api/v1/participants/?caseworker_id={cw.id}", headers=factory.headers(cw))
    assert [p["id"] for p in mine.get_json()["items"]] == [body["id"]]


def test_a_supervisor_registers_unassigned_or_names_a_caseworker(client, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    cw = factory.user("caseworker", office=office)
    h = factory.headers(sup)
    free = client.post("/api/v1/participants/", json=_body(), headers=h).get_json()
    assert free["caseworker_id"] is None
    named = client.post("/api/v1/participants/", headers=h, json=_body(
        phone="+9779812340000", given_name="Other", caseworker_id=cw.id)).get_json()
    assert named["caseworker_id"] == cw.id


def test_a_supervisor_reassigns_within_the_office_only(client, factory, db_session):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    cw = factory.user("caseworker", office=office)
    cw2 = factory.user("caseworker", office=office)
    p = factory.participant(cw)
    resp = _patch(client, factory, sup, p, caseworker_id=cw2.id)
    assert resp.status_code == 200 and resp.get_json()["caseworker_id"] == cw2.id
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "participants:participant:assign", AuditEvent.actor_id == sup.id)).one()
    assert event.details["caseworker_id"] == cw2.id
    assert event.details["previous_caseworker_id"] == cw.id
    kinds = [e["kind"] for e in recorded(db_session, p.id)]
    assert kinds.count("caseworker_assigned") == 1

    db_session.refresh(p)
    elsewhere = factory.user("caseworker")  # another office
    inactive = factory.user("caseworker", office=office)
    inactive.is_active = False
    db_session.flush()
    employer = factory.user("employer")
    for user in (elsewhere, inactive, employer):
        resp = _patch(client, factory, sup, p, caseworker_id=user.id)
        assert resp.status_code == 422, user.username
        assert resp.get_json()["errors"][0]["field"] == "caseworker_id"
    assert _patch(client, factory, sup, p, caseworker_id=999_999).status_code == 422
    assert _patch(client, factory, sup, p, caseworker_id=None).get_json()["caseworker_id"] is None


def test_a_caseworker_may_only_take_an_unassigned_case(client, factory, db_session):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    cw = factory.user("caseworker", office=office)
    cw2 = factory.user("caseworker", office=office)
    p = factory.participant(sup)
    assert p.caseworker_id is None
    # Not for someone else, even on a free case.
    resp = _patch(client, factory, cw, p, caseworker_id=cw2.id)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["code"] == "not-allowed"
    resp = _patch(client, factory, cw, p, caseworker_id=cw.id)
    assert resp.status_code == 200 and resp.get_json()["caseworker_id"] == cw.id
    db_session.refresh(p)
    # Taken: another caseworker cannot take it over, and the holder cannot drop it.
    assert _patch(client, factory, cw2, p, caseworker_id=cw2.id).status_code == 422
    assert _patch(client, factory, cw, p, caseworker_id=None).status_code == 422


def test_an_admin_reassigns_in_any_office(client, factory, db_session):
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    sup = factory.user("supervisor", office=office)
    admin = factory.user("admin")
    p = factory.participant(cw)
    resp = _patch(client, factory, admin, p, caseworker_id=sup.id)
    assert resp.status_code == 200 and resp.get_json()["caseworker_id"] == sup.id
