"""Consent per purpose: grant, withdraw, history, and the check later features call."""

from __future__ import annotations

from journey.consent import services


def test_grant_withdraw_and_grant_again_keeps_full_history(app, client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    url = f"/api/v1/participants/{p.id}/consents"

    granted = client.post(url, json={"purpose": "updates", "method": "sms"}, headers=h)
    assert granted.status_code == 201
    assert granted.get_json()["recorded_by"] == cw.id
    assert services.has_consent(db_session, p.id, "updates")

    again = client.post(url, json={"purpose": "updates", "method": "verbal"}, headers=h)
    assert again.status_code == 409 and again.get_json()["code"] == "consent-already-given"

    withdrawn = client.post(f"{url}/updates/withdraw", json={"method": "sms", "note": "STOP"}, headers=h)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawal_method"] == "sms"
    assert not services.has_consent(db_session, p.id, "updates")

    assert client.post(url, json={"purpose": "updates", "method": "signed"}, headers=h).status_code == 201
    state = client.get(url, headers=h).get_json()
    assert state["current"]["updates"] is True
    assert [(r["method"], r["withdrawn_at"] is not None) for r in state["history"]] == [
        ("sms", True), ("signed", False)]


def test_withdrawing_without_consent_is_a_conflict(client, factory):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    resp = client.post(f"/api/v1/participants/{p.id}/consents/monitoring/withdraw",
                       json={"method": "verbal"}, headers=factory.headers(cw))
    assert resp.status_code == 409 and resp.get_json()["code"] == "no-active-consent"


def test_unknown_purpose_is_404_and_bad_method_is_422(client, factory):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    assert client.post(f"/api/v1/participants/{p.id}/consents/marketing/withdraw",
                       json={"method": "verbal"}, headers=h).status_code == 404
    resp = client.post(f"/api/v1/participants/{p.id}/consents",
                       json={"purpose": "updates", "method": "telepathy"}, headers=h)
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "method"


def test_consented_ids_checks_many_participants_at_once(app, factory, db_session):
    cw = factory.user("caseworker")
    a, b, c = (factory.participant(cw) for _ in range(3))
    with app.app_context():
        services.grant(db_session, cw, a, purpose="updates", method="sms")
        services.grant(db_session, cw, b, purpose="updates", method="sms")
        services.withdraw(db_session, cw, b, purpose="updates", method="sms")
        services.grant(db_session, cw, c, purpose="monitoring", method="sms")
    assert services.consented_ids(db_session, [a.id, b.id, c.id], "updates") == {a.id}
