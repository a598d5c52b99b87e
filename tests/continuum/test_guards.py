"""Guards: a refused move lists every unmet condition, in the user's language; supervisors may
override with a written reason, which is audited and shown on the timeline."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from journey.continuum.models import ChecklistItem
from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from tests.continuum.conftest import TODAY

DEPART = {"event": "depart", "arrival_date": TODAY.isoformat()}


def _post(client, factory, user, p, body, **headers):
    return client.post(f"/api/v1/participants/{p.id}/transitions",
                       json={"version": p.version, **body},
                       headers={**factory.headers(user), **headers})


def test_leaving_pre_departure_lists_every_unmet_guard(client, factory, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    client.post(f"/api/v1/participants/{p.id}/costs", headers=factory.headers(journey_kit.caseworker),
                json={"category": "recruitment_fee", "amount": "450.00", "currency": "USD",
                      "paid_by": "migrant"})
    resp = _post(client, factory, journey_kit.caseworker, p, DEPART)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "guards-unmet"
    assert [u["guard"] for u in body["unmet"]] == [
        "permit_granted", "orientation_done", "stage_items_done", "no_fees_paid_by_migrant"]
    assert "Pre-departure orientation" in body["unmet"][2]["message"]
    db_session.refresh(p)
    assert p.stage == "pre_departure" and p.version == 1


def test_guards_are_explained_in_the_users_language(client, factory, journey_kit):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    francophone = factory.user("caseworker", office=journey_kit.office, language="fr")
    body = _post(client, factory, francophone, p, DEPART).get_json()
    messages = {u["guard"]: u["message"] for u in body["unmet"]}
    assert messages["permit_granted"] == ("Un visa ou un permis de travail doit être accordé et "
                                          "encore valide.")
    assert messages["stage_items_done"].startswith("Des éléments obligatoires")
    assert body["detail"] == "Certaines conditions de cette étape ne sont pas remplies."


def test_each_guard_once_satisfied_lets_the_participant_depart(client, factory, journey_kit,
                                                               db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    cw = journey_kit.caseworker
    h = factory.headers(cw)
    client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json={
        "type": "work_visa", "issuing_country": "PT", "status": "granted",
        "expires_on": (TODAY + timedelta(days=300)).isoformat()})
    unmet = [u["guard"] for u in _post(client, factory, cw, p, DEPART).get_json()["unmet"]]
    assert unmet == ["orientation_done", "stage_items_done"]
    for item in db_session.scalars(sa.select(ChecklistItem).where(
            ChecklistItem.participant_id == p.id, ChecklistItem.required.is_(True))).all():
        resp = client.patch(f"/api/v1/participants/{p.id}/checklist/{item.id}", headers=h,
                            json={"status": "done", "evidence_note": "Seen", "version": item.version})
        assert resp.status_code == 200
    resp = _post(client, factory, cw, p, DEPART)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["stage"] == "arrival"


def test_expired_permit_does_not_count(client, factory, journey_kit):
    p = journey_kit.participant(Stage.STAY, ready=False)
    h = factory.headers(journey_kit.caseworker)
    client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json={
        "type": "residence_permit", "issuing_country": "PT", "status": "issued",
        "issued_on": "2020-01-01", "expires_on": "2021-01-01"})
    resp = _post(client, factory, journey_kit.caseworker, p, {"event": "renew_permit"})
    assert [u["guard"] for u in resp.get_json()["unmet"]] == ["permit_granted"]


def test_employer_tied_permit_blocks_a_change_of_employer(client, factory, journey_kit):
    p = journey_kit.participant(Stage.STAY, ready=False)
    h = factory.headers(journey_kit.caseworker)
    client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json={
        "type": "work_permit", "issuing_country": "PT", "status": "issued", "employer_tied": True,
        "issued_on": "2026-01-01", "expires_on": "2027-06-01"})
    other = factory.employer()
    resp = _post(client, factory, journey_kit.caseworker, p,
                 {"event": "change_employer", "employer_id": other.id})
    assert resp.status_code == 409
    assert resp.get_json()["unmet"][0]["guard"] == "permit_allows_employer_change"


def test_caseworker_cannot_override_but_supervisor_can_with_a_reason(client, factory, journey_kit,
                                                                     db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    body = {**DEPART, "override_reason": "Visa confirmed by the consulate by phone; paper follows."}
    refused = _post(client, factory, journey_kit.caseworker, p, body)
    assert refused.status_code == 403 and refused.get_json()["code"] == "override-forbidden"

    blank = _post(client, factory, journey_kit.supervisor, p, {**DEPART, "override_reason": "  "})
    assert blank.status_code == 422

    done = _post(client, factory, journey_kit.supervisor, p, body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["stage"] == "arrival"
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_id == p.id, AuditEvent.action == "continuum:participant:transition")).one()
    assert event.details["overridden"] == ["permit_granted", "orientation_done", "stage_items_done"]
    assert event.actor_id == journey_kit.supervisor.id
    timeline = client.get(f"/api/v1/participants/{p.id}/timeline",
                          headers=factory.headers(journey_kit.supervisor)).get_json()
    overrides = [e for e in timeline["events"] if e["kind"] == "guard_overridden"]
    assert len(overrides) == 1
    assert overrides[0]["reason"] == body["override_reason"]
    assert overrides[0]["actor_id"] == journey_kit.supervisor.id


def test_required_fields_are_field_errors(client, factory, journey_kit):
    p = journey_kit.participant(Stage.TRAINING)
    resp = _post(client, factory, journey_kit.caseworker, p, {"event": "withdraw"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [{"field": "reason", "code": "required",
                                          "message": "Required for this transition."}]
    resp = _post(client, factory, journey_kit.caseworker, p, {"event": "match", "employer_id": 999999})
    assert resp.get_json()["errors"][0]["code"] == "not-found"


def test_withdrawal_can_be_reversed_to_the_stage_left(client, factory, journey_kit, db_session):
    p = journey_kit.participant(Stage.MATCHED)
    cw = journey_kit.caseworker
    resp = _post(client, factory, cw, p, {"event": "withdraw", "reason": "Family illness"})
    assert resp.get_json()["stage"] == "withdrawn"
    db_session.refresh(p)
    resp = _post(client, factory, cw, p, {"event": "reinstate", "reason": "Ready to go again"})
    assert resp.status_code == 200
    assert resp.get_json()["stage"] == "matched"
