"""Texts people send us, through the API: a participant's replies in full (audited), marked
handled, answered by SMS through the outbox (or refused with the reason); the triage of texts
from unknown numbers (attach within scope, dismiss with a reason). On both databases."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.timeline import JourneyEvent
from notifications.models import InboundMessage, OutboxMessage, SmsOptOut


def _audits(db_session, action, actor):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action,
                                                          AuditEvent.actor_id == actor.id)).all()


def test_a_participants_texts_are_listed_in_full_and_the_read_is_audited(client, factory, desk,
                                                                        db_session):
    p = desk.person()
    older = desk.text(p.phone, "Namaste, when is my visa ready?", p, minutes_ago=30)
    newer = desk.text(p.phone, "Also: my passport expires in May", p, minutes_ago=2)
    resp = client.get(f"/api/v1/participants/{p.id}/inbound",
                      headers=factory.headers(desk.caseworker))
    assert resp.status_code == 200
    assert [t["id"] for t in resp.json] == [newer.id, older.id]
    assert resp.json[1]["body"] == "Namaste, when is my visa ready?"
    assert resp.json[0]["needs_attention"] is True and resp.json[0]["handled_at"] is None
    (event,) = _audits(db_session, "messaging:inbound:read", desk.caseworker)
    assert event.object_id == p.id
    # Another office's caseworker: the participant does not exist for them.
    stranger = factory.user("caseworker", office=factory.office())
    assert client.get(f"/api/v1/participants/{p.id}/inbound",
                      headers=factory.headers(stranger)).status_code == 404


def test_marking_handled_clears_attention_and_records_who(client, factory, desk, db_session):
    p = desk.person()
    m = desk.text(p.phone, "Thank you!", p)
    headers = factory.headers(desk.caseworker)
    resp = client.post(f"/api/v1/inbound/{m.id}/handled", headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["needs_attention"] is False
    assert resp.json["handled_by"] == desk.caseworker.id and resp.json["handled_at"]
    db_session.expire_all()
    assert db_session.get(InboundMessage, m.id).needs_attention is False
    assert _audits(db_session, "messaging:inbound:handled", desk.caseworker)
    # Another office's caseworker cannot reach it; a text from an unknown number is not theirs.
    stranger = factory.user("caseworker", office=factory.office())
    assert client.post(f"/api/v1/inbound/{m.id}/handled",
                       headers=factory.headers(stranger)).status_code == 404
    unknown = desk.text("+351912000111", "hello?")
    assert client.post(f"/api/v1/inbound/{unknown.id}/handled", headers=headers).status_code == 404


def test_a_reply_queues_an_sms_in_the_participants_language(client, factory, desk, db_session,
                                                           caplog):
    p = desk.person(language="es", given_name="Lucía")
    m = desk.text(p.phone, "¿Cuándo viajo?", p)
    caplog.set_level(logging.DEBUG)
    resp = client.post(f"/api/v1/inbound/{m.id}/reply", json={"text": "  El lunes 7, a las 9h.  "},
                       headers=factory.headers(desk.caseworker))
    assert resp.status_code == 201, resp.json
    assert resp.json["channel"] == "sms" and resp.json["language"] == "es"
    assert resp.json["status"] == "queued"
    out = db_session.get(OutboxMessage, resp.json["id"])
    assert out.participant_id == p.id and out.template == "caseworker_reply"
    assert out.body.endswith(": El lunes 7, a las 9h.") and out.recipient == p.phone
    db_session.expire_all()
    assert db_session.get(InboundMessage, m.id).needs_attention is False
    assert _audits(db_session, "messaging:inbound:reply", desk.caseworker)
    # Neither the name, the number nor the texts reach the logs.
    for secret in (p.phone, "Lucía", "El lunes", "Cuándo"):
        assert secret not in caplog.text


def test_a_reply_is_refused_with_the_reason_without_consent_or_after_stop(client, factory, desk,
                                                                         db_session):
    headers = factory.headers(desk.caseworker)
    p = desk.person(consent_to_updates=False)
    m = desk.text(p.phone, "Hello?", p)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    resp = client.post(f"/api/v1/inbound/{m.id}/reply", json={"text": "Hi"}, headers=headers)
    assert resp.status_code == 409 and resp.json["code"] == "no-consent"
    assert "consent" in resp.json["detail"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before

    q = desk.person()
    n = desk.text(q.phone, "Hello?", q)
    db_session.add(SmsOptOut(phone=q.phone, source="keyword", opted_out_at=n.received_at))
    db_session.flush()
    resp = client.post(f"/api/v1/inbound/{n.id}/reply", json={"text": "Hi"}, headers=headers)
    assert resp.status_code == 409 and resp.json["code"] == "opted-out"

    resp = client.post(f"/api/v1/inbound/{n.id}/reply", json={"text": "   "}, headers=headers)
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "text"
    resp = client.post(f"/api/v1/inbound/{n.id}/reply", json={"text": "x" * 301}, headers=headers)
    assert resp.status_code == 422


def test_triage_lists_unknown_numbers_masked_oldest_first(client, factory, desk, db_session):
    p = desk.person()
    desk.text(p.phone, "from a known person", p)
    first = desk.text("+351912345678", "Is this the centre? I am Ram", minutes_ago=50)
    second = desk.text("+351934000999", "Buy cheap phones", minutes_ago=10)
    # A keyword from an unknown number needs nobody.
    db_session.add(InboundMessage(sender="+351911111111", body="STOP", keyword="stop",
                                  needs_attention=False, received_at=first.received_at))
    db_session.flush()
    resp = client.get("/api/v1/inbound/triage", headers=factory.headers(desk.caseworker))
    assert resp.status_code == 200
    ids = [i["id"] for i in resp.json["items"]]
    assert ids == [first.id, second.id] and resp.json["total"] == 2
    assert resp.json["items"][0]["sender"] == "•••678"
    assert "+351912345678" not in resp.get_data(as_text=True)
    assert resp.json["items"][0]["body"] == "Is this the centre? I am Ram"
    assert _audits(db_session, "messaging:triage:read", desk.caseworker)


def test_attaching_moves_the_text_to_the_participants_timeline(client, factory, desk, db_session):
    p = desk.person()
    m = desk.text("+351912345678", "New number: this is me", minutes_ago=40)
    headers = factory.headers(desk.caseworker)
    resp = client.post(f"/api/v1/inbound/{m.id}/attach", json={"reference": p.reference.lower()},
                       headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["participant_id"] == p.id and resp.json["reference"] == p.reference
    assert resp.json["needs_attention"] is True
    event = db_session.scalars(sa.select(JourneyEvent).where(
        JourneyEvent.participant_id == p.id, JourneyEvent.kind == "message_received")).one()
    assert event.data["inbound_id"] == m.id and event.actor_id == desk.caseworker.id
    assert event.occurred_at == m.received_at
    assert _audits(db_session, "messaging:inbound:attach", desk.caseworker)
    assert m.id not in [i["id"] for i in client.get("/api/v1/inbound/triage",
                                                    headers=headers).json["items"]]
    texts = client.get(f"/api/v1/participants/{p.id}/inbound", headers=headers).json
    assert [t["body"] for t in texts] == ["New number: this is me"]
    # Attached once: it is no longer awaiting triage.
    assert client.post(f"/api/v1/inbound/{m.id}/attach", json={"participant_id": p.id},
                       headers=headers).status_code == 404


def test_attaching_to_a_participant_out_of_scope_is_a_field_error(client, factory, desk,
                                                                  db_session):
    other_cw = factory.user("caseworker", office=factory.office())
    theirs = factory.participant(other_cw)
    m = desk.text("+351912345678", "hello")
    headers = factory.headers(desk.caseworker)
    for body, field in (({"participant_id": theirs.id}, "participant_id"),
                        ({"reference": theirs.reference}, "reference"),
                        ({"reference": "NOPE-0000"}, "reference"),
                        ({}, "reference")):
        resp = client.post(f"/api/v1/inbound/{m.id}/attach", json=body, headers=headers)
        assert resp.status_code == 422, body
        assert [e["field"] for e in resp.json["errors"]] == [field]
    db_session.expire_all()
    assert db_session.get(InboundMessage, m.id).participant_id is None
    # An admin sees everyone, so may attach it there.
    admin = factory.user("admin")
    assert client.post(f"/api/v1/inbound/{m.id}/attach", json={"participant_id": theirs.id},
                       headers=factory.headers(admin)).status_code == 200


def test_dismissed_texts_disappear_from_triage_with_their_reason(client, factory, desk,
                                                                 db_session):
    m = desk.text("+351934000999", "Buy cheap phones")
    headers = factory.headers(desk.caseworker)
    resp = client.post(f"/api/v1/inbound/{m.id}/dismiss", json={"reason": "maybe"},
                       headers=headers)
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "reason"
    resp = client.post(f"/api/v1/inbound/{m.id}/dismiss", json={"reason": "spam"}, headers=headers)
    assert resp.status_code == 200 and resp.json["dismissed_reason"] == "spam"
    assert resp.json["needs_attention"] is False
    assert client.get("/api/v1/inbound/triage", headers=headers).json["total"] == 0
    (event,) = _audits(db_session, "messaging:inbound:dismiss", desk.caseworker)
    assert event.details["reason"] == "spam"
    assert client.post(f"/api/v1/inbound/{m.id}/dismiss", json={"reason": "spam"},
                       headers=headers).status_code == 404


def test_employers_and_partners_may_not_triage(client, factory):
    for role in ("employer", "partner"):
        user = factory.user(role)
        assert client.get("/api/v1/inbound/triage",
                          headers=factory.headers(user)).status_code == 403
