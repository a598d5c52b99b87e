"""The outbox end to end: queued in the change's transaction, sent once through the real Twilio
client to the fake Twilio API, with consent, opt-outs, quiet hours and retries checked at send
time; status callbacks and inbound SMS through the signed webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from journey.continuum import services as continuum
from journey.core import crypto
from journey.core.timeline import JourneyEvent
from journey.core.versions import Precondition
from notifications.models import InboundMessage, OutboxMessage, SmsOptOut
from notifications.templates import STOP_REPLY, render_reply


def _messages(db_session, p):
    db_session.expire_all()
    return db_session.scalars(sa.select(OutboxMessage).where(OutboxMessage.participant_id == p.id)
                              .order_by(OutboxMessage.id)).all()


def _mids(fake):
    return [r.form["StatusCallback"].rsplit("mid=", 1)[1] for r in fake.received]


SUMMER_DAY = datetime(2026, 6, 15, 13, 0, tzinfo=UTC)  # Kathmandu 18:45, Lisbon 14:00


def test_registration_queues_a_message_in_the_participants_language(person, db_session):
    p = person(language="ne", channels=["sms"])
    (msg,) = _messages(db_session, p)
    assert (msg.template, msg.language, msg.status, msg.channel) == (
        "stage_entered.intake", "ne", "queued", "sms")
    assert msg.recipient == p.phone and p.reference in msg.body
    assert msg.segments >= 1 and msg.cost > 0


def test_a_rolled_back_change_leaves_no_message(app, person, db_session):
    p = person(channels=["sms"])
    before = len(_messages(db_session, p))
    savepoint = db_session.begin_nested()
    with app.test_request_context():
        continuum.apply_transition(db_session, person.caseworker, p, "withdraw",
                                   {"reason": "changed plans"}, expected=Precondition(body=p.version))
    assert len(_messages(db_session, p)) == before + 1
    savepoint.rollback()
    assert len(_messages(db_session, p)) == before


def test_committed_message_is_sent_exactly_once_by_a_later_worker(person, db_session, messaging,
                                                                 fake_twilio):
    """The process that committed the change died before sending: a worker started afterwards
    sends the message, once, and a second run sends nothing more."""
    p = person(channels=["sms"])
    db_session.commit()
    first = messaging(worker_id="after-crash")
    assert first.run_once(SUMMER_DAY + timedelta(days=400)) == 1
    again = messaging(worker_id="another")
    assert again.run_once(SUMMER_DAY + timedelta(days=400)) == 0
    (msg,) = _messages(db_session, p)
    assert msg.status == "sent" and msg.provider_id.startswith("SM") and msg.attempts == 1
    assert _mids(fake_twilio) == [str(msg.id)]
    sent = fake_twilio.received[0].form
    assert sent["To"] == p.phone and sent["Body"] == msg.body
    assert sent["StatusCallback"] == f"https://journey.example.org/webhooks/twilio/status?mid={msg.id}"


def test_no_consent_skips_at_send_time(person, db_session, messaging, fake_twilio):
    p = person(consent_to_updates=False, channels=["sms"])
    messaging().run_once()
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.skip_reason) == ("skipped", "no_consent")
    assert fake_twilio.received == []


def test_quiet_hours_defer_by_the_participants_own_time_zone(app, person, db_session, messaging,
                                                            fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "21:00-08:00")
    kathmandu = person(timezone="Asia/Kathmandu", channels=["sms"])
    lisbon = person(timezone="Europe/Lisbon", channels=["sms"], phone="+351912345678",
                    nationality="PT", origin_country="PT")
    evening = datetime(2026, 6, 15, 19, 0, tzinfo=UTC)  # Kathmandu 00:45, Lisbon 20:00
    d = messaging()
    for mid in d.claim():
        d.deliver(mid, now=evening)
    (k,) = _messages(db_session, kathmandu)
    (lis,) = _messages(db_session, lisbon)
    assert lis.status == "sent"
    assert k.status == "deferred" and k.attempts == 0
    assert k.not_before == datetime(2026, 6, 16, 2, 15, tzinfo=UTC)  # 08:00 in Kathmandu
    assert _mids(fake_twilio) == [str(lis.id)]


def test_urgent_messages_ignore_quiet_hours(app, person, db_session, messaging, fake_twilio,
                                            monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "21:00-08:00")
    from journey.messaging.bridge import recipient_for
    from notifications.outbox import enqueue

    p = person(timezone="Asia/Kathmandu", channels=["sms"])
    with app.app_context():
        enqueue(db_session, recipient_for(db_session, p), "grievance_acknowledged",
                {"reference": "G-1", "date": datetime(2026, 6, 17).date()})
    d = messaging()
    for mid in d.claim():
        d.deliver(mid, now=datetime(2026, 6, 15, 19, 0, tzinfo=UTC))
    statuses = {m.template: m.status for m in _messages(db_session, p)}
    assert statuses == {"stage_entered.intake": "deferred", "grievance_acknowledged": "sent"}


def test_retries_back_off_then_succeed(app, person, db_session, messaging, fake_twilio):
    p = person(channels=["sms"])
    fake_twilio.fail(500, times=2)
    d = messaging()
    now = datetime.now(UTC)
    assert d.run_once(now) == 1
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.attempts, msg.last_error_code) == ("queued", 1, "20500")
    assert msg.not_before >= now + timedelta(seconds=29)
    assert d.run_once(now) == 0  # not due yet
    d.run_once(now + timedelta(seconds=31))
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.attempts) == ("queued", 2)
    assert msg.not_before >= now + timedelta(seconds=31 + 59)
    d.run_once(now + timedelta(hours=1))
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.attempts) == ("sent", 3)


def test_provider_opt_out_21610_skips_and_remembers_the_number(person, db_session, messaging,
                                                               fake_twilio):
    p = person(channels=["sms"])
    fake_twilio.refuse(p.phone, 21610)
    messaging().run_once(datetime.now(UTC))
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.skip_reason) == ("skipped", "opted_out")
    assert db_session.get(SmsOptOut, p.phone).source == "provider-21610"


def test_status_callbacks_are_signed_and_never_move_backwards(client, person, db_session,
                                                              messaging, fake_twilio):
    p = person(channels=["sms"])
    messaging().run_once(datetime.now(UTC))
    (msg,) = _messages(db_session, p)
    url = f"https://journey.example.org/webhooks/twilio/status?mid={msg.id}"

    def callback(status, error=None, signature=None):
        params = fake_twilio.status_callback_params(msg.provider_id, status, error_code=error)
        sig = signature or fake_twilio.sign(url, params)
        return client.post(f"/webhooks/twilio/status?mid={msg.id}", data=params,
                           headers={"X-Twilio-Signature": sig})

    assert callback("delivered").status_code == 204
    assert callback("sent").status_code == 204  # late, out of order
    assert _messages(db_session, p)[0].status == "delivered"
    assert callback("failed", signature="forged").status_code == 403
    assert _messages(db_session, p)[0].status == "delivered"
    assert _messages(db_session, p)[0].delivered_at is not None


def test_undelivered_with_21610_marks_the_number_opted_out(client, person, db_session, messaging,
                                                           fake_twilio):
    p = person(channels=["sms"])
    messaging().run_once(datetime.now(UTC))
    (msg,) = _messages(db_session, p)
    url = f"https://journey.example.org/webhooks/twilio/status?mid={msg.id}"
    params = fake_twilio.status_callback_params(msg.provider_id, "undelivered", error_code=21610)
    client.post(f"/webhooks/twilio/status?mid={msg.id}", data=params,
                headers={"X-Twilio-Signature": fake_twilio.sign(url, params)})
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.last_error_code) == ("undelivered", "21610")
    assert db_session.get(SmsOptOut, p.phone) is not None


def _inbound(client, fake_twilio, sender, body):
    url = "https://journey.example.org/webhooks/twilio/inbound"
    params = fake_twilio.inbound_params(sender, body)
    return client.post("/webhooks/twilio/inbound", data=params,
                       headers={"X-Twilio-Signature": fake_twilio.sign(url, params)})


def test_stop_in_nepali_opts_out_and_replies_in_nepali(app, client, person, db_session, messaging,
                                                      fake_twilio):
    p = person(language="ne", channels=["sms"])
    resp = _inbound(client, fake_twilio, p.phone, "रोक्नुहोस्")
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    with app.app_context():
        expected = render_reply(STOP_REPLY, "ne", {})
    assert expected in resp.get_data(as_text=True)
    assert db_session.get(SmsOptOut, p.phone).source == "keyword"
    messaging().run_once(datetime.now(UTC))
    (msg,) = _messages(db_session, p)
    assert (msg.status, msg.skip_reason) == ("skipped", "opted_out")
    events = db_session.scalars(sa.select(JourneyEvent.kind).where(
        JourneyEvent.participant_id == p.id)).all()
    assert "sms_opted_out" in events
    # START brings them back.
    _inbound(client, fake_twilio, p.phone, "सुरु")
    assert db_session.get(SmsOptOut, p.phone) is None


def test_free_text_goes_to_the_timeline_and_unknown_numbers_are_kept_for_triage(
        client, person, db_session, fake_twilio, messaging):
    p = person(channels=["sms"])
    resp = _inbound(client, fake_twilio, p.phone, "My employer kept my passport")
    assert resp.status_code == 200
    record = db_session.scalars(sa.select(InboundMessage).where(
        InboundMessage.participant_id == p.id)).one()
    assert record.needs_attention and record.keyword is None
    kinds = db_session.scalars(sa.select(JourneyEvent.kind).where(
        JourneyEvent.participant_id == p.id)).all()
    assert "message_received" in kinds
    stranger = _inbound(client, fake_twilio, "+9779800011122", "hello?")
    assert "could not find your number" in stranger.get_data(as_text=True)
    unknown = db_session.scalars(sa.select(InboundMessage).where(
        crypto.lookup(InboundMessage.__table__.c.sender_index, "+9779800011122"))).one()
    assert unknown.participant_id is None and unknown.needs_attention
    forged = client.post("/webhooks/twilio/inbound", data={"From": p.phone, "Body": "STOP"},
                         headers={"X-Twilio-Signature": "x"})
    assert forged.status_code == 403


def test_help_replies_in_the_participants_language(app, client, person, fake_twilio, messaging):
    p = person(language="fr", channels=["sms"])
    body = _inbound(client, fake_twilio, p.phone, "aide").get_data(as_text=True)
    assert "STOP" in body and "<Message>" in body


def test_email_is_delivered_to_a_real_smtp_server_in_arabic_right_to_left(
        app, person, db_session, messaging, smtp_server):
    from notifications.email import SmtpEmailSender

    server = smtp_server()
    p = person(language="ar", channels=["email"], email="amal@example.org", phone=None)
    sender = SmtpEmailSender(server.host, server.port, security="none", sender="mrc@example.org")
    messaging(email=sender).run_once(datetime.now(UTC))
    (msg,) = _messages(db_session, p)
    assert msg.status == "sent"
    (mail,) = server.received
    parsed = mail.parse()
    assert mail.rcpt_tos == ["amal@example.org"]
    html = parsed.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert parsed.get_body(("plain",)).get_content().strip().startswith(msg.body.split("\n")[0])
