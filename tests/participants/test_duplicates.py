"""Finding 2 of issue #11: the duplicate check must not leak records across offices.

In scope, a likely duplicate names the existing record; out of scope it says only "elsewhere,
ask your supervisor". Every hit is audited with ids only, and out-of-scope hits are capped.
"""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.participants.duplicates import ELSEWHERE, FOUND
from tests.factories import registration_body as _body

URL = "/api/v1/participants/"


def _two_offices(factory):
    home = factory.user("caseworker")
    away = factory.user("caseworker")  # a caseworker of another office
    assert home.office_id != away.office_id
    return home, away


def _hits(db_session, action, actor):
    return db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.actor_id == actor.id)
        .order_by(AuditEvent.id)).all()


def test_a_match_in_another_office_reveals_nothing(client, factory, db_session):
    home, away = _two_offices(factory)
    first = client.post(URL, json=_body(), headers=factory.headers(home)).get_json()
    h = factory.headers(away)
    same_phone = _body(given_name="Other", family_name="Person", date_of_birth="1990-01-01")
    same_person = _body(phone="+9779800000009")
    for body in (same_phone, same_person):
        resp = client.post(URL, json=body, headers=h)
        assert resp.status_code == 409, resp.get_json()
        problem = resp.get_json()
        assert problem["code"] == "possible-duplicate-elsewhere"
        assert "supervisor" in problem["detail"]
        assert "existing_reference" not in problem and "matched_on" not in problem
        assert set(problem) == {"type", "title", "status", "detail", "code", "request_id"}
        assert first["reference"] not in resp.get_data(as_text=True)
    # Nothing was registered by the refused attempts.
    assert client.get(URL, headers=h).get_json()["total"] == 0


def test_a_match_in_the_same_office_still_names_the_record(client, factory):
    home, _away = _two_offices(factory)
    colleague = factory.user("caseworker", office=None, office_id=home.office_id)
    first = client.post(URL, json=_body(), headers=factory.headers(home)).get_json()
    resp = client.post(URL, json=_body(given_name="Other", date_of_birth="1990-01-01"),
                       headers=factory.headers(colleague))
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "possible-duplicate"
    assert resp.get_json()["existing_reference"] == first["reference"]


def test_an_edit_that_matches_another_office_reveals_nothing(client, factory):
    home, away = _two_offices(factory)
    first = client.post(URL, json=_body(), headers=factory.headers(home)).get_json()
    h = factory.headers(away)
    mine = client.post(URL, json=_body(given_name="Ram", phone="+9779800000004"),
                       headers=h).get_json()
    resp = client.patch(f"{URL}{mine['id']}", json={"phone": "+9779812345678", "version": 1},
                        headers=h)
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "possible-duplicate-elsewhere"
    assert first["reference"] not in resp.get_data(as_text=True)


def test_every_hit_is_audited_with_ids_only(client, factory, db_session):
    home, away = _two_offices(factory)
    first = client.post(URL, json=_body(), headers=factory.headers(home)).get_json()
    inside = client.post(URL, json=_body(given_name="Other", date_of_birth="1990-01-01"),
                         headers=factory.headers(home))
    outside = client.post(URL, json=_body(given_name="Other", date_of_birth="1990-01-01"),
                          headers=factory.headers(away))
    assert inside.status_code == outside.status_code == 409
    # Written in their own transaction: the refused requests rolled back, the trail did not.
    (found,) = _hits(db_session, FOUND, home)
    (elsewhere,) = _hits(db_session, ELSEWHERE, away)
    for event, actor in ((found, home), (elsewhere, away)):
        assert event.object_type == "participant" and event.object_id == first["id"]
        assert event.office_id == home.office_id  # the office whose record was matched
        assert event.details["actor_office_id"] == actor.office_id
        assert event.details["matched_on"] == "phone"
        assert "Gurung" not in str(event.details) and "981234" not in str(event.details)


def test_out_of_scope_hits_are_capped_per_user_and_hour(app, client, factory, db_session,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_ELSEWHERE_PER_HOUR", 3)
    home, away = _two_offices(factory)
    client.post(URL, json=_body(), headers=factory.headers(home))
    h = factory.headers(away)
    probe = _body(given_name="Other", family_name="Person", date_of_birth="1990-01-01")
    codes = [client.post(URL, json=probe, headers=h).status_code for _ in range(4)]
    assert codes == [409, 409, 409, 429]
    capped = client.post(URL, json=probe, headers=h)
    assert capped.status_code == 429 and capped.headers["Retry-After"] == "3600"
    assert "existing_reference" not in capped.get_json()
    assert [e.details["throttled"] for e in _hits(db_session, ELSEWHERE, away)] == \
        [False, False, False, True, True]
    # The cap is the prober's alone, and registering someone new still works for them.
    assert client.post(URL, json=_body(phone="+9779800000042", given_name="New"),
                       headers=h).status_code == 201
    assert client.post(URL, json=probe, headers=factory.headers(
        factory.user("caseworker"))).status_code == 409
