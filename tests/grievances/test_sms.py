"""A complaint by SMS, through the signed Twilio webhook: the keyword in every shipped language
opens a grievance for a known or an unknown sender and answers with the receipt in their
language; the text after the keyword is the description and stays only in the grievance."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from journey.config import SUPPORTED_LANGUAGES
from journey.core.audit import AuditEvent
from journey.grievances import services, sms
from journey.grievances.models import Grievance
from journey.messaging import inbound as inbound_service
from journey.workbench.services import my_work
from notifications import segments
from notifications.hooks import hooks_for
from notifications.keywords import BUILT_IN, Keywords, normalise
from notifications.models import InboundMessage, OutboxMessage
from notifications.templates import RECEIVED_REPLY, render, render_reply
from tests.fakes.twilio import fake_twilio  # noqa: F401 (a fixture)
from tests.notifications.conftest import messaging, person  # noqa: F401 (fixtures)
from tests.notifications.test_outbox import _inbound

STRANGER = "+962790000123"
LATIN = {"en", "fr", "es", "pt", "fil", "id"}


@pytest.fixture
def office(app, factory, monkeypatch):
    """The office anonymous complaints go to (GRIEVANCE_DEFAULT_OFFICE)."""
    o = factory.office(code="AMM", name="Amman Migrant Resource Centre", timezone="Asia/Amman")
    monkeypatch.setitem(app.config, "GRIEVANCE_DEFAULT_OFFICE", o.code)
    return o


def _grievances(db_session) -> list[Grievance]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Grievance).order_by(Grievance.id)))


def _inbounds(db_session) -> list[InboundMessage]:
    return list(db_session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def _reply(resp) -> str:
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    found = re.search(r"<Message>(.*)</Message>", resp.get_data(as_text=True), re.S)
    assert found, resp.get_data(as_text=True)
    return found.group(1)


def _code_in(reply: str) -> str:
    found = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reply)
    assert found, reply
    return found.group(0)


def _acknowledgement(app, db_session, g: Grievance, code: str, language: str) -> str:
    from journey.grievances import notify

    with app.test_request_context():
        return notify.acknowledgement(db_session, g, code, language)


def test_a_known_nepali_number_opens_a_grievance_and_is_answered_in_nepali(
        app, client, db_session, person, fake_twilio, messaging, office, caplog):  # noqa: F811
    p = person(language="ne", channels=["sms"])
    caplog.set_level(logging.INFO)
    text = "मेरो रोजगारदाताले मेरो राहदानी राखेको छ"
    resp = _inbound(client, fake_twilio, p.phone, f"उजुरी {text}")
    reply = _reply(resp)

    (g,) = _grievances(db_session)
    assert (g.participant_id, g.channel, g.category, g.severity, g.language) == (
        p.id, "sms", "other", "medium", "ne")
    assert g.office_id == p.office_id != office.id  # the participant's own office
    assert g.description == text and g.contact_phone is None
    code = _code_in(reply)
    assert services.find_by_code(db_session, code).id == g.id
    assert reply == _acknowledgement(app, db_session, g, code, "ne")
    assert "उजुरी" in reply and "पायौं" in reply  # the Nepali receipt, not the English one

    # The text lives only in the grievance: the stored SMS is a pointer, nobody's to answer.
    (record,) = _inbounds(db_session)
    assert record.body == f"grievance:{g.id}" and record.keyword == "complaint"
    assert not record.needs_attention and record.participant_id == p.id
    with app.test_request_context():
        texts = inbound_service.participant_inbound(db_session, person.caseworker, p.id)
        assert [t["body"] for t in texts] == [f"grievance:{g.id}"]
        work = my_work(db_session, person.caseworker)
    assert work["sections"]["replies"]["total"] == 0 and work["triage"]["count"] == 0
    stored = db_session.execute(sa.text("SELECT body FROM inbound_messages")).scalar_one()
    assert text not in str(stored)  # encrypted at rest as well
    # Audited and logged with ids only; the receipt is the reply, not an outbox message.
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "grievance", AuditEvent.object_id == g.id)).all()
    assert {e.action for e in events} >= {"grievances:grievance:create",
                                          "grievances:grievance:sms_intake"}
    assert not any(text in str(e.details) or p.phone in str(e.details) for e in events)
    assert text not in caplog.text and p.phone not in caplog.text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template.like("grievance%"))) == 0


def test_an_unknown_number_writing_arabic_opens_one_answered_in_arabic(
        app, client, db_session, factory, fake_twilio, messaging, office):  # noqa: F811
    resp = _inbound(client, fake_twilio, STRANGER, "شَكْوَى: لم أستلم راتبي منذ شهرين")
    reply = _reply(resp)
    (g,) = _grievances(db_session)
    assert g.participant_id is None and g.contact_phone == STRANGER
    assert (g.language, g.office_id, g.channel) == ("ar", office.id, "sms")
    assert g.description == "لم أستلم راتبي منذ شهرين"
    code = _code_in(reply)
    assert reply == _acknowledgement(app, db_session, g, code, "ar")
    assert "شكواك" in reply
    (record,) = _inbounds(db_session)
    assert record.body == f"grievance:{g.id}" and record.participant_id is None
    assert not record.needs_attention and record.keyword == "complaint"
    # Not in the triage list of texts from unknown numbers.
    with app.test_request_context():
        assert inbound_service.triage(db_session, factory.user("caseworker", office))["total"] == 0


def test_an_english_stranger_gets_english_and_a_retry_opens_nothing_twice(
        app, client, db_session, fake_twilio, messaging, office):  # noqa: F811
    url = "https://journey.example.org/webhooks/twilio/inbound"
    params = fake_twilio.inbound_params(STRANGER, "Complaint - no pay since May.")
    headers = {"X-Twilio-Signature": fake_twilio.sign(url, params)}
    first = client.post("/webhooks/twilio/inbound", data=params, headers=headers)
    assert "We received your complaint" in _reply(first)
    again = client.post("/webhooks/twilio/inbound", data=params, headers=headers)
    assert "<Message>" not in again.get_data(as_text=True)
    (g,) = _grievances(db_session)
    assert (g.description, g.language) == ("no pay since May.", "en")


def test_an_unsigned_complaint_is_refused(client, db_session, fake_twilio, messaging, office):  # noqa: F811
    params = fake_twilio.inbound_params(STRANGER, "COMPLAINT no pay")
    resp = client.post("/webhooks/twilio/inbound", data=params,
                       headers={"X-Twilio-Signature": "forged"})
    assert resp.status_code == 403 and _grievances(db_session) == []


@pytest.mark.parametrize("body", ["My complaint is about my pay", "I want to complain",
                                  "no COMPLAINT", "Complaints office address?"])
def test_the_keyword_inside_a_sentence_is_a_text_for_the_caseworker(
        app, client, db_session, person, fake_twilio, messaging, office, body):  # noqa: F811
    p = person(language="en", channels=["sms"])
    resp = _inbound(client, fake_twilio, p.phone, body)
    with app.app_context():
        assert _reply(resp) == render_reply(RECEIVED_REPLY, "en", {})
    assert _grievances(db_session) == []
    (record,) = _inbounds(db_session)
    assert record.body == body and record.needs_attention and record.keyword is None


@pytest.mark.parametrize(("body", "language"), [("COMPLAINT", "en"), ("plainte.", "fr"),
                                                ("ቅሬታ", "am"), ("ร้องเรียน", "th")])
def test_the_keyword_alone_asks_for_the_complaint_and_opens_nothing(
        app, client, db_session, fake_twilio, messaging, office, body, language):  # noqa: F811
    resp = _inbound(client, fake_twilio, STRANGER, body)
    with app.app_context():
        expected = render_reply(sms.ASK_REPLY, language, {"phone": app.config["HELPLINE"]})
    assert _reply(resp) == expected and (language != "en" or "COMPLAINT" in expected)
    assert _grievances(db_session) == []
    (record,) = _inbounds(db_session)
    assert record.keyword == "complaint" and not record.needs_attention


def test_without_any_office_the_text_waits_for_a_person(
        app, client, db_session, fake_twilio, messaging, monkeypatch):  # noqa: F811
    monkeypatch.setattr(services, "default_office_id", lambda _sess: None)
    resp = _inbound(client, fake_twilio, STRANGER, "COMPLAINT no pay")
    assert "could not find your number" in _reply(resp)
    assert _grievances(db_session) == []
    (record,) = _inbounds(db_session)
    assert record.needs_attention and record.keyword is None and record.body == "COMPLAINT no pay"


# The words.
def test_every_shipped_language_has_words_and_none_collides_with_stop_start_help(app):
    assert set(sms.WORDS) == set(SUPPORTED_LANGUAGES)
    router = hooks_for(app).keywords
    taken = {normalise(w).replace(" ", "") for words in BUILT_IN.values()
             for items in words.values() for w in items}
    for words in sms.WORDS.values():
        for word in words:
            assert normalise(word).replace(" ", "") not in taken, word
            match = router.route(f"{word} my employer kept my passport")
            assert match is not None and match.action == sms.ACTION, word
            assert match.text == "my employer kept my passport"
            assert router.route(word).action == sms.ACTION
    # The first language listing a word owns it: a stranger writing शिकायत gets Hindi.
    assert router.route("शिकायत").language == "hi" and router.route("उजुरी").language == "ne"
    fresh = Keywords()  # registering again beside the built-ins raises on any collision
    fresh.register(sms.ACTION, sms.WORDS, sms.handle, takes_text=True)


# The budget: 2 parts in Latin scripts, 3 in others, with a realistic code and date.
@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_the_replies_fit_the_sms_budget(app, lang):
    from datetime import date

    budget = 2 if lang in LATIN else 3
    with app.app_context():
        ack = segments.normalise(render("grievance_acknowledged", lang, {
            "name": "", "centre": "Amman Migrant Resource Centre", "phone": "+962 6 500 0000",
            "reference": "7KQM-2XPA-9RTD", "date": date(2026, 12, 14)}).sms)
        ask = segments.normalise(render_reply(sms.ASK_REPLY, lang, {"phone": "+962 6 500 0000"}))
    for text in (ack, ask):
        assert segments.count(text).segments <= budget, (lang, text)


# The pre-departure orientation's reminder tells how to complain, in a word the router knows.
@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_the_orientation_reminder_names_the_keyword_within_the_budget(app, lang):
    from datetime import date

    from journey.stages.checklists import definition

    item = definition("orientation", None).reminder_text()
    with app.app_context():
        text = segments.normalise(render("checklist_item_due", lang, {
            "name": "", "centre": "Amman Migrant Resource Centre", "phone": "+962 6 500 0000",
            "reference": "", "item": item, "date": date(2026, 12, 14)}).sms)
    assert segments.count(text).segments <= (2 if lang in LATIN else 3), (lang, text)
    words = {normalise(w).replace(" ", "") for ws in sms.WORDS.values() for w in ws}
    assert set(normalise(text).split()) & words, (lang, text)
