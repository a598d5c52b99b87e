"""The SLA scan: marking at the boundaries, paused and resolved grievances left alone, and a
breach escalated exactly once to the office's supervisors and focal points, on their pages and
by an email that names nothing about the complainant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.versions import Precondition
from journey.grievances import services, sla
from journey.grievances.models import (
    Channel,
    Escalation,
    FocalPoint,
    Grievance,
    GrievanceEntry,
    State,
)
from journey.organisations.models import OfficeHoliday
from notifications.models import OutboxMessage
from notifications.scheduler import jobs

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
DESCRIPTION = "My passport was taken by the agent in Doha"
AGAINST = "Falcon Manpower Agency"


@pytest.fixture
def office_world(factory, db_session):
    office = factory.office(timezone="UTC", name="Kathmandu MRC")
    worker = factory.user("caseworker", office)
    supervisor = factory.user("supervisor", office, email="sup@example.org", language="fr")
    focal = factory.user("caseworker", office, email="focal@example.org")
    db_session.add(FocalPoint(office_id=office.id, user_id=focal.id, created_at=T0))
    other_office = factory.office(timezone="UTC")
    outsider = factory.user("supervisor", other_office, email="other@example.org")
    db_session.flush()
    return {"office": office, "worker": worker, "supervisor": supervisor, "focal": focal,
            "outsider": outsider}


def _grievance(app, db_session, factory, world, *, participant=True, **data):
    person = factory.participant(world["worker"]) if participant else None
    body = {"category": "document_confiscation", "severity": "high", "description": DESCRIPTION,
            "against_kind": "recruiter", "against_name": AGAINST, **data}
    with app.test_request_context():
        g, _code = services.intake(db_session, world["worker"], body, channel=Channel.STAFF,
                                   participant=person, now=T0)
    return g, person


def _set(db_session, g, **values):
    db_session.execute(sa.update(Grievance).where(Grievance.id == g.id).values(**values))
    db_session.flush()
    db_session.refresh(g)


def _scan(app, db_session, now):
    with app.test_request_context():
        result = sla.scan(db_session, now)
    db_session.expire_all()
    return result


def test_intake_counts_business_days_across_a_weekend_and_an_office_holiday(app, factory,
                                                                           db_session,
                                                                           office_world):
    db_session.add(OfficeHoliday(office_id=office_world["office"].id, day=date(2026, 11, 30),
                                 name="Holiday", created_at=T0))
    db_session.flush()
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with app.test_request_context():
        g, _code = services.intake(db_session, office_world["worker"], {
            "category": "wages", "severity": "medium", "description": "Unpaid"},
            channel=Channel.STAFF, now=friday)
    # Two business days: not Saturday, Sunday or Monday 30 (holiday): Wednesday 2 December.
    assert g.ack_due_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    # Ten business days: 1-4, 7-11, 14 December.
    assert g.resolve_due_at == datetime(2026, 12, 14, 15, 0, tzinfo=UTC)


def test_marking_at_the_boundaries(app, factory, db_session, office_world):
    g, _p = _grievance(app, db_session, factory, office_world)
    _set(db_session, g, received_at=T0, ack_due_at=T0 + timedelta(hours=100),
         resolve_due_at=T0 + timedelta(hours=400))
    tick = timedelta(microseconds=1)
    # Received: the acknowledgement deadline governs. Exactly 25 % left is still on track.
    for now, expected in ((T0 + timedelta(hours=74), "on_track"),
                          (T0 + timedelta(hours=75), "on_track"),
                          (T0 + timedelta(hours=75) + tick, "at_risk"),
                          (T0 + timedelta(hours=100), "at_risk"),
                          (T0 + timedelta(hours=100) + tick, "breached")):
        _set(db_session, g, sla_status="on_track")
        _scan(app, db_session, now)
        assert db_session.get(Grievance, g.id).sla_status == expected, now
    # Acknowledged: the resolution deadline governs (25 % of 400 h is 100 h).
    _set(db_session, g, state=State.ACKNOWLEDGED.value, acknowledged_at=T0,
         sla_status="on_track", ack_escalated_at=T0)
    for now, expected in ((T0 + timedelta(hours=300), "on_track"),
                          (T0 + timedelta(hours=300) + tick, "at_risk"),
                          (T0 + timedelta(hours=400) + tick, "breached")):
        _scan(app, db_session, now)
        assert db_session.get(Grievance, g.id).sla_status == expected, now


def test_a_status_that_does_not_change_is_not_written_again(app, factory, db_session,
                                                          office_world):
    g, _p = _grievance(app, db_session, factory, office_world)
    first = _scan(app, db_session, g.ack_due_at - timedelta(hours=1))
    assert first["marked"] == 1
    again = _scan(app, db_session, g.ack_due_at - timedelta(minutes=59))
    assert again["marked"] == 0


def test_paused_and_resolved_grievances_are_left_alone(app, factory, db_session, office_world):
    paused, _p = _grievance(app, db_session, factory, office_world)
    done, _p = _grievance(app, db_session, factory, office_world)
    worker = office_world["worker"]
    with app.test_request_context():
        for event, data in (("acknowledge", {}), ("start_review", {}),
                            ("request_information", {"pause_clock": True, "note": "Need the contract"})):
            services.transition(db_session, worker, paused, event, data,
                                expected=Precondition(), now=T0 + timedelta(hours=1))
        for event, data in (("acknowledge", {}), ("start_review", {}),
                            ("resolve", {"decision": "upheld", "resolution_summary": "Paid"})):
            services.transition(db_session, worker, done, event, data, expected=Precondition(),
                                now=T0 + timedelta(hours=1))
    db_session.flush()
    later = T0 + timedelta(days=365)
    result = _scan(app, db_session, later)
    assert result["escalated"] == 0
    assert db_session.get(Grievance, paused.id).sla_status == "paused"
    assert db_session.get(Grievance, done.id).sla_status == "met"
    assert not db_session.scalars(sa.select(Escalation).where(
        Escalation.grievance_id.in_([paused.id, done.id]))).all()


def test_a_breach_is_escalated_exactly_once_to_supervisor_and_focal_point(
        app, factory, db_session, office_world):
    g, person = _grievance(app, db_session, factory, office_world)
    late = g.ack_due_at + timedelta(minutes=1)
    first = _scan(app, db_session, late)
    assert first["escalated"] == 1 and first["notified"] == 2 and first["emails"] == 2
    for n in range(3):  # the next scans find it escalated already
        again = _scan(app, db_session, late + timedelta(minutes=n + 1))
        assert again["escalated"] == 0 and again["emails"] == 0
    rows = db_session.scalars(sa.select(Escalation).where(Escalation.grievance_id == g.id)).all()
    assert sorted((r.user_id, r.deadline) for r in rows) == sorted(
        [(office_world["supervisor"].id, "acknowledge"), (office_world["focal"].id, "acknowledge")])
    assert all(r.seen_at is None for r in rows)
    stored = db_session.get(Grievance, g.id)
    assert stored.sla_status == "breached" and stored.ack_escalated_at == late
    assert stored.resolve_escalated_at is None
    entries = db_session.scalars(sa.select(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "escalated")).all()
    assert [e.event for e in entries] == ["acknowledge"]
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grievances:sla:escalated", AuditEvent.object_id == g.id)).all()
    assert len(events) == 1 and events[0].details["deadline"] == "acknowledge"

    mails = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "grievance_escalated.acknowledge")).all()
    assert sorted(m.recipient for m in mails) == ["focal@example.org", "sup@example.org"]
    assert all(m.channel == "email" and m.participant_id is None for m in mails)
    by_address = {m.recipient: m for m in mails}
    assert by_address["sup@example.org"].language == "fr"  # the supervisor's own language
    for m in mails:
        text = f"{m.subject}\n{m.body}\n{m.html}"
        assert g.reference in text and f"/grievances/{g.id}" in text
        for secret in (DESCRIPTION, AGAINST, person.given_name, person.family_name,
                       person.phone, g.tracking_code):
            assert secret not in text
    # Nobody of another office hears of it.
    assert not db_session.scalars(sa.select(Escalation).where(
        Escalation.user_id == office_world["outsider"].id)).all()


def test_the_resolution_deadline_is_escalated_on_its_own_after_acknowledgement(
        app, factory, db_session, office_world):
    g, _p = _grievance(app, db_session, factory, office_world)
    _scan(app, db_session, g.ack_due_at + timedelta(minutes=1))
    with app.test_request_context():
        services.transition(db_session, office_world["worker"], g, "acknowledge", {},
                            expected=Precondition())
    db_session.flush()
    # Late for acknowledgement, but the resolution deadline has not passed: no new escalation.
    assert _scan(app, db_session, g.ack_due_at + timedelta(hours=1))["escalated"] == 0
    result = _scan(app, db_session, g.resolve_due_at + timedelta(seconds=1))
    assert result["escalated"] == 1
    deadlines = sorted(db_session.scalars(sa.select(Escalation.deadline).where(
        Escalation.grievance_id == g.id, Escalation.user_id == office_world["focal"].id)))
    assert deadlines == ["acknowledge", "resolve"]


def test_someone_without_an_email_still_sees_the_escalation_on_their_page(
        app, factory, db_session, office_world):
    db_session.execute(sa.update(type(office_world["focal"]))
                       .where(type(office_world["focal"]).id == office_world["focal"].id)
                       .values(email=None))
    db_session.flush()
    g, _p = _grievance(app, db_session, factory, office_world)
    result = _scan(app, db_session, g.ack_due_at + timedelta(minutes=1))
    assert result["notified"] == 2 and result["emails"] == 1
    assert db_session.scalar(sa.select(Escalation.id).where(
        Escalation.user_id == office_world["focal"].id, Escalation.grievance_id == g.id))


def test_seen_when_marked(app, factory, db_session, office_world):
    g, _p = _grievance(app, db_session, factory, office_world)
    _scan(app, db_session, g.ack_due_at + timedelta(minutes=1))
    sup = office_world["supervisor"]
    assert sla.mark_seen(db_session, sup, grievance_id=g.id) == 1
    assert sla.mark_seen(db_session, sup, grievance_id=g.id) == 0
    seen = dict(db_session.execute(sa.select(Escalation.user_id, Escalation.seen_at).where(
        Escalation.grievance_id == g.id)).all())
    assert seen[sup.id] is not None and seen[office_world["focal"].id] is None


def test_the_scan_runs_as_a_scheduled_job(app):
    found = {name: seconds for name, _func, seconds in jobs(app)}
    assert found["grievance_sla_scan"] <= 120


def test_the_job_scans_and_commits_in_its_own_transaction(own_app):
    from journey.accounts.services import create_user
    from journey.core.auth import User
    from journey.core.db import db, utcnow
    from journey.organisations.models import Office

    app = own_app()
    with app.test_request_context(), db.job_session() as sess:
        office = Office(code="JOB1", name="Job", country="NP", timezone="UTC",
                        created_at=utcnow())
        sess.add(office)
        sess.flush()
        sup = create_user(sess, None, {"username": "jobsup", "full_name": "Sup",
                                       "role": "supervisor", "email": "sup@example.org",
                                       "password": "a long enough password", "language": "en",
                                       "office_id": office.id})
        g, _code = services.intake(sess, sess.get(User, sup.id), {
            "category": "wages", "severity": "critical", "description": "Unpaid"},
            channel=Channel.STAFF, now=utcnow() - timedelta(days=2))
        gid = g.id
    assert sla.scan_job(app)["escalated"] == 1
    assert sla.scan_job(app)["escalated"] == 0
    with app.app_context(), db.job_session() as sess:
        assert sess.get(Grievance, gid).sla_status == "breached"
        assert sess.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 1
