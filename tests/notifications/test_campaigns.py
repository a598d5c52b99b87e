"""Campaigns: preview who gets what (by language, segments, cost, skips), then send."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.models import Campaign, OutboxMessage, SmsOptOut

BODY = {"name": "Orientation day", "template": "appointment_reminder",
        "params": {"what": "Orientation", "place": "Kathmandu MRC", "date": "2026-12-01"}}


def test_preview_then_send_to_a_cohort(app, client, factory, person, db_session):
    prog = factory.programme()
    ne = [person(language="ne", programme_id=prog.id, channels=["sms"]) for _ in range(2)]
    fr = person(language="fr", programme_id=prog.id, channels=["sms", "email"],
                email="a@example.org")
    person(consent_to_updates=False, programme_id=prog.id, channels=["sms"])
    opted = person(programme_id=prog.id, channels=["sms"])
    person(language="ne", channels=["sms"])  # another programme: not in the cohort
    db_session.add(SmsOptOut(phone=opted.phone, source="keyword",
                             opted_out_at=ne[0].created_at))
    db_session.flush()
    h = factory.headers(person.caseworker)
    body = {**BODY, "filter": {"programme_id": prog.id}}

    preview = client.post("/api/v1/campaigns/preview", json=body, headers=h).get_json()
    assert preview["recipients"] == 5
    assert preview["skipped"] == {"no_consent": 1, "opted_out": 1}
    by_lang = {(e["language"], e["channel"]): e for e in preview["by_language"]}
    assert by_lang[("ne", "sms")]["messages"] == 2 and by_lang[("fr", "email")]["messages"] == 1
    assert by_lang[("ne", "sms")]["segments"] >= 2
    assert float(preview["estimated_cost"]) > 0
    before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    sent = client.post("/api/v1/campaigns", json=body, headers=h)
    assert sent.status_code == 201
    result = sent.get_json()
    assert result["messages"] == preview["messages"] == 4
    campaign = db_session.get(Campaign, result["campaign_id"])
    rows = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id)).all()
    assert len(rows) == 4
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before + 4
    assert {r.participant_id for r in rows} == {ne[0].id, ne[1].id, fr.id}


def test_campaign_input_is_validated(client, factory, person):
    h = factory.headers(person.caseworker)
    bad = client.post("/api/v1/campaigns/preview", json={**BODY, "template": "spam"}, headers=h)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "template"


def test_history_and_delivery_rates(client, factory, person, messaging, db_session):
    from datetime import UTC, datetime

    p = person(channels=["sms"])
    messaging().run_once(datetime.now(UTC))
    h = factory.headers(person.caseworker)
    history = client.get(f"/api/v1/participants/{p.id}/messages", headers=h).get_json()
    assert [(m["template"], m["status"]) for m in history] == [("stage_entered.intake", "sent")]
    stats = client.get("/api/v1/messages/stats", headers=h).get_json()
    sms = [s for s in stats if s["channel"] == "sms"]
    assert sum(s["total"] for s in sms) >= 1
    assert all(s["delivery_rate"] == 0.0 for s in sms if s["by_status"].get("sent"))


def test_filter_ids_are_strict_integers_in_range(client, factory, person):
    h = factory.headers(person.caseworker)
    for bad in ("1", 1.5, 0, 2**31, 10909724611286747136):
        resp = client.post("/api/v1/campaigns/preview", headers=h,
                           json={**BODY, "filter": {"programme_id": bad}})
        assert resp.status_code == 422, (bad, resp.get_json())
        assert [e["field"] for e in resp.get_json()["errors"]] == ["filter.programme_id"]
