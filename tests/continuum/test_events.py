"""Scheduled journey events: checklist items due and overdue, permits expiring; each once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from journey.continuum import services
from journey.continuum.models import ChecklistItem
from journey.continuum.stages import Stage
from journey.core.timeline import JourneyEvent
from tests.continuum.conftest import TODAY


def _kinds(db_session, p):
    return [(e.kind, e.data.get("offset_days")) for e in db_session.scalars(
        sa.select(JourneyEvent).where(JourneyEvent.participant_id == p.id,
                                      JourneyEvent.dedupe_key.is_not(None)).order_by(JourneyEvent.id))]


def test_permit_expiry_reminders_at_each_offset_once(app, db_session, journey_kit):
    p = journey_kit.participant(Stage.STAY, ready=False)
    with app.test_request_context():
        services.record_permit(db_session, journey_kit.caseworker, p, {
            "type": "residence_permit", "issuing_country": "PT", "status": "issued",
            "expires_on": TODAY + timedelta(days=100)})
        for day_offset in (0, 10, 11, 70, 71, 93, 94, 100):
            services.record_due_events(db_session, TODAY + timedelta(days=day_offset))
    assert [k for k in _kinds(db_session, p) if k[0] == "permit_expiring"] == [
        ("permit_expiring", 90), ("permit_expiring", 30), ("permit_expiring", 7)]


def test_permits_expiring_query_respects_offsets_and_validity(app, db_session, journey_kit):
    p = journey_kit.participant(Stage.STAY, ready=False)
    with app.test_request_context():
        soon = services.record_permit(db_session, journey_kit.caseworker, p, {
            "type": "work_permit", "issuing_country": "PT", "status": "granted",
            "expires_on": TODAY + timedelta(days=25)})
        services.record_permit(db_session, journey_kit.caseworker, p, {
            "type": "work_permit", "issuing_country": "PT", "status": "refused",
            "expires_on": TODAY + timedelta(days=20)})
        services.record_permit(db_session, journey_kit.caseworker, p, {
            "type": "work_permit", "issuing_country": "PT", "status": "granted",
            "expires_on": TODAY + timedelta(days=200)})
    due = services.permits_expiring(db_session, TODAY, (60, 14))
    assert [(permit.id, offset) for permit, offset in due] == [(soon.id, 60)]


def test_checklist_items_due_then_overdue_each_once(app, db_session, journey_kit):
    p = journey_kit.participant(Stage.INTAKE, ready=False)
    item = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.key == "aspirations")).one()
    other = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.key == "consent_explained")).one()
    other.status, other.completed_at = "done", services.utcnow()
    item.due_date = TODAY + timedelta(days=2)
    db_session.flush()
    with app.test_request_context():
        first = services.record_due_events(db_session, TODAY)
        again = services.record_due_events(db_session, TODAY)
        late = services.record_due_events(db_session, TODAY + timedelta(days=5))
        later = services.record_due_events(db_session, TODAY + timedelta(days=6))
    assert first["checklist_item_due"] == 1 and again["checklist_item_due"] == 0
    assert late["checklist_item_overdue"] == 1 and later["checklist_item_overdue"] == 0
    assert [k for k, _o in _kinds(db_session, p)] == ["checklist_item_due", "checklist_item_overdue"]


def test_scan_command(app, connection, db_session, journey_kit):
    p = journey_kit.participant(Stage.STAY, ready=False)
    with app.test_request_context():
        services.record_permit(db_session, journey_kit.caseworker, p, {
            "type": "residence_permit", "issuing_country": "PT", "status": "issued",
            "expires_on": TODAY + timedelta(days=5)})
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["continuum", "scan", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "permit_expiring=1" in result.output
