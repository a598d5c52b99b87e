"""The delivery problems page through the Flask test client: scope, no texts or numbers, the
statistics, the CSRF-protected check with the provider (the console backend's file), and who may
open it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from notifications.channels import SmsMessage
from notifications.models import OutboxMessage
from notifications.sms import ConsoleSmsSender
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text


def _first_message(db_session, p) -> OutboxMessage:
    return db_session.scalars(sa.select(OutboxMessage).where(OutboxMessage.participant_id == p.id)
                              .order_by(OutboxMessage.id).limit(1)).one()


def _set(db_session, msg, **values) -> None:
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg.id).values(**values))
    db_session.flush()
    db_session.expire_all()


def _unknown(db_session, msg, minutes_ago: int = 10) -> None:
    now = utcnow()
    _set(db_session, msg, status="failed", last_error_code="outcome-unknown", attempts=1,
         created_at=now - timedelta(minutes=minutes_ago),
         not_before=now - timedelta(minutes=minutes_ago), updated_at=now - timedelta(minutes=4))


def test_a_caseworker_sees_their_offices_failed_messages_only(client, factory, db_session):
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    mine = factory.participant(cw, channels=["sms"])
    other_cw = factory.user("caseworker")
    theirs = factory.participant(other_cw, channels=["sms"])
    msg = _first_message(db_session, mine)
    _unknown(db_session, msg)
    _set(db_session, _first_message(db_session, theirs), status="failed", last_error_code="30003")
    log_in(client, cw)

    resp = client.get("/messages/delivery", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert f'href="/participants/{mine.id}">{mine.reference}</a>' in body
    assert theirs.reference not in body and "30003" not in body
    assert "outcome-unknown" in body and "1 SMS has an unknown outcome." in body
    # Neither the number nor the text is shown: the participant's record has them.
    assert mine.phone not in body and msg.body[:25] not in body
    assert "Check with the provider" in body
    assert 'href="/messages/delivery"' in body  # the header links it
    # Statistics by channel and language, over the caseworker's office.
    assert 'id="stats"' in body and "Nepali" in body
    assert db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "messaging:delivery:read", AuditEvent.actor_id == cw.id)).all()


def test_checking_with_the_provider_settles_and_reports(app, client, factory, db_session):
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    sent, lost = (factory.participant(cw, channels=["sms"]) for _ in range(2))
    found_msg, lost_msg = _first_message(db_session, sent), _first_message(db_session, lost)
    _unknown(db_session, found_msg)
    _unknown(db_session, lost_msg, minutes_ago=60 * 6)
    _set(db_session, lost_msg, updated_at=utcnow() - timedelta(hours=5))
    # The worker that died had written the message to the console backend's file.
    console = ConsoleSmsSender(Path(app.config["INSTANCE_PATH"]) / "outbox-sms.log")
    console.send(SmsMessage(to=found_msg.recipient, body=found_msg.body, message_id=found_msg.id))
    log_in(client, cw)

    assert client.post("/messages/delivery/reconcile", data={"csrf_token": "forged"},
                       headers=HTML).status_code == 400
    assert db_session.get(OutboxMessage, found_msg.id).status == "failed"

    resp = client.post("/messages/delivery/reconcile",
                       data={"csrf_token": csrf_token(client, "/messages/delivery")}, headers=HTML)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/messages/delivery")
    db_session.expire_all()
    assert db_session.get(OutboxMessage, found_msg.id).status == "sent"
    requeued = db_session.get(OutboxMessage, lost_msg.id)
    assert (requeued.status, requeued.last_error_code) == ("queued", "not-sent")

    body = text(client.get("/messages/delivery", headers=HTML))
    assert "Checked 2 messages with the provider. 2 settled." in body
    assert "1: found at the provider: recorded as sent" in body
    assert "1: not sent: queued to be sent again" in body
    assert "No SMS has an unknown outcome." in body and "Check with the provider" not in body
    # Shown once.
    assert "Checked 2 messages" not in text(client.get("/messages/delivery", headers=HTML))


def test_employer_users_cannot_open_it(client, factory):
    employer = factory.user("employer")
    log_in(client, employer)
    resp = client.get("/messages/delivery", headers=HTML)
    assert_html_page(resp, 403)
    assert 'href="/messages/delivery"' not in text(resp)


def test_anonymous_visitors_are_sent_to_log_in(client):
    resp = client.get("/messages/delivery", headers=HTML)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
