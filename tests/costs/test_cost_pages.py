"""The cost pages: a breach recorded in the browser shows a banner with its grievance, a refund
form with errors beside its fields, and the staff page "Employer Pays"."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from journey.continuum.stages import Stage
from journey.costs.models import Cost
from journey.grievances.models import Grievance
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text


def _post(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTML)


def test_a_breach_shows_its_grievance_and_a_refund_clears_it(client, journey_kit, ledger,
                                                             db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    agency = ledger.recruiter()
    placement = ledger.placement(p, journey_kit.employer, recruiter=agency)
    log_in(client, journey_kit.caseworker)
    new = f"/participants/{p.id}/costs/new"
    form = text(client.get(new, headers=HTML))
    assert "Insurance" in form and 'name="placement_id"' in form and agency.name in form
    bad = _post(client, new, {"category": "visa_fee", "amount": "90.00", "currency": "EUR",
                              "paid_by": "migrant", "placement_id": "999999"})
    assert_html_page(bad, 422)
    assert 'id="err-placement_id"' in text(bad)

    ok = _post(client, new, {"category": "recruitment_fee", "amount": "450.00",
                             "currency": "USD", "paid_by": "migrant",
                             "should_have_paid": "employer", "placement_id": str(placement.id),
                             "evidence": "Receipt 77"})
    assert ok.status_code == 303
    cost = db_session.scalars(sa.select(Cost).where(Cost.participant_id == p.id)).one()
    assert (cost.employer_id, cost.recruiter_id) == (journey_kit.employer.id, agency.id)
    g = db_session.get(Grievance, cost.breach_grievance_id)
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    banner = record.split('id="employer-pays"')[1].split("</div>")[0]
    assert g.reference in banner and f"/grievances/{g.id}" in banner
    assert "Record a refund" in banner and "Receipt 77" in record and agency.name in record

    refund = f"/participants/{p.id}/costs/{cost.id}/refund"
    assert 'value="450.00"' in text(client.get(refund, headers=HTML))  # what is left, offered
    too_much = _post(client, refund, {"amount": "500.00", "version": "1"})
    assert_html_page(too_much, 422)
    assert 'id="err-amount"' in text(too_much)
    nonsense = _post(client, refund, {"amount": "lots", "version": "1"})
    assert_html_page(nonsense, 422)
    assert 'id="err-amount"' in text(nonsense)
    partial = _post(client, refund, {"amount": "150.00", "version": "1",
                                     "note": "First instalment"})
    assert partial.status_code == 303
    assert 'id="employer-pays"' in text(client.get(f"/participants/{p.id}", headers=HTML))
    rest = _post(client, refund, {"amount": "300.00", "version": "2"})
    assert rest.status_code == 303
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert 'id="employer-pays"' not in record and "Refunded in full" in record
    assert g.reference in record  # the grievance stays linked from the cost
    again = _post(client, refund, {"amount": "1.00", "version": "3"})
    assert_html_page(again, 409)


def test_the_employer_pays_page_filters_by_programme(client, factory, journey_kit, ledger):
    programme = factory.programme(budget_per_hire=Decimal("800.00"), budget_currency="EUR")
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    placement = ledger.placement(p, journey_kit.employer, programme=programme)
    h = factory.headers(journey_kit.caseworker)
    client.post(f"/api/v1/participants/{p.id}/costs", headers=h, json={
        "category": "travel", "amount": "950.00", "currency": "EUR", "paid_by": "employer",
        "placement_id": placement.id})
    client.post(f"/api/v1/participants/{p.id}/costs", headers=h, json={
        "category": "skills_recognition", "amount": "35.00", "currency": "EUR",
        "paid_by": "migrant", "placement_id": placement.id})
    log_in(client, journey_kit.caseworker)
    home = text(client.get("/participants", headers=HTML))
    assert 'href="/costs/summary"' in home  # the staff link
    page = client.get(f"/costs/summary?programme_id={programme.id}", headers=HTML)
    assert_html_page(page, 200)
    body = text(page)
    assert f"Placement {placement.id}" in body and "985.00" in body and "+185.00" in body
    by_employer = body.split('id="by-employer"')[1].split("</table>")[0]
    assert journey_kit.employer.name in by_employer and "35.00" in by_employer
    bad = client.get("/costs/summary?programme_id=999999", headers=HTML)
    assert_html_page(bad, 422)
    assert 'id="err-programme_id"' in text(bad)


def test_the_pages_read_in_arabic(client, factory, journey_kit):
    user = factory.user("caseworker", office=journey_kit.office, language="ar")
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    log_in(client, user)
    for path in ("/costs/summary", f"/participants/{p.id}/costs/new"):
        resp = client.get(path, headers=HTML)
        assert_html_page(resp, 200)
        assert 'dir="rtl"' in resp.get_data(as_text=True)


def test_hostile_input_to_the_refund_form_is_never_a_500(client, factory, journey_kit):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    h = factory.headers(journey_kit.caseworker)
    cost = client.post(f"/api/v1/participants/{p.id}/costs", headers=h, json={
        "category": "visa_fee", "amount": "90.00", "currency": "EUR",
        "paid_by": "migrant"}).get_json()
    log_in(client, journey_kit.caseworker)
    path = f"/participants/{p.id}/costs/{cost['id']}/refund"
    for value in ("", "x" * 5000, "a\x00b", "99999999999999999999", "-1", "٣٤", "<b>"):
        resp = _post(client, path, {"amount": value, "note": value, "version": value})
        assert resp.status_code in (409, 422), (value, resp.status_code)
        assert resp.mimetype == "text/html"
