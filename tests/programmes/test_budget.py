"""A programme's budget per hire and onboarding steps: set by admins in the API and on the
admin page, validated (the currency goes with the amount; steps are known keys, once each)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from journey.employers.onboarding import STEP_TITLES
from journey.programmes.models import Programme
from journey.programmes.onboarding import STEP_KEYS
from tests.web.test_pages import HTML, csrf_token, log_in, text

BASE = {"code": "NP-PT-BUDGET", "name": "Budgeted", "origin_country": "NP",
        "destination_country": "PT", "sector": "Care"}


def test_the_step_keys_are_the_employers_steps():
    assert tuple(STEP_TITLES) == STEP_KEYS


def test_an_admin_sets_the_budget_and_steps_in_the_api(client, factory, db_session):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={
        **BASE, "budget_per_hire": "1500.00", "budget_currency": "EUR",
        "onboarding_steps": ["contract_signed", "arrival_met", "bank_account_opened"]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["budget_per_hire"] == "1500.00" and body["budget_currency"] == "EUR"
    assert body["onboarding_steps"] == ["contract_signed", "arrival_met", "bank_account_opened"]
    changed = client.patch(f"/api/v1/programmes/{body['id']}", headers=h, json={
        "budget_per_hire": "1750.50", "budget_currency": "USD", "onboarding_steps": None})
    assert changed.status_code == 200, changed.get_json()
    prog = db_session.get(Programme, body["id"])
    db_session.refresh(prog)
    assert prog.budget_per_hire == Decimal("1750.50") and prog.budget_currency == "USD"
    assert prog.onboarding_steps is None
    cleared = client.patch(f"/api/v1/programmes/{body['id']}", headers=h, json={
        "budget_per_hire": None, "budget_currency": None}).get_json()
    assert cleared["budget_per_hire"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"budget_per_hire": "100.00"}, "budget_currency"),
    ({"budget_currency": "EUR"}, "budget_per_hire"),
    ({"budget_per_hire": "-1", "budget_currency": "EUR"}, "budget_per_hire"),
    ({"budget_per_hire": "10", "budget_currency": "euro"}, "budget_currency"),
    ({"onboarding_steps": ["contract_signed", "fly_to_the_moon"]}, "onboarding_steps"),
    ({"onboarding_steps": ["arrival_met", "arrival_met"]}, "onboarding_steps"),
])
def test_invalid_budgets_and_steps_are_422(client, factory, body, field):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={**BASE, **body})
    assert resp.status_code == 422
    assert field in {e["field"].split(".")[0] for e in resp.get_json()["errors"]}
    prog = factory.programme()
    resp = client.patch(f"/api/v1/programmes/{prog.id}", headers=h, json=body)
    assert resp.status_code == 422


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, headers=HTML)


def test_the_admin_page_sets_the_budget_and_steps(client, factory, db_session):
    log_in(client, factory.user("admin"))
    prog = factory.programme()
    path = f"/admin/programmes/{prog.id}"
    page = text(client.get(path, headers=HTML))
    assert 'name="budget_per_hire"' in page and str(STEP_TITLES["first_wage_paid"]) in page
    bad = _post(client, path, {"name": prog.name, "budget_per_hire": "lots",
                               "budget_currency": "EUR", "version": "1"})
    assert bad.status_code == 422 and 'id="err-budget_per_hire"' in text(bad)
    ok = client.post(path, data={"name": prog.name, "budget_per_hire": "900.00",
                                 "budget_currency": "EUR", "version": "1",
                                 "onboarding_steps": ["contract_signed", "first_wage_paid"],
                                 "csrf_token": csrf_token(client, path)}, headers=HTML)
    assert ok.status_code == 303
    db_session.refresh(prog)
    assert prog.budget_per_hire == Decimal("900.00") and prog.budget_currency == "EUR"
    assert prog.onboarding_steps == ["contract_signed", "first_wage_paid"]
    assert "900.00 EUR" in text(client.get(path, headers=HTML))
    new = _post(client, "/admin/programmes/new", {**BASE, "budget_per_hire": "1200",
                                                  "budget_currency": "EUR"})
    assert new.status_code == 303
    created = db_session.scalars(sa.select(Programme).where(
        Programme.code == BASE["code"])).one()
    assert created.budget_per_hire == Decimal("1200.00")
