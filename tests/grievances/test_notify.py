"""Keeping the complainant informed: the receipt, public updates and the resolution with how to
appeal, in their language, on their channel, through the outbox; each message once per cause;
nothing (and no error) for someone without a channel or a stranger without contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from journey.core.versions import Precondition
from journey.grievances import notify, services
from journey.grievances.models import Channel, Grievance
from notifications import segments
from notifications.models import OutboxMessage
from notifications.templates import render
from tests.fakes.twilio import fake_twilio  # noqa: F401 (a fixture)
from tests.notifications.conftest import messaging, person  # noqa: F401 (fixtures)
from tests.notifications.test_outbox import _inbound

STRANGER = "+962790000456"


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def _rows(db_session, template: str | None = None) -> list[OutboxMessage]:
    db_session.flush()
    db_session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.template.like("grievance%"))
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db_session.scalars(query.order_by(OutboxMessage.id)))


def _log(db_session, actor, participant=None, **contact):
    return services.intake(db_session, actor, {"category": "wages", "description": "Unpaid"},
                           channel=Channel.STAFF, participant=participant, **contact)


def _resolve(db_session, actor, g):
    for event in ("acknowledge", "start_review"):
        services.transition(db_session, actor, g, event, expected=Precondition())
    services.transition(db_session, actor, g, "resolve",
                        {"decision": "upheld", "resolution_summary": "Wages paid"},
                        expected=Precondition())


def _expected(db_session, g, template, language, **params):
    r = notify.recipient(db_session, g)
    return render(template, language, {**r.params, **params})


def test_each_message_is_in_the_complainants_language_on_each_of_their_channels(
        db_session, person):  # noqa: F811
    p = person(language="ar", channels=["sms", "email"], email="f@example.org")
    g, code = _log(db_session, person.caseworker, p)
    services.add_entry(db_session, person.caseworker, g, "We called your employer", public=True)
    _resolve(db_session, person.caseworker, g)

    rows = _rows(db_session)
    assert [(r.template, r.channel) for r in rows] == [
        ("grievance_acknowledged", "sms"), ("grievance_acknowledged", "email"),
        ("grievance_updated", "sms"), ("grievance_updated", "email"),
        ("grievance_resolved_appeal", "sms"), ("grievance_resolved_appeal", "email")]
    assert {r.language for r in rows} == {"ar"} and {r.participant_id for r in rows} == {p.id}
    due, until = notify.due_date(db_session, g), notify.appeal_until(db_session, g)
    texts = {"grievance_acknowledged": _expected(db_session, g, "grievance_acknowledged", "ar",
                                                 reference=code, date=due),
             "grievance_updated": _expected(db_session, g, "grievance_updated", "ar",
                                            reference=code),
             "grievance_resolved_appeal": _expected(db_session, g, "grievance_resolved_appeal",
                                                    "ar", reference=code, date=until)}
    for r in rows:
        rendered = texts[r.template]
        assert r.body == (segments.normalise(rendered.sms) if r.channel == "sms" else rendered.text)
        assert code in r.body
    assert "شكواك" in rows[0].body  # the Arabic receipt
    # The public reply's own words are on the status page, never in a message.
    assert not any("employer" in r.body for r in rows)


def test_the_resolution_says_until_when_and_how_to_appeal(app, db_session, person):  # noqa: F811
    p = person(language="en", channels=["sms", "email"], email="b@example.org")
    g, code = _log(db_session, person.caseworker, p)
    _resolve(db_session, person.caseworker, g)
    sms, email = _rows(db_session, "grievance_resolved_appeal")
    last_day = (g.resolved_at + timedelta(days=app.config["GRIEVANCE_APPEAL_DAYS"])).astimezone(
        ZoneInfo(p.timezone)).date()
    shown = format_date(last_day, format="medium", locale="en")
    helpline = notify.recipient(db_session, g).params["phone"]
    for row in (sms, email):
        assert "appeal" in row.body and shown in row.body and helpline in row.body, row.body
    assert "reply here" in sms.body and "reply" not in email.body.split("\n")[0]
    assert segments.count(sms.body).segments == 1


def test_each_message_is_written_once_per_cause(db_session, person):  # noqa: F811
    p = person(language="ne", channels=["sms"])
    g, code = _log(db_session, person.caseworker, p)
    assert notify.received(db_session, g, code) == 0  # the receipt went out at intake
    entry = services.add_entry(db_session, person.caseworker, g, "Update", public=True)
    assert notify.updated(db_session, g, f"grievance-reply:{entry.id}") == 0
    services.add_entry(db_session, person.caseworker, g, "Internal", public=False)  # not sent
    _resolve(db_session, person.caseworker, g)
    assert notify.resolved(db_session, g) == 0  # the same resolution again
    assert [r.template for r in _rows(db_session)] == [
        "grievance_acknowledged", "grievance_updated", "grievance_resolved_appeal"]
    # Reopened and resolved again: a new resolution, told again.
    services.transition(db_session, person.caseworker, g, "reopen", {"note": "New facts"},
                        expected=Precondition())
    services.transition(db_session, person.caseworker, g, "resolve",
                        {"decision": "partly_upheld", "resolution_summary": "Half paid"},
                        expected=Precondition())
    assert len(_rows(db_session, "grievance_resolved_appeal")) == 2


def test_no_channel_or_no_contact_sends_nothing_and_fails_nothing(
        db_session, person):  # noqa: F811
    p = person(language="en", channels=["sms"])
    p.channels = []  # registration gives anyone with a phone SMS; they may take it away
    db_session.flush()
    g, code = _log(db_session, person.caseworker, p)
    services.add_entry(db_session, person.caseworker, g, "Update", public=True)
    _resolve(db_session, person.caseworker, g)
    nobody, nobody_code = _log(db_session, person.caseworker)  # a stranger who left no contact
    assert notify.recipient(db_session, nobody) is None
    assert notify.received(db_session, nobody, nobody_code) == 0
    _resolve(db_session, person.caseworker, nobody)
    assert _rows(db_session) == []


def test_a_stranger_with_an_email_only_is_written_to(db_session, person):  # noqa: F811
    g, code = _log(db_session, person.caseworker, contact_email="anon@example.org")
    (row,) = _rows(db_session)
    assert (row.channel, row.recipient, row.participant_id) == ("email", "anon@example.org", None)
    assert code in row.body


def test_an_unknown_complainants_later_reply_goes_to_their_phone(
        app, client, db_session, factory, fake_twilio, messaging, monkeypatch):  # noqa: F811
    office = factory.office(code="AMM2", timezone="Asia/Amman")
    monkeypatch.setitem(app.config, "GRIEVANCE_DEFAULT_OFFICE", office.code)
    worker = factory.user("caseworker", office)
    _inbound(client, fake_twilio, STRANGER, "شكوى صاحب العمل أخذ جواز سفري")
    g = db_session.scalars(sa.select(Grievance)).one()
    assert _rows(db_session) == []  # the receipt was the webhook's reply
    services.add_entry(db_session, worker, g, "We have contacted the employer", public=True)
    (row,) = _rows(db_session)
    assert (row.channel, row.recipient, row.participant_id, row.language) == (
        "sms", STRANGER, None, "ar")
    assert row.body == segments.normalise(_expected(db_session, g, "grievance_updated", "ar",
                                                    reference=g.tracking_code).sms)
    messaging().run_once(datetime.now(UTC))
    db_session.expire_all()
    assert db_session.get(OutboxMessage, row.id).status in ("sending", "sent", "delivered")
    # STOP from that number stops the next one (no consent record: the opt-out still holds).
    _inbound(client, fake_twilio, STRANGER, "توقف")
    services.add_entry(db_session, worker, g, "Another update", public=True)
    messaging().run_once(datetime.now(UTC))
    db_session.expire_all()
    last = _rows(db_session)[-1]
    assert (last.status, last.skip_reason) == ("skipped", "opted_out")


def test_a_participant_without_consent_is_not_sent_the_update(
        db_session, person, messaging):  # noqa: F811
    p = person(consent_to_updates=False, language="en", channels=["sms"])
    g, _code = _log(db_session, person.caseworker, p)
    messaging().run_once(datetime.now(UTC))
    db_session.expire_all()
    (row,) = _rows(db_session)
    assert (row.status, row.skip_reason) == ("skipped", "no_consent")
