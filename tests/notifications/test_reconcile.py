"""Reconciliation of outcome-unknown messages through the real Twilio SDK against the fake Twilio's
Messages list: found, not found (the window open, then closed), ambiguous, a provider error, email,
scope, the audit trail, and `journey worker reconcile`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.messaging import delivery
from notifications import reconcile as rec
from notifications.channels import SentRecord, SmsMessage
from notifications.models import OutboxMessage
from notifications.sms import ConsoleSmsSender, TwilioSmsSender

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # the message was due and handed to Twilio then
UNKNOWN_AT = T0 + timedelta(minutes=6)  # the worker's lease ran out: outcome-unknown
SOON = UNKNOWN_AT + timedelta(minutes=10)  # Twilio may still send it
LATER = UNKNOWN_AT + timedelta(hours=5)  # the window (4 h) has closed
SERVICE_SID = "MG" + "0" * 32


@pytest.fixture
def sender(fake_twilio):
    s = TwilioSmsSender(fake_twilio.account_sid, fake_twilio.auth_token,
                        messaging_service_sid=SERVICE_SID,
                        status_callback_base="https://journey.example.org",
                        api_base=fake_twilio.base_url, timeout=5)
    yield s
    s.close()


def _unknown(db_session, p, channel: str = "sms") -> OutboxMessage:
    """The participant's first message, left outcome-unknown by a worker that died at T0."""
    db_session.expire_all()
    msg = db_session.scalars(sa.select(OutboxMessage).where(OutboxMessage.participant_id == p.id,
                                                            OutboxMessage.channel == channel)
                             .order_by(OutboxMessage.id).limit(1)).one()
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg.id).values(
        status="failed", last_error_code="outcome-unknown", attempts=1, created_at=T0,
        not_before=T0, updated_at=UNKNOWN_AT, claimed_by="worker-dead"))
    db_session.flush()
    db_session.expire_all()
    return db_session.get(OutboxMessage, msg.id)


def _handed_to_twilio(fake, sender, msg, *, sent_at=T0 + timedelta(minutes=1), status="sent",
                      body=None) -> str:
    """What the dead worker's call did: Twilio accepted it (and sent it at ``sent_at``)."""
    result = sender.send(SmsMessage(to=msg.recipient, body=body or msg.body, message_id=msg.id))
    assert result.ok
    if sent_at is not None:
        fake.mark_sent(result.provider_id, sent_at, status)
    return result.provider_id


def _run(app, db_session, actor, sender, now, **kw):
    with app.test_request_context():
        return delivery.reconcile(db_session, actor, sender=sender, now=now, **kw)


def _row(db_session, mid):
    db_session.expire_all()
    return db_session.get(OutboxMessage, mid)


def _lists(fake):
    return [r for r in fake.received if r.method == "GET"]


def test_found_at_twilio_it_is_recorded_sent_with_twilios_id(app, db_session, person, sender,
                                                             fake_twilio, caplog):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    sid = _handed_to_twilio(fake_twilio, sender, msg)
    caplog.set_level(logging.DEBUG)

    report = _run(app, db_session, person.caseworker, sender, SOON)

    assert report["results"] == [{"id": msg.id, "outcome": "sent", "status": "sent",
                                  "error_code": None}]
    assert (report["checked"], report["settled"], report["remaining"]) == (1, 1, 0)
    row = _row(db_session, msg.id)
    assert (row.status, row.provider_id, row.last_error_code) == ("sent", sid, None)
    assert row.sent_at == T0 + timedelta(minutes=1)
    # Asked through the SDK: the number, the window around the message, newest first.
    [query] = _lists(fake_twilio)
    assert query.form["To"] == msg.recipient
    assert query.form["DateSent>"] == "2026-06-15T08:55:00Z"
    assert query.form["DateSent<"] == "2026-06-15T13:11:00Z"
    [event] = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "messaging:message:reconcile")).all()
    assert (event.object_type, event.object_id, event.actor_id) == (
        "outbox_message", msg.id, person.caseworker.id)
    assert event.details == {"outcome": "sent", "status": "sent", "error_code": None}
    # Neither the number nor the text reaches a log line or the audit trail.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert msg.recipient not in logged and msg.body[:20] not in logged
    assert "reconcile: message" in logged


def test_a_later_status_at_twilio_is_taken(app, db_session, person, sender, fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    _handed_to_twilio(fake_twilio, sender, msg, status="delivered")
    _run(app, db_session, person.caseworker, sender, SOON)
    row = _row(db_session, msg.id)
    assert (row.status, row.delivered_at) == ("delivered", T0 + timedelta(minutes=1))


def test_not_found_waits_while_twilio_may_still_send_then_is_queued_again(
        app, db_session, person, sender, fake_twilio, messaging):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    # Twilio took it but has not sent it yet (its queue): no date_sent, in no filtered list.
    _handed_to_twilio(fake_twilio, sender, msg, sent_at=None)

    report = _run(app, db_session, person.caseworker, sender, SOON)
    assert report["results"][0]["outcome"] == "waiting" and report["settled"] == 0
    assert _row(db_session, msg.id).last_error_code == "outcome-unknown"

    # Nothing sent it by the time the window closed: not sent, so it goes out again.
    fake_twilio.reset()
    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert report["results"] == [{"id": msg.id, "outcome": "requeued", "status": "queued",
                                  "error_code": "not-sent"}]
    row = _row(db_session, msg.id)
    assert (row.status, row.last_error_code, row.claimed_by) == ("queued", "not-sent", None)
    assert row.not_before == LATER
    assert messaging().run_once(LATER + timedelta(seconds=1)) == 1
    assert [r.form["Body"] for r in fake_twilio.received if r.method == "POST"] == [msg.body]
    assert _row(db_session, msg.id).status == "sent"


def test_not_found_and_too_old_to_resend_is_left_failed_for_a_person(app, db_session, person,
                                                                     sender, fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    report = _run(app, db_session, person.caseworker, sender, T0 + timedelta(days=3))
    assert report["results"][0]["outcome"] == "not_sent"
    row = _row(db_session, msg.id)
    assert (row.status, row.last_error_code) == ("failed", "not-sent")


def test_two_candidates_are_ambiguous_and_left_for_a_person(app, db_session, person, sender,
                                                            fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    _handed_to_twilio(fake_twilio, sender, msg)
    _handed_to_twilio(fake_twilio, sender, msg, sent_at=T0 + timedelta(minutes=2))
    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert report["results"] == [{"id": msg.id, "outcome": "ambiguous", "status": "failed",
                                  "error_code": "several-matches"}]
    row = _row(db_session, msg.id)
    assert (row.status, row.last_error_code, row.provider_id) == (
        "failed", "outcome-ambiguous", None)


def test_another_text_to_the_number_is_not_a_match(app, db_session, person, sender, fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    _handed_to_twilio(fake_twilio, sender, msg, body="Another message entirely")
    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert report["results"][0]["outcome"] == "requeued"


def test_a_provider_error_leaves_messages_unsettled_for_a_later_run(app, db_session, person,
                                                                     sender, fake_twilio):
    first, second = person(channels=["sms"]), person(channels=["sms"])
    msgs = [_unknown(db_session, first), _unknown(db_session, second)]
    for m in msgs:
        _handed_to_twilio(fake_twilio, sender, m)
    fake_twilio.fail_list(500)

    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert [r["outcome"] for r in report["results"]] == ["provider_error", "provider_error"]
    assert report["settled"] == 0
    assert len(_lists(fake_twilio)) == 1, "after a 5xx the second message is not asked"
    assert {_row(db_session, m.id).last_error_code for m in msgs} == {"outcome-unknown"}
    assert not db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "messaging:message:reconcile")).all()

    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert [r["outcome"] for r in report["results"]] == ["sent", "sent"]


def test_an_unreachable_provider_is_a_provider_error(app, db_session, person, fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    fake_twilio.stop()  # nothing listens on the port any more
    down = TwilioSmsSender("AC" + "f" * 32, "token", messaging_service_sid=SERVICE_SID,
                           status_callback_base="https://journey.example.org",
                           api_base="http://127.0.0.1:9", timeout=2)
    report = _run(app, db_session, person.caseworker, down, LATER)
    assert report["results"] == [{"id": msg.id, "outcome": "provider_error", "status": "failed",
                                  "error_code": "connection-error"}]


def test_email_is_left_for_a_person(app, db_session, person, sender, fake_twilio):
    p = person(channels=["email"], email="sita@example.org")
    msg = _unknown(db_session, p, channel="email")
    report = _run(app, db_session, person.caseworker, sender, LATER)
    assert report["checked"] == 0 and report["emails_for_a_person"] == 1
    # Asked about by id, it is reported, and nothing is asked of Twilio.
    report = _run(app, db_session, person.caseworker, sender, LATER, ids=[msg.id, 999999])
    assert report["results"][0]["outcome"] == "needs_person"
    assert report["not_applicable"] == [999999]
    assert _lists(fake_twilio) == []
    assert _row(db_session, msg.id).last_error_code == "outcome-unknown"


def test_another_office_sees_and_settles_nothing(app, db_session, person, sender, fake_twilio,
                                                 factory):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    stranger = factory.user("caseworker")
    report = _run(app, db_session, stranger, sender, LATER, ids=[msg.id])
    assert report["checked"] == 0 and report["not_applicable"] == [msg.id]
    assert _row(db_session, msg.id).last_error_code == "outcome-unknown"
    admin = factory.user("admin")
    report = _run(app, db_session, admin, sender, LATER, ids=[msg.id])
    assert report["results"][0]["outcome"] == "requeued"


def test_a_message_settled_meanwhile_is_not_settled_again(app, db_session, person, sender,
                                                          fake_twilio):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    item = rec.Pending.of(msg)
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg.id)
                       .values(status="delivered"))
    with app.app_context():
        verdict = rec.conclude(db_session, item, [], now=LATER, settings=rec.Settings(),
                               actor_id=None)
    assert verdict.outcome == rec.Outcome.CHANGED
    assert _row(db_session, msg.id).status == "delivered"


def test_the_console_backend_matches_on_our_message_id(app, db_session, person, tmp_path):
    p = person(channels=["sms"])
    msg = _unknown(db_session, p)
    console = ConsoleSmsSender(tmp_path / "sms.log")
    console.send(SmsMessage(to=msg.recipient, body=msg.body, message_id=msg.id + 1000))
    console.send(SmsMessage(to=msg.recipient, body=msg.body, message_id=msg.id))
    found = console.find_sent(msg.recipient, datetime.now(UTC) - timedelta(minutes=1),
                              datetime.now(UTC) + timedelta(minutes=1))
    assert [r.message_id for r in found] == [msg.id, msg.id + 1000]  # newest first
    verdict, values = rec.decide(rec.Pending.of(msg), found, taken=set(), now=LATER,
                                 settings=rec.Settings())
    assert verdict.outcome == rec.Outcome.SENT and values["provider_id"] == "console-2"


def test_the_fake_pages_the_list_as_twilio_does(sender, fake_twilio):
    number = "+9779800000001"
    for i in range(5):
        result = sender.send(SmsMessage(to=number, body=f"text {i}", message_id=i))
        fake_twilio.mark_sent(result.provider_id, T0 + timedelta(minutes=i))
    sender.send(SmsMessage(to="+9779800000002", body="elsewhere", message_id=9))
    listed = sender.client.messages.list(to=number, date_sent_after=T0 + timedelta(minutes=1),
                                         date_sent_before=T0 + timedelta(minutes=4), page_size=2)
    assert [m.body for m in listed] == ["text 4", "text 3", "text 2", "text 1"]
    pages = _lists(fake_twilio)
    assert len(pages) == 2 and pages[1].form["PageToken"].startswith("PASM")
    assert sender.client.messages.list(to=number, date_sent_after=T0 + timedelta(hours=1)) == []


def test_journey_worker_reconcile(app, db_session, person, sender, fake_twilio, monkeypatch):
    for key, value in {"TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
                       "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
                       "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID,
                       "TWILIO_API_BASE": fake_twilio.base_url}.items():
        monkeypatch.setitem(app.config, key, value)
    found, missing = person(channels=["sms"]), person(channels=["sms"])
    sent = _unknown(db_session, found)
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    sid = _handed_to_twilio(fake_twilio, sender, sent, sent_at=three_days_ago + timedelta(minutes=1))
    # Became unknown long ago: their window has closed, and they are too old to resend.
    lost = _unknown(db_session, missing)
    email = _unknown(db_session, person(channels=["email"], email="a@example.org"), "email")
    for m in (sent, lost):
        db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == m.id).values(
            created_at=three_days_ago, not_before=three_days_ago,
            updated_at=three_days_ago + timedelta(minutes=6)))
    db_session.flush()

    result = app.test_cli_runner().invoke(args=["worker", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "reconciled SMS: not_sent 1, sent 1" in result.output
    assert "1 email messages have an unknown outcome" in result.output
    assert sent.recipient not in result.output
    assert (_row(db_session, sent.id).status, _row(db_session, sent.id).provider_id) == ("sent", sid)
    assert _row(db_session, lost.id).last_error_code == "not-sent"
    assert _row(db_session, email.id).last_error_code == "outcome-unknown"

    fake_twilio.fail_list(503)
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == lost.id).values(
        last_error_code="outcome-unknown"))
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["worker", "reconcile"])
    assert result.exit_code == 1 and "could not be asked" in result.output


def test_journey_worker_still_runs_the_worker(app, db_session, person, monkeypatch):
    seen = {}
    monkeypatch.setattr("notifications.dispatcher.Dispatcher.run",
                        lambda self, *a, **k: seen.setdefault("batch", self.batch) and 0)
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--batch", "7"])
    assert result.exit_code == 0, result.output
    assert "handled 0 messages" in result.output and seen == {"batch": 7}
    assert "reconcile" in app.test_cli_runner().invoke(args=["worker", "--help"]).output


def test_a_text_with_look_alike_punctuation_still_matches():
    item = rec.Pending(id=7, channel="sms", recipient="+9779800000003",
                       body="Namaste Sita, it’s “done” – see you…", created_at=T0, due_at=T0,
                       unknown_at=UNKNOWN_AT)
    smart = SentRecord(provider_id="SM1", status="sent",
                       body='Namaste Sita, it\'s "done" - see you...', sent_at=T0)
    other = SentRecord(provider_id="SM2", status="sent", body="Namaste Sita, it's done",
                       sent_at=T0)
    verdict, values = rec.decide(item, [smart, other], taken=set(), now=SOON,
                                 settings=rec.Settings())
    assert verdict.outcome == rec.Outcome.SENT and values["provider_id"] == "SM1"
    # Held by another message already: not ours, so nothing matches (and it waits).
    verdict, _values = rec.decide(item, [smart], taken={"SM1"}, now=SOON, settings=rec.Settings())
    assert verdict.outcome == rec.Outcome.WAITING


def test_the_same_text_sent_outside_the_window_is_not_ours():
    """Twilio filters DateSent by day: the same reminder sent the evening before comes back too."""
    item = rec.Pending(id=8, channel="sms", recipient="+9779800000004", body="Your permit expires",
                       created_at=T0, due_at=T0, unknown_at=UNKNOWN_AT)
    yesterday = SentRecord(provider_id="SM3", status="delivered", body="Your permit expires",
                           sent_at=T0 - timedelta(hours=12))
    verdict, values = rec.decide(item, [yesterday], taken=set(), now=LATER,
                                 settings=rec.Settings())
    assert verdict.outcome == rec.Outcome.REQUEUED and values["status"] == "queued"
