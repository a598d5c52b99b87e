"""Permits, costs and bulk moves in the browser, through the Flask test client."""

from __future__ import annotations

import sqlalchemy as sa

from journey.continuum.models import Permit
from journey.continuum.stages import Stage
from journey.continuum_pages import costs, permits
from journey.costs.models import Cost
from journey.participants.models import Participant
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text

EMPLOYER_PAYS = "under the Employer Pays principle they must be reimbursed first"


def _post(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTML)


# --- permits -------------------------------------------------------------------------------------

def test_a_permit_is_added_with_errors_beside_the_fields_then_edited(client, journey_kit,
                                                                    db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    log_in(client, journey_kit.caseworker)
    new = f"/participants/{p.id}/permits/new"
    assert_html_page(client.get(new, headers=HTML), 200)
    bad = _post(client, new, {"type": "space_visa", "issuing_country": "Portugal",
                              "status": "granted", "issued_on": "2026-12-01",
                              "expires_on": "2026-11-01"})
    assert_html_page(bad, 422)
    body = text(bad)
    assert 'id="err-type"' in body and 'id="err-issuing_country"' in body
    assert 'value="Portugal"' in body  # what was typed is kept

    dates = _post(client, new, {"type": "work_permit", "issuing_country": "PT",
                                "status": "granted", "issued_on": "2026-12-01",
                                "expires_on": "2026-11-01"})
    assert_html_page(dates, 422)
    assert "The expiry date must be after the issue date." in text(dates)
    assert 'id="err-expires_on"' in text(dates)

    ok = _post(client, new, {"type": "work_permit", "issuing_country": "PT", "number": "PT-123",
                             "status": "applied", "applied_on": "2026-11-02"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("#permits")
    permit = db_session.scalars(sa.select(Permit).where(Permit.participant_id == p.id)).one()
    assert permit.status == "applied" and permit.number == "PT-123"

    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Work permit" in record and "PT-123" in record and "Applied for" in record

    edit = f"/participants/{p.id}/permits/{permit.id}"
    assert 'value="PT-123"' in text(client.get(edit, headers=HTML))
    resp = _post(client, edit, {"version": 1, "type": "work_permit", "issuing_country": "PT",
                                "number": "PT-123", "status": "granted",
                                "applied_on": "2026-11-02", "expires_on": "2028-01-01"})
    assert resp.status_code == 303
    db_session.refresh(permit)
    assert permit.status == "granted" and permit.version == 2
    # The departure step no longer names the permit among its reasons.
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    depart = record.split('id="step-depart"')[1].split('id="checklist"')[0]
    assert "A visa or work permit must be granted" not in depart

    stale = _post(client, edit, {"version": 1, "type": "work_permit", "issuing_country": "PT",
                                 "status": "refused"})
    assert_html_page(stale, 409)
    assert "Someone else changed this record" in text(stale)
    db_session.refresh(permit)
    assert permit.status == "granted"


# --- costs ---------------------------------------------------------------------------------------

def test_a_cost_paid_by_the_migrant_shows_the_employer_pays_warning(client, journey_kit,
                                                                   db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    log_in(client, journey_kit.caseworker)
    new = f"/participants/{p.id}/costs/new"
    bad = _post(client, new, {"category": "visa_fee", "amount": "-5", "currency": "euro",
                               "paid_by": ""})
    assert_html_page(bad, 422)
    body = text(bad)
    assert 'id="err-amount"' in body and 'id="err-currency"' in body and 'id="err-paid_by"' in body

    ok = _post(client, new, {"category": "visa_fee", "amount": "90.00", "currency": "EUR",
                             "paid_by": "migrant", "note": "Paid at the agency"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("#costs")
    cost = db_session.scalars(sa.select(Cost).where(Cost.participant_id == p.id)).one()
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert 'id="employer-pays"' in record and EMPLOYER_PAYS in record
    assert "Breaks Employer Pays" in record
    # The departure step names the same reason, before anyone tries.
    depart = record.split('id="step-depart"')[1].split('id="checklist"')[0]
    assert EMPLOYER_PAYS in depart

    edit = f"/participants/{p.id}/costs/{cost.id}"
    assert_html_page(client.get(edit, headers=HTML), 200)
    resp = _post(client, edit, {"version": 1, "category": "visa_fee", "amount": "90.00",
                                "currency": "EUR", "paid_by": "employer",
                                "note": "Reimbursed by the employer"})
    assert resp.status_code == 303
    db_session.refresh(cost)
    assert cost.paid_by == "employer" and cost.version == 2
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert EMPLOYER_PAYS not in record
    assert "Move to" in record.split('id="step-depart"')[1].split('id="checklist"')[0]

    stale = _post(client, edit, {"version": 1, "category": "visa_fee", "amount": "10.00",
                                 "currency": "EUR", "paid_by": "migrant"})
    assert_html_page(stale, 409)
    body = text(stale)
    assert "Someone else changed this record" in body and "10.00" in body
    db_session.refresh(cost)
    assert cost.paid_by == "employer"


def test_staff_see_the_sections_and_other_roles_get_none(app, client, factory, journey_kit,
                                                         db_session):
    p = journey_kit.participant(Stage.INTAKE)
    log_in(client, journey_kit.caseworker)
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert 'id="permits"' in body and 'id="costs"' in body and 'id="journey"' in body
    # Employers and partners never open the staff record page (403); should a page ever
    # include the sections for them, the providers give nothing.
    for role in ("employer", "partner"):
        user = factory.user(role)
        with app.test_request_context():
            assert permits.permits_section(db_session, user, p) is None
            assert costs.costs_section(db_session, user, p) is None


# --- bulk moves ----------------------------------------------------------------------------------

def test_bulk_moves_show_a_result_per_participant(client, journey_kit, db_session):
    ready = journey_kit.participant(Stage.INTAKE)
    not_ready = journey_kit.participant(Stage.PRESELECTION, ready=False)
    log_in(client, journey_kit.supervisor)
    page = client.get("/participants/bulk-move", headers=HTML)
    assert_html_page(page, 200)
    assert f'id="pick-{ready.id}"' in text(page)
    assert 'href="/participants/bulk-move"' in text(page)  # the header links it
    filtered = client.get("/participants/bulk-move?stage=preselection", headers=HTML)
    assert f'id="pick-{not_ready.id}"' in text(filtered)
    assert f'id="pick-{ready.id}"' not in text(filtered)

    none = _post(client, "/participants/bulk-move", {"event": "preselect"},
                 page="/participants/bulk-move")
    assert_html_page(none, 422)
    assert 'id="err-participant_ids"' in text(none)

    token = csrf_token(client, "/participants/bulk-move")
    resp = client.post("/participants/bulk-move", headers=HTML, data={
        "csrf_token": token, "event": "start_training",
        "participant_ids": [str(ready.id), str(not_ready.id)]})
    assert_html_page(resp, 200)
    body = text(resp)
    assert "0 moved, 2 not moved." in body
    assert "Required checklist items are not done" in body
    assert "is not possible from Intake" in body

    resp = client.post("/participants/bulk-move", headers=HTML, data={
        "csrf_token": token, "event": "preselect", "participant_ids": [str(ready.id)]})
    assert "1 moved, 0 not moved." in text(resp)
    assert db_session.scalar(sa.select(Participant.stage).where(
        Participant.id == ready.id)) == "preselection"


def test_caseworkers_cannot_open_bulk_moves(client, journey_kit):
    log_in(client, journey_kit.caseworker)
    resp = client.get("/participants/bulk-move", headers=HTML)
    assert_html_page(resp, 403)
    home = text(client.get("/", headers=HTML))
    assert 'href="/participants/bulk-move"' not in home
