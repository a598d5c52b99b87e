"""Texts people send us, through the pages: the record's Timeline (messages with their status in
words, replies in full, audited), answering and marking handled, and /messages/triage (attach,
dismiss, errors beside the field, CSRF). On both databases."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from notifications.models import InboundMessage, OutboxMessage
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text


def _record(client, p):
    resp = client.get(f"/participants/{p.id}", headers=HTML)
    assert_html_page(resp, 200)
    return text(resp)


def test_the_timeline_shows_messages_with_status_and_replies_in_full(client, factory, desk,
                                                                    db_session):
    p = desk.person()
    msg = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == p.id)).first()
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg.id).values(
        status="failed", last_error_code="connection-error"))
    db_session.add(OutboxMessage(participant_id=p.id, channel="email", template="permit_expiring",
                                 language="ne", timezone="Asia/Kathmandu", body="x",
                                 status="skipped", skip_reason="no_email", not_before=utcnow(),
                                 created_at=utcnow(), updated_at=utcnow()))
    desk.text(p.phone, "म भोलि आउँछु, ठीक छ?", p)
    log_in(client, desk.caseworker)
    body = _record(client, p)
    assert 'id="timeline"' in body and "Timeline" in body
    assert "म भोलि आउँछु, ठीक छ?" in body and "Needs an answer" in body
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))
    assert "SMS · stage_entered.intake · Nepali · Failed: The provider could not be reached." in words
    assert "Email · permit_expiring · Nepali · Not sent: No email address recorded." in words
    assert "Stage entered" in words and "→ Intake" in words  # other domains' entries
    # Newest first: the reply (just now) before the registration.
    assert words.index("Message received") < words.index("Stage entered")
    assert db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "messaging:inbound:read",
        AuditEvent.actor_id == desk.caseworker.id)).all()


def test_a_reply_is_marked_handled_from_the_record(client, desk, db_session):
    p = desk.person()
    m = desk.text(p.phone, "Got it, thanks", p)
    log_in(client, desk.caseworker)
    url = f"/participants/{p.id}/inbound/{m.id}/handled"
    assert client.post(url, data={"csrf_token": "forged"}, headers=HTML).status_code == 400
    resp = client.post(url, data={"csrf_token": csrf_token(client, f"/participants/{p.id}")},
                       headers=HTML)
    assert resp.status_code == 303 and resp.location.endswith(f"/participants/{p.id}#timeline")
    db_session.expire_all()
    assert db_session.get(InboundMessage, m.id).needs_attention is False
    body = _record(client, p)
    assert "The message is marked as handled." in body
    assert "Needs an answer" not in body and "Handled · " in body
    assert desk.caseworker.username in body


def test_answering_by_sms_from_the_reply_page(client, desk, db_session):
    p = desk.person(language="en")
    m = desk.text(p.phone, "Where do I sign?", p)
    log_in(client, desk.caseworker)
    url = f"/participants/{p.id}/inbound/{m.id}/reply"
    page = client.get(url, headers=HTML)
    assert_html_page(page, 200)
    assert "Where do I sign?" in text(page)
    token = csrf_token(client, url)
    resp = client.post(url, data={"csrf_token": token, "text": ""}, headers=HTML)
    assert_html_page(resp, 422)
    assert re.search(r'<p class="field-error" id="err-text">', resp.get_data(as_text=True))
    resp = client.post(url, data={"csrf_token": token, "text": "At the office, room 2."},
                       headers=HTML)
    assert resp.status_code == 303
    out = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == p.id, OutboxMessage.template == "caseworker_reply")).one()
    assert out.body.endswith("At the office, room 2.") and out.language == "en"
    assert "Your answer is queued" in _record(client, p)


def test_answering_without_consent_says_why(client, desk, db_session):
    p = desk.person(consent_to_updates=False)
    m = desk.text(p.phone, "Hello", p)
    log_in(client, desk.caseworker)
    url = f"/participants/{p.id}/inbound/{m.id}/reply"
    resp = client.post(url, data={"csrf_token": csrf_token(client, url), "text": "Hi"},
                       headers=HTML)
    assert_html_page(resp, 409)
    assert "has not consented to receive messages" in text(resp)


def test_a_text_of_another_participant_is_not_found_through_this_record(client, desk):
    p, q = desk.person(), desk.person()
    m = desk.text(q.phone, "Hello", q)
    log_in(client, desk.caseworker)
    assert client.get(f"/participants/{p.id}/inbound/{m.id}/reply",
                      headers=HTML).status_code == 404


def test_triage_page_attaches_and_dismisses(client, factory, desk, db_session):
    p = desk.person()
    other = factory.participant(factory.user("caseworker", office=factory.office()))
    keep = desk.text("+351912345678", "It is me, new phone", minutes_ago=20)
    spam = desk.text("+351934000999", "WIN A PRIZE", minutes_ago=10)
    log_in(client, desk.caseworker)
    page = client.get("/messages/triage", headers=HTML)
    assert_html_page(page, 200)
    body = text(page)
    assert "It is me, new phone" in body and "•••678" in body and "+351912345678" not in body
    assert 'href="/messages/triage"' in body  # the header links it
    token = csrf_token(client, "/messages/triage")

    resp = client.post(f"/messages/triage/{keep.id}/attach",
                       data={"csrf_token": token, "reference": other.reference}, headers=HTML)
    assert_html_page(resp, 422)
    assert f'id="err-ref-{keep.id}"' in resp.get_data(as_text=True)
    assert "No participant with this reference." in text(resp)

    resp = client.post(f"/messages/triage/{keep.id}/attach",
                       data={"csrf_token": token, "reference": p.reference}, headers=HTML)
    assert resp.status_code == 303 and resp.location.endswith("/messages/triage")
    resp = client.post(f"/messages/triage/{spam.id}/dismiss",
                       data={"csrf_token": token, "reason": "spam"}, headers=HTML)
    assert resp.status_code == 303
    body = text(client.get("/messages/triage", headers=HTML))
    assert "No text is waiting." in body and "The message is dismissed." in body
    assert "It is me, new phone" in _record(client, p)
    assert client.post(f"/messages/triage/{spam.id}/dismiss",
                       data={"csrf_token": "forged", "reason": "spam"},
                       headers=HTML).status_code == 400


def test_triage_is_for_staff_only(client, factory):
    log_in(client, factory.user("employer"))
    assert client.get("/messages/triage", headers=HTML).status_code == 403


def test_a_record_of_a_hundred_entries_renders_fast_and_pages_older_ones(client, desk, db_session,
                                                                        app):
    from journey.core import timeline

    p = desk.person()
    with app.test_request_context():
        for i in range(120):
            m = InboundMessage(sender=p.phone, body=f"reply number {i}", participant_id=p.id,
                               needs_attention=True, received_at=utcnow())
            db_session.add(m)
            db_session.flush()
            timeline.record(db_session, p, "message_received", inbound_id=m.id,
                            needs_attention=True)
    log_in(client, desk.caseworker)
    _record(client, p)  # warm caches
    started = time.perf_counter()
    body = _record(client, p)
    elapsed = time.perf_counter() - started
    assert "reply number 119" in body and "reply number 5 " not in body
    assert body.count('class="timeline-entry') == 100
    assert "Older entries" in body
    older = text(client.get(f"/participants/{p.id}?timeline_page=2", headers=HTML))
    assert "reply number 5" in older and "Newer entries" in older
    assert elapsed < 1.0  # the bench holds it to 150 ms; a loose bound against N+1 here


def test_the_triage_page_finds_a_reference_by_name_within_scope(client, factory, desk):
    mine = desk.person(given_name="Sunita", family_name="Tamang")
    theirs = factory.participant(factory.user("caseworker", office=factory.office()),
                                 given_name="Sunita", family_name="Rai")
    log_in(client, desk.caseworker)
    resp = client.get("/messages/triage?q=sunita", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert mine.reference in body and "Sunita Tamang" in body
    assert theirs.reference not in body and "Sunita Rai" not in body
    body = text(client.get("/messages/triage?q=nobody-like-this", headers=HTML))
    assert "None of your participants matches" in body
