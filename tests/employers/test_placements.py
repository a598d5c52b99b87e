"""Placements once open: listed and read within scope (audited), corrected by staff with the
recruiter checked again ("a placement through an expired recruiter is refused"), ended (the
PLACED link ends), retention opened on arrival and recorded at 3, 6 and 12 months, rehires."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.continuum.services import apply_transition
from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from journey.core.links import ParticipantLink
from journey.core.versions import Precondition
from journey.employers import placement_services as services
from journey.employers import retention
from journey.employers.models import Candidacy, Placement, RetentionCheck
from journey.employers.placements import open_placement
from journey.organisations.models import Office
from tests.employers.onboarding_helpers import place, recruiter
from tests.skillcards.helpers import place as put_in_stage


def _arrive(app, db_session, factory, placed, day: date):
    """The participant departs (the continuum's depart, its guards overridden by a supervisor)."""
    supervisor = factory.user("supervisor", office=db_session.get(Office, placed.office_id))
    put_in_stage(db_session, placed.participant, Stage.PRE_DEPARTURE)
    with app.test_request_context():
        apply_transition(db_session, supervisor, placed.participant, "depart",
                         {"arrival_date": day}, expected=None,
                         override_reason="Test: arrived with the programme")


def test_list_and_read_are_scoped_and_audited(app, factory, db_session):
    placed = place(factory, db_session)
    other = place(factory, db_session)
    with app.test_request_context():
        mine = services.list_placements(db_session, placed.employer_user)
        assert [p.id for p in mine] == [placed.placement.id]
        assert {p.id for p in services.list_placements(db_session, factory.user("admin"))} >= {
            placed.placement.id, other.placement.id}
        assert services.list_placements(db_session, placed.employer_user, status="ended") == []
        with pytest.raises(InvalidInput):
            services.list_placements(db_session, placed.employer_user, status="lost")
        found = services.read_placement(db_session, placed.caseworker, placed.placement.id)
        assert [s.key for s in found["steps"]][:2] == ["contract_signed", "arrival_met"]
        for outsider in (other.employer_user, other.caseworker, factory.user("partner")):
            with pytest.raises((NotFound, Forbidden)):
                services.read_placement(db_session, outsider, placed.placement.id)
    reads = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "employers:placement:read")).all()
    assert [(e.object_id, e.actor_id) for e in reads] == [
        (placed.placement.id, placed.caseworker.id)]


def test_the_api_lists_reads_and_refuses_unknown_filters(client, factory, db_session):
    placed = place(factory, db_session)
    headers = factory.headers(placed.employer_user)
    listed = client.get("/api/v1/placements?status=active", headers=headers)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()["items"]] == [placed.placement.id]
    assert client.get("/api/v1/placements?status=lost", headers=headers).status_code == 422
    assert client.get("/api/v1/placements?employer=1", headers=headers).status_code == 422
    one = client.get(f"/api/v1/placements/{placed.placement.id}", headers=headers)
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'
    body = one.get_json()
    assert [s["key"] for s in body["steps"]][0] == "contract_signed"
    assert body["steps"][0]["title"] == "Employment contract signed"
    assert body["retention"] == [] and body["rehire_of"] == []
    stranger = factory.headers(factory.user("employer"))
    assert client.get(f"/api/v1/placements/{placed.placement.id}",
                      headers=stranger).status_code == 404


def test_a_placement_through_an_expired_recruiter_is_refused(app, client, factory, db_session):
    expired = recruiter(factory, expires_on=utcnow().date() - timedelta(days=1))
    valid = recruiter(factory)
    # At opening (open_placement, the employer's selection).
    with pytest.raises(Conflict) as refused:
        place(factory, db_session, recruiter_id=expired.id)
    assert refused.value.code == "recruiter-licence-expired"
    assert refused.value.extra["recruiter_id"] == expired.id
    # And when staff change the recruiter of a placement afterwards (PATCH).
    placed = place(factory, db_session, recruiter_id=valid.id)
    url = f"/api/v1/placements/{placed.placement.id}"
    headers = factory.headers(placed.caseworker)
    resp = client.patch(url, json={"recruiter_id": expired.id, "version": 1}, headers=headers)
    assert resp.status_code == 409, resp.get_json()
    assert resp.get_json()["code"] == "recruiter-licence-expired"
    db_session.expire_all()
    assert db_session.get(Placement, placed.placement.id).recruiter_id == valid.id
    unlicensed = recruiter(factory, licence=None)
    resp = client.patch(url, json={"recruiter_id": unlicensed.id, "version": 1}, headers=headers)
    assert resp.get_json()["code"] == "recruiter-unlicensed"
    elsewhere = recruiter(factory, corridors=("PH-AE",))
    resp = client.patch(url, json={"recruiter_id": elsewhere.id, "version": 1}, headers=headers)
    assert resp.get_json()["code"] == "recruiter-corridor"
    resp = client.patch(url, json={"recruiter_id": 999999, "version": 1}, headers=headers)
    assert resp.status_code == 422


def test_staff_correct_the_contract_dates(client, factory, db_session):
    placed = place(factory, db_session)
    url = f"/api/v1/placements/{placed.placement.id}"
    headers = factory.headers(placed.caseworker)
    resp = client.patch(url, json={"contract_start": "2027-01-04", "contract_end": "2028-01-03",
                                   "version": 1}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["contract_end"], resp.headers["ETag"]) == ("2028-01-03", '"2"')
    backwards = client.patch(url, json={"contract_end": "2026-01-01", "version": 2},
                             headers=headers)
    assert backwards.status_code == 422
    assert backwards.get_json()["errors"][0]["field"] == "contract_end"
    stale = client.patch(url, json={"contract_end": "2028-02-01", "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    assert client.patch(url, json={"contract_end": "2028-02-01"},
                        headers=headers).status_code == 428
    assert client.patch(url, json={"contract_end": "2028-02-01", "version": 2},
                        headers=factory.headers(placed.employer_user)).status_code == 403


def test_ending_a_placement_ends_the_placed_link(app, client, factory, db_session):
    placed = place(factory, db_session)

    def placed_link():
        return db_session.scalar(sa.select(ParticipantLink).where(
            ParticipantLink.participant_id == placed.participant.id,
            ParticipantLink.reason == "placed"))

    assert placed_link().ended_at is None
    url = f"/api/v1/placements/{placed.placement.id}/end"
    headers = factory.headers(placed.caseworker)
    assert client.post(url, json={"reason": "sacked"}, headers=headers).status_code == 422
    resp = client.post(url, json={"reason": "contract_completed"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["status"], resp.get_json()["end_reason"]) == (
        "ended", "contract_completed")
    db_session.expire_all()
    assert placed_link().ended_at is not None
    again = client.post(url, json={"reason": "resigned"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "placement-ended"


def test_a_rehire_by_the_same_employer_points_at_the_earlier_placement(app, client, factory,
                                                                       db_session):
    placed = place(factory, db_session)
    with app.test_request_context():
        services.end_placement(db_session, placed.caseworker, placed.placement.id,
                               reason="contract_completed")
        first = db_session.get(Candidacy, placed.placement.candidacy_id)
        again = Candidacy(vacancy_id=first.vacancy_id + 0, participant_id=placed.participant.id,
                          employer_id=first.employer_id, state="selected",
                          presented_at=utcnow(), updated_at=utcnow())
        # A second season: a new vacancy of the same employer.
        from journey.employers.models import Vacancy

        old = db_session.get(Vacancy, first.vacancy_id)
        season = Vacancy(employer_id=old.employer_id, programme_id=old.programme_id,
                         title="Cook, second season", place="Lisbon", status="open",
                         created_at=utcnow(), updated_at=utcnow())
        db_session.add(season)
        db_session.flush()
        again.vacancy_id = season.id
        db_session.add(again)
        db_session.flush()
        second = open_placement(db_session, placed.caseworker, again)
    assert second.rehire_of_id == placed.placement.id
    body = client.get(f"/api/v1/placements/{second.id}",
                      headers=factory.headers(placed.caseworker)).get_json()
    assert body["rehire_of"] == [placed.placement.id]


def test_arrival_opens_the_retention_checks(app, factory, db_session):
    placed = place(factory, db_session)
    _arrive(app, db_session, factory, placed, date(2027, 1, 31))
    db_session.refresh(placed.placement)
    assert placed.placement.arrived_on == date(2027, 1, 31)
    checks = db_session.scalars(sa.select(RetentionCheck).where(
        RetentionCheck.placement_id == placed.placement.id).order_by(RetentionCheck.months)).all()
    assert [(c.months, c.due_on, c.retained) for c in checks] == [
        (3, date(2027, 4, 30), None), (6, date(2027, 7, 31), None), (12, date(2028, 1, 31), None)]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "employers:placement:arrived")) == 1


def test_no_placement_no_retention_and_a_second_arrival_changes_nothing(app, factory,
                                                                        db_session):
    placed = place(factory, db_session)
    _arrive(app, db_session, factory, placed, date(2027, 1, 10))
    with app.test_request_context():
        retention.on_entry(db_session, placed.participant, {
            "kind": "stage_entered", "data": {"to_stage": "arrival", "from_stage": "onward"},
            "occurred_at": utcnow(), "actor_id": None})
    db_session.refresh(placed.placement)
    assert placed.placement.arrived_on == date(2027, 1, 10)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(RetentionCheck)) == 3


def test_add_months_keeps_to_the_month():
    assert retention.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert retention.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert retention.add_months(date(2027, 1, 15), 12) == date(2028, 1, 15)


def test_retention_is_recorded_when_due(app, client, factory, db_session):
    placed = place(factory, db_session)
    url = f"/api/v1/placements/{placed.placement.id}/retention"
    headers = factory.headers(placed.employer_user)
    early = client.post(url, json={"months": 3, "retained": True}, headers=headers)
    assert early.status_code == 409 and early.get_json()["code"] == "retention-not-open"
    _arrive(app, db_session, factory, placed, utcnow().date() - timedelta(days=100))
    resp = client.post(url, json={"months": 3, "retained": True}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["retained"], resp.get_json()["recorded_by"]) == (
        True, placed.employer_user.id)
    not_due = client.post(url, json={"months": 6, "retained": True}, headers=headers)
    assert not_due.status_code == 409 and not_due.get_json()["code"] == "retention-not-due"
    assert client.post(url, json={"months": 4, "retained": True},
                       headers=headers).status_code == 422
    # Corrected by staff later: the audit trail keeps both.
    fixed = client.post(url, json={"months": 3, "retained": False},
                        headers=factory.headers(placed.caseworker))
    assert fixed.status_code == 200 and fixed.get_json()["retained"] is False
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "employers:retention_check:record").order_by(AuditEvent.id)).all()
    assert [(e.details["retained"], e.details["previous"]) for e in events] == [
        (True, None), (False, True)]


def test_due_retention_checks_are_reminded_once(app, factory, db_session):
    from journey.employers import notify
    from notifications.models import OutboxMessage
    from tests.employers.onboarding_helpers import contact

    placed = place(factory, db_session)
    contact(factory, placed.employer_user.employer_id, email="site@example.pt", language="pt")
    placed.employer_user.email = "boss@example.pt"
    _arrive(app, db_session, factory, placed, utcnow().date() - timedelta(days=95))
    with app.test_request_context():
        assert retention.remind(db_session) == 2  # the contact and the user, for 3 months
        assert retention.remind(db_session) == 0
    rows = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == notify.RETENTION_DUE)).all()
    assert {(r.recipient, r.language) for r in rows} == {("site@example.pt", "pt"),
                                                        ("boss@example.pt", "en")}
    assert all(f"/placements/{placed.placement.id}" in r.body for r in rows)


def test_update_needs_an_active_placement(app, factory, db_session):
    placed = place(factory, db_session)
    with app.test_request_context():
        services.end_placement(db_session, placed.caseworker, placed.placement.id,
                               reason="resigned")
        with pytest.raises(Conflict) as refused:
            services.update_placement(db_session, placed.caseworker, placed.placement.id,
                                      {"contract_end": date(2028, 1, 1)},
                                      expected=Precondition(body=2))
    assert refused.value.code == "placement-ended"
