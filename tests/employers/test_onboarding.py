"""Onboarding steps: the employer (or staff) confirms a step once, the participant is told in
their language by SMS (and email), and nobody outside the placement's scope reaches a step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.errors import Conflict, NotFound
from journey.employers import notify, steps
from journey.employers.models import OnboardingStep, StepStatus
from journey.employers.onboarding import STEP_TITLES
from notifications import segments
from notifications.models import OutboxMessage
from notifications.templates import render
from tests.employers.onboarding_helpers import place


def _outbox(db_session, template: str) -> list[OutboxMessage]:
    return list(db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == template).order_by(OutboxMessage.id)))


def test_the_employer_confirms_a_step_once(app, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "first_wage_paid")
    with app.test_request_context():
        done = steps.confirm_step(db_session, placed.employer_user, step.id, note="Paid on the 5th")
        db_session.refresh(done)
        assert (done.status, done.confirmed_by, done.version) == (
            StepStatus.CONFIRMED.value, placed.employer_user.id, 2)
        assert done.note == "Paid on the 5th" and done.confirmed_at is not None
        with pytest.raises(Conflict) as refused:
            steps.confirm_step(db_session, placed.employer_user, step.id)
    assert refused.value.code == "step-not-waiting"
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "employers:onboarding_step:confirm")).all()
    assert [e.object_id for e in events] == [step.id]
    assert "Paid on the 5th" not in str(events[0].details)


def test_staff_confirm_on_the_employers_behalf(app, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "arrival_met")
    with app.test_request_context():
        steps.confirm_step(db_session, placed.caseworker, step.id)
    db_session.refresh(step)
    assert step.status == "confirmed" and step.confirmed_by == placed.caseworker.id


def test_another_employer_and_another_office_get_404(app, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "contract_signed")
    stranger_employer = factory.user("employer")
    other_caseworker = factory.user("caseworker")
    with app.test_request_context():
        for user in (stranger_employer, other_caseworker):
            with pytest.raises(NotFound):
                steps.confirm_step(db_session, user, step.id)
        # A step of this placement named under another placement is missing too.
        other = place(factory, db_session, employer_user=placed.employer_user)
        with pytest.raises(NotFound):
            steps.confirm_step(db_session, placed.employer_user, step.id,
                               placement_id=other.placement.id)
    db_session.refresh(step)
    assert step.status == "waiting"


def test_waiting_steps_are_the_employers_own(app, factory, db_session):
    placed = place(factory, db_session)
    place(factory, db_session)  # another employer's placement
    with app.test_request_context():
        waiting = steps.waiting_steps(db_session, placed.employer_user)
        assert {p.id for _s, p in waiting} == {placed.placement.id}
        assert [s.key for s, _p in waiting][0] == "contract_signed"  # due first
        steps.confirm_step(db_session, placed.employer_user, waiting[0][0].id)
        after = steps.waiting_steps(db_session, placed.employer_user)
    assert len(after) == len(waiting) - 1


@pytest.mark.parametrize("language", ["ne", "pt", "ar"])
def test_the_participant_is_told_in_their_language_by_sms_and_email(app, factory, db_session,
                                                                    language):
    placed = place(factory, db_session, language=language, email="worker@example.org")
    step = placed.step(db_session, "first_wage_paid")
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, step.id)
    rows = _outbox(db_session, notify.STEP_CONFIRMED)
    assert {r.channel for r in rows} == {"sms", "email"}
    assert {r.language for r in rows} == {language}
    assert all(r.participant_id == placed.participant.id for r in rows)
    sms = next(r for r in rows if r.channel == "sms")
    with app.app_context():
        params = {"name": placed.participant.given_name, "reference": placed.participant.reference,
                  "centre": "x", "phone": "x", "step": STEP_TITLES["first_wage_paid"]}
        expected = render(notify.STEP_CONFIRMED, language, params)
    assert sms.body == segments.normalise(expected.sms)


def test_the_english_sms_names_the_step_and_how_to_contest(app, factory, db_session):
    placed = place(factory, db_session, language="en")
    step = placed.step(db_session, "first_wage_paid")
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, step.id)
    (sms,) = _outbox(db_session, notify.STEP_CONFIRMED)
    assert sms.body == ("Your employer says: First wage paid in full. If this is not true, "
                        "reply CONTEST and tell us what happened.")


def test_an_ended_placement_takes_no_confirmation(app, factory, db_session):
    from journey.employers import placement_services

    placed = place(factory, db_session)
    step = placed.step(db_session, "contract_signed")
    with app.test_request_context():
        placement_services.end_placement(db_session, placed.caseworker, placed.placement.id,
                                         reason="resigned")
        with pytest.raises(Conflict) as refused:
            steps.confirm_step(db_session, placed.employer_user, step.id)
    assert refused.value.code == "placement-ended"
    assert db_session.get(OnboardingStep, step.id).status == "waiting"


def test_confirm_through_the_api(client, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "workplace_induction")
    url = f"/api/v1/placements/{placed.placement.id}/steps/{step.id}/confirm"
    headers = factory.headers(placed.employer_user)
    resp = client.post(url, json={"note": "Done with the safety officer"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "confirmed" and body["title"] == (
        "Workplace induction, with health and safety")
    assert resp.headers["ETag"] == '"2"'
    again = client.post(url, json={}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "step-not-waiting"
    assert (again.get_json()["status"], again.get_json()["step_status"]) == (409, "confirmed")
    stale = client.post(f"/api/v1/placements/{placed.placement.id}/steps/"
                        f"{placed.step(db_session, 'arrival_met').id}/confirm",
                        json={"version": 7}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
