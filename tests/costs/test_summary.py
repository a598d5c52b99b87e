"""The Employer Pays summary checked against totals worked out by hand: per placement by payer
against the budget per hire, per currency, breaches by employer and recruiter; scope."""

from __future__ import annotations

from decimal import Decimal

from journey.continuum.stages import Stage
from journey.costs import summary as summaries


def _cost(client, h, p, category, amount, currency, paid_by, **kw):
    resp = client.post(f"/api/v1/participants/{p.id}/costs", headers=h, json={
        "category": category, "amount": amount, "currency": currency, "paid_by": paid_by, **kw})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _world(client, factory, journey_kit, ledger):
    """Two employers, two recruiters, three placements on a programme budgeted 1000.00 EUR."""
    programme = factory.programme(budget_per_hire=Decimal("1000.00"), budget_currency="EUR")
    other_programme = factory.programme()
    acme, bolt = factory.employer(), factory.employer()
    r1, r2 = ledger.recruiter(), ledger.recruiter()
    h = factory.headers(journey_kit.caseworker)
    p1, p2, p3 = (journey_kit.participant(Stage.PRE_DEPARTURE) for _ in range(3))
    pl1 = ledger.placement(p1, acme, recruiter=r1, programme=programme)
    pl2 = ledger.placement(p2, acme, recruiter=r2, programme=programme)
    pl3 = ledger.placement(p3, bolt, recruiter=r1, programme=other_programme)
    # pl1: 700 employer + 250 programme + 300 migrant visa (breach, refunded 300) = 1250 EUR,
    #      over the budget by 250; plus 40 USD migrant insurance (breach, open).
    _cost(client, h, p1, "travel", "700.00", "EUR", "employer", placement_id=pl1.id)
    _cost(client, h, p1, "training", "250.00", "EUR", "programme", placement_id=pl1.id)
    visa = _cost(client, h, p1, "visa_fee", "300.00", "EUR", "migrant", placement_id=pl1.id)
    client.post(f"/api/v1/participants/{p1.id}/costs/{visa['id']}/refund", headers=h,
                json={"amount": "300.00"})
    _cost(client, h, p1, "insurance", "40.00", "USD", "migrant", placement_id=pl1.id)
    # pl2: 500 employer + 100 migrant fee (open, 30 refunded) + 60 migrant integration (no
    #      breach) = 660 EUR, under the budget by 340.
    _cost(client, h, p2, "permit", "500.00", "EUR", "employer", placement_id=pl2.id)
    fee = _cost(client, h, p2, "recruitment_fee", "100.00", "EUR", "migrant",
                placement_id=pl2.id)
    client.post(f"/api/v1/participants/{p2.id}/costs/{fee['id']}/refund", headers=h,
                json={"amount": "30.00"})
    _cost(client, h, p2, "integration", "60.00", "EUR", "migrant", placement_id=pl2.id)
    # pl3 (bolt, another programme, no budget): 80 EUR migrant lodging (open).
    _cost(client, h, p3, "lodging", "80.00", "EUR", "migrant", placement_id=pl3.id)
    return programme, (acme, bolt), (r1, r2), (pl1, pl2, pl3)


def _by(rows, **match):
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def test_the_summary_matches_totals_worked_out_by_hand(client, factory, journey_kit, ledger):
    programme, (acme, bolt), (r1, r2), (pl1, pl2, pl3) = _world(client, factory, journey_kit,
                                                               ledger)
    admin = factory.user("admin")
    resp = client.get(f"/api/v1/costs/summary?programme_id={programme.id}",
                      headers=factory.headers(admin))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["placement_count"] == 2
    rows = body["placements"]
    (eur1,) = _by(rows, placement_id=pl1.id, currency="EUR")
    assert (eur1["employer"], eur1["programme"], eur1["migrant"], eur1["total"]) == (
        "700.00", "250.00", "300.00", "1250.00")
    assert eur1["refunded"] == "300.00" and eur1["over_budget"] == "250.00"
    assert eur1["budget_per_hire"] == "1000.00" and eur1["budget_currency"] == "EUR"
    (usd1,) = _by(rows, placement_id=pl1.id, currency="USD")
    assert usd1["migrant"] == "40.00" and usd1["over_budget"] is None  # not the budget's currency
    (eur2,) = _by(rows, placement_id=pl2.id)
    assert (eur2["employer"], eur2["migrant"], eur2["total"], eur2["over_budget"]) == (
        "500.00", "160.00", "660.00", "-340.00")

    totals = {t["currency"]: t for t in body["totals"]}
    assert set(totals) == {"EUR", "USD"}  # never added across currencies
    eur = totals["EUR"]
    assert (eur["employer"], eur["programme"], eur["migrant"], eur["total"], eur["refunded"]) == (
        "1200.00", "250.00", "460.00", "1910.00", "330.00")
    assert (eur["placements"], eur["over_budget"], eur["within_budget"]) == (2, 1, 1)
    assert totals["USD"]["total"] == "40.00" and totals["USD"]["over_budget"] == 0

    employers = {(r["employer_id"], r["currency"]): r for r in body["breaches_by_employer"]}
    assert set(employers) == {(acme.id, "EUR"), (acme.id, "USD")}
    acme_eur = employers[(acme.id, "EUR")]
    assert (acme_eur["breaches"], acme_eur["open"], acme_eur["refunded"]) == (2, 1, 1)
    assert acme_eur["open_amount"] == "70.00" and acme_eur["refunded_amount"] == "330.00"
    assert acme_eur["name"] == acme.name
    recruiters = {(r["recruiter_id"], r["currency"]): r for r in body["breaches_by_recruiter"]}
    assert recruiters[(r1.id, "EUR")]["breaches"] == 1 and recruiters[(r1.id, "EUR")]["open"] == 0
    assert recruiters[(r2.id, "EUR")]["open_amount"] == "70.00"
    assert recruiters[(r1.id, "USD")]["open_amount"] == "40.00"

    # Without the filter, the other programme's placement and bolt's breach count too.
    every = client.get("/api/v1/costs/summary", headers=factory.headers(admin)).get_json()
    assert every["placement_count"] >= 3
    assert any(r["employer_id"] == bolt.id and r["open_amount"] == "80.00"
               for r in every["breaches_by_employer"])
    # Paging: one placement at a time.
    first = client.get(f"/api/v1/costs/summary?programme_id={programme.id}&limit=1",
                       headers=factory.headers(admin)).get_json()
    assert {r["placement_id"] for r in first["placements"]} == {pl1.id}
    assert first["next_after_id"] == pl1.id
    second = client.get(f"/api/v1/costs/summary?programme_id={programme.id}&limit=1"
                        f"&after_id={pl1.id}", headers=factory.headers(admin)).get_json()
    assert {r["placement_id"] for r in second["placements"]} == {pl2.id}


def test_an_employer_sees_only_their_own_summary(app, client, factory, journey_kit, ledger,
                                                 db_session):
    _programme, (acme, bolt), _recruiters, (pl1, pl2, pl3) = _world(client, factory,
                                                                    journey_kit, ledger)
    user = factory.user("employer", employer_id=acme.id)
    h = factory.headers(user)
    body = client.get("/api/v1/costs/summary", headers=h).get_json()
    assert body["employer_id"] == acme.id and body["placement_count"] == 2
    assert {r["placement_id"] for r in body["placements"]} == {pl1.id, pl2.id}
    assert {r["employer_id"] for r in body["breaches_by_employer"]} == {acme.id}
    # Naming another employer is refused like an unknown one.
    other = client.get(f"/api/v1/costs/summary?employer_id={bolt.id}", headers=h)
    assert other.status_code == 422 and other.get_json()["errors"][0]["field"] == "employer_id"
    with app.test_request_context():
        own = summaries.employer_summary(db_session, user)
    assert own["placement_count"] == 2 and own["employer_id"] == acme.id
    with app.test_request_context():
        staff = summaries.employer_summary(db_session, journey_kit.caseworker,
                                           employer_id=bolt.id)
    assert {r["placement_id"] for r in staff["placements"]} == {pl3.id}


def test_a_caseworker_sees_their_offices_placements_only(client, factory, journey_kit, ledger):
    _world(client, factory, journey_kit, ledger)
    elsewhere = factory.user("caseworker")
    body = client.get("/api/v1/costs/summary", headers=factory.headers(elsewhere)).get_json()
    assert body["placement_count"] == 0 and body["placements"] == []
    assert body["breaches_by_employer"] == [] and body["totals"] == []


def test_unknown_filters_are_422(client, factory):
    h = factory.headers(factory.user("supervisor"))
    for query in ("programme_id=999999", "employer_id=999999", "colour=red", "limit=0"):
        resp = client.get(f"/api/v1/costs/summary?{query}", headers=h)
        assert resp.status_code == 422, query
