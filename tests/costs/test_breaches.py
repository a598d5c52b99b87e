"""Employer Pays breaches end to end through the API: a migrant-paid ILO cost blocks departure,
opens a grievance against the recruiter or employer, and a full refund clears it."""

from __future__ import annotations

import sqlalchemy as sa

from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.costs.models import Cost
from journey.grievances.models import Grievance, GrievanceEntry
from notifications.models import OutboxMessage
from tests.continuum.conftest import TODAY

DEPART = {"event": "depart", "arrival_date": TODAY.isoformat()}


def _costs(p) -> str:
    return f"/api/v1/participants/{p.id}/costs"


def _depart(client, h, p, db_session):
    db_session.refresh(p)
    return client.post(f"/api/v1/participants/{p.id}/transitions",
                       json={"version": p.version, **DEPART}, headers=h)


def test_a_migrant_paid_ilo_cost_blocks_the_guard_opens_a_grievance_and_is_cleared_by_a_refund(
        client, factory, journey_kit, ledger, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    cw = journey_kit.caseworker
    h = factory.headers(cw)
    agency = ledger.recruiter()
    placement = ledger.placement(p, journey_kit.employer, recruiter=agency)

    resp = client.post(_costs(p), headers=h, json={
        "category": "recruitment_fee", "amount": "600.00", "currency": "USD",
        "paid_by": "migrant", "should_have_paid": "employer", "evidence": "Receipt 4411",
        "placement_id": placement.id})
    assert resp.status_code == 201, resp.get_json()
    cost = resp.get_json()
    # Held against the placement's employer and recruiter by default.
    assert cost["employer_id"] == journey_kit.employer.id and cost["recruiter_id"] == agency.id
    assert cost["ilo_category"] is True and cost["employer_pays_breach"] is True
    assert cost["breach_refunded"] is False and cost["breach_grievance_id"] is not None

    # (a) the guard refuses the departure, naming the breach.
    refused = _depart(client, h, p, db_session)
    assert refused.status_code == 409
    assert [u["guard"] for u in refused.get_json()["unmet"]] == ["no_fees_paid_by_migrant"]

    # (b) a grievance, against the recruiter the cost names, about recruitment fees.
    g = db_session.get(Grievance, cost["breach_grievance_id"])
    assert (g.participant_id, g.category, g.severity) == (p.id, "recruitment_fees", "high")
    assert (g.against_kind, g.against_recruiter_id, g.against_employer_id) == (
        "recruiter", agency.id, None)
    assert g.channel == "staff" and g.created_by == cw.id
    assert "600.00 USD" in g.description and f"cost {cost['id']}" in g.description
    # The migrant did not complain: no "we received your complaint" receipt.
    assert not db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == p.id,
        OutboxMessage.template == "grievance_acknowledged")).all()
    # Editing the cost does not open a second one.
    edited = client.patch(f"{_costs(p)}/{cost['id']}", headers=h,
                          json={"note": "Paid in cash at the agency", "version": 1})
    assert edited.status_code == 200 and edited.get_json()["breach_grievance_id"] == g.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Grievance).where(
        Grievance.participant_id == p.id)) == 1

    # (c) a refund of the whole amount closes the breach and keeps the history.
    resp = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h,
                       json={"amount": "600.00", "note": "Agency repaid by bank transfer"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["employer_pays_breach"] is False and body["breach_refunded"] is True
    assert (body["amount"], body["paid_by"], body["refund_amount"]) == ("600.00", "migrant",
                                                                        "600.00")
    assert body["refunded_by"] == cw.id and body["refunded_at"] and resp.headers["ETag"] == '"3"'
    row = db_session.get(Cost, cost["id"])
    db_session.refresh(row)
    assert row.refund_note == "Agency repaid by bank transfer"
    audit = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "costs:cost:refund", AuditEvent.object_id == cost["id"])).one()
    assert audit.details["closed"] is True and audit.details["grievance_id"] == g.id
    notes = db_session.scalars(sa.select(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "note")).all()
    assert len(notes) == 1 and "breach is closed" in notes[0].body
    assert "Agency repaid by bank transfer" in notes[0].body

    moved = _depart(client, h, p, db_session)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["stage"] == "arrival"

    # Refunding it again: no breach left to refund.
    again = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h, json={"amount": "1.00"})
    assert again.status_code == 409 and again.get_json()["code"] == "not-a-breach"


def test_a_partial_refund_leaves_the_breach_open(client, factory, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    h = factory.headers(journey_kit.caseworker)
    cost = client.post(_costs(p), headers=h, json={
        "category": "visa_fee", "amount": "200.00", "currency": "EUR", "paid_by": "migrant",
        "employer_id": journey_kit.employer.id}).get_json()
    g = db_session.get(Grievance, cost["breach_grievance_id"])
    assert (g.against_kind, g.against_employer_id) == ("employer", journey_kit.employer.id)

    part = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h, json={"amount": "150.00"})
    assert part.status_code == 200
    assert part.get_json()["employer_pays_breach"] is True
    assert part.get_json()["refund_amount"] == "150.00"
    assert _depart(client, h, p, db_session).status_code == 409
    note = db_session.scalars(sa.select(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "note")).one()
    assert "stays open" in note.body

    too_much = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h,
                           json={"amount": "60.00"})
    assert too_much.status_code == 422
    assert too_much.get_json()["errors"][0]["field"] == "amount"
    # A stale version is refused too.
    stale = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h,
                        json={"amount": "50.00", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"

    rest = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h,
                       json={"amount": "50.00", "version": 2})
    assert rest.status_code == 200 and rest.get_json()["breach_refunded"] is True
    assert rest.get_json()["refund_amount"] == "200.00"
    assert _depart(client, h, p, db_session).status_code == 200


def test_a_non_ilo_migrant_cost_is_no_breach(client, factory, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    h = factory.headers(journey_kit.caseworker)
    cost = client.post(_costs(p), headers=h, json={
        "category": "integration", "amount": "80.00", "currency": "EUR",
        "paid_by": "migrant"}).get_json()
    assert cost["ilo_category"] is False and cost["employer_pays_breach"] is False
    assert cost["breach_grievance_id"] is None
    assert not db_session.scalars(sa.select(Grievance).where(
        Grievance.participant_id == p.id)).all()
    refund = client.post(f"{_costs(p)}/{cost['id']}/refund", headers=h, json={"amount": "80.00"})
    assert refund.status_code == 409 and refund.get_json()["code"] == "not-a-breach"
    assert _depart(client, h, p, db_session).status_code == 200


def test_editing_a_cost_into_a_breach_opens_the_grievance_once(client, factory, journey_kit,
                                                               db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    h = factory.headers(journey_kit.caseworker)
    cost = client.post(_costs(p), headers=h, json={
        "category": "travel", "amount": "700.00", "currency": "EUR",
        "paid_by": "employer"}).get_json()
    assert cost["breach_grievance_id"] is None
    # No employer or recruiter named, no placement: against someone not known.
    edited = client.patch(f"{_costs(p)}/{cost['id']}", headers=h,
                          json={"paid_by": "migrant", "version": 1}).get_json()
    g = db_session.get(Grievance, edited["breach_grievance_id"])
    assert g.against_kind == "other" and g.against_name
    client.patch(f"{_costs(p)}/{cost['id']}", headers=h, json={"paid_by": "employer",
                                                               "version": 2})
    again = client.patch(f"{_costs(p)}/{cost['id']}", headers=h,
                         json={"paid_by": "migrant", "version": 3}).get_json()
    assert again["breach_grievance_id"] == g.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Grievance).where(
        Grievance.participant_id == p.id)) == 1


def test_the_active_placements_employer_when_the_cost_names_none(client, factory, journey_kit,
                                                                 ledger, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    ledger.placement(p, journey_kit.employer)
    h = factory.headers(journey_kit.caseworker)
    cost = client.post(_costs(p), headers=h, json={
        "category": "health_check", "amount": "90.00", "currency": "EUR",
        "paid_by": "migrant"}).get_json()
    assert cost["employer_id"] is None and cost["placement_id"] is None
    g = db_session.get(Grievance, cost["breach_grievance_id"])
    assert (g.against_kind, g.against_employer_id) == ("employer", journey_kit.employer.id)


def test_a_placement_of_someone_else_or_an_unknown_party_is_refused(client, factory, journey_kit,
                                                                   ledger):
    p, q = journey_kit.participant(), journey_kit.participant()
    theirs = ledger.placement(q)
    h = factory.headers(journey_kit.caseworker)
    resp = client.post(_costs(p), headers=h, json={
        "category": "visa_fee", "amount": "10.00", "currency": "EUR", "paid_by": "employer",
        "placement_id": theirs.id, "recruiter_id": 999999})
    assert resp.status_code == 422
    assert {e["field"] for e in resp.get_json()["errors"]} == {"placement_id", "recruiter_id"}
    bad_employer = client.post(_costs(p), headers=h, json={
        "category": "visa_fee", "amount": "10.00", "currency": "EUR", "paid_by": "employer",
        "employer_id": 999999})
    assert bad_employer.status_code == 422


def test_the_categories_say_which_are_within_the_ilo_definition(client, factory):
    cw = factory.user("caseworker")
    body = client.get("/api/v1/costs/categories", headers=factory.headers(cw)).get_json()
    ilo = {c["value"]: c["ilo"] for c in body}
    assert ilo["recruitment_fee"] and ilo["insurance"] and ilo["lodging"] and ilo["contract"]
    assert not ilo["integration"] and not ilo["stipend"] and not ilo["other"]
