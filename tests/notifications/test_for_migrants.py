"""What migrants receive is written for them (#13 item 6): checklist reminders in their words
and language, the country by its name, their programme's and destination's numbers, emails with
a subject of their own and no SMS keywords."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from journey.continuum.models import EventKind
from journey.continuum.services import record_event
from journey.programmes.contacts import contacts_for
from journey.stages.checklists import DEFAULT_CHECKLISTS, REMINDERS, definition, definitions_for
from notifications.models import OutboxMessage
from notifications.templates import TEMPLATES, render
from tests.notifications.test_outbox import _inbound

BASE = {"name": "Sunita", "centre": "Kathmandu MRC", "reference": "4K7Q-M2XD",
        "phone": "+977 1 4000000"}


def _bodies(db_session, p, template, channel="sms"):
    return [r.body for r in db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == p.id, OutboxMessage.template == template,
        OutboxMessage.channel == channel))]


# --- checklist reminders ------------------------------------------------------------------------

def test_every_default_item_has_a_reminder_that_is_not_its_title():
    assert set(REMINDERS) == {d.key for d in DEFAULT_CHECKLISTS}
    for d in DEFAULT_CHECKLISTS:
        reminder = str(d.reminder_text())
        assert reminder != str(d.title) and not reminder.endswith("."), d.key
        assert reminder[0].isupper() and len(reminder) <= 80, d.key


def test_a_programmes_own_item_uses_its_reminder_or_a_phrase_and_its_title(app):
    config = {"renamed": {"housing": "Employer housing inspected"},
              "added": [{"stage": "arrival", "key": "sim_card", "title": "Local SIM card",
                         "reminder": "Get a local SIM card at the airport"},
                        {"stage": "arrival", "key": "bus_pass", "title": "Bus pass"}]}
    with app.test_request_context():
        assert definition("sim_card", config).reminder_text() == \
            "Get a local SIM card at the airport"
        assert str(definition("bus_pass", config).reminder_text()) == "Your next step: Bus pass"
        housing = definition("housing", config)
        assert housing.title == "Employer housing inspected"  # the staff name changes...
        assert housing.reminder_text() is REMINDERS["housing"]  # ...the migrant's does not
        added = [d.key for d in definitions_for("arrival", config)]
        assert added[-2:] == ["sim_card", "bus_pass"]
        assert definition("nothing", config) is None


@pytest.mark.parametrize("language", ["en", "fr", "ne"])
def test_a_due_item_is_reminded_in_the_migrants_words_and_language(app, person, db_session,
                                                                    messaging, language):
    p = person(channels=["sms"], language=language)
    with app.test_request_context():  # the request's language is English: not the migrant's
        record_event(db_session, p, EventKind.CHECKLIST_ITEM_DUE, item_id=0,
                     key="visa_application", due_date="2026-12-14", dedupe_key="due:visa")
        with force_locale(language):
            expected = str(REMINDERS["visa_application"])
            title = str(definition("visa_application", None).title)
    (body,) = _bodies(db_session, p, "checklist_item_due")
    assert expected in body and title not in body


def test_a_reminder_of_a_programmes_own_item(app, factory, person, db_session, messaging):
    prog = factory.programme(checklist_config={"added": [
        {"stage": "arrival", "key": "sim_card", "title": "Local SIM card", "required": False,
         "due_days": 2, "reminder": "Get a local SIM card at the airport"}]})
    p = person(channels=["sms"], language="en", programme_id=prog.id)
    with app.test_request_context():
        record_event(db_session, p, EventKind.CHECKLIST_ITEM_DUE, item_id=0, key="sim_card",
                     due_date="2026-12-14", dedupe_key="due:sim")
    (body,) = _bodies(db_session, p, "checklist_item_due")
    assert "Get a local SIM card at the airport" in body and "Dec 14, 2026" in body


# --- the country by its name --------------------------------------------------------------------

@pytest.mark.parametrize(("language", "name"), [("en", "Portugal"), ("fr", "Portugal"),
                                                ("ne", "पोर्चुगल"), ("ar", "البرتغال"),
                                                ("es", "Portugal")])
def test_the_welcome_sms_names_the_country_in_the_migrants_language(app, person, db_session,
                                                                   messaging, language, name):
    p = person(channels=["sms"], language=language, destination_country="PT")
    with app.test_request_context():
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="arrival")
    (body,) = _bodies(db_session, p, "welcome_package")
    assert name in body
    assert not re.search(r"\bPT\b", body.replace("country=PT", "")), body


def test_no_template_param_is_a_bare_country_or_language_code():
    for name, template in TEMPLATES.items():
        for key, param in template.params.items():
            if key in ("country", "destination", "origin", "nationality"):
                assert param.kind == "country", f"{name}.{key} would show a code"
            assert key not in ("language", "lang"), f"{name}.{key} would show a code"


# --- numbers per programme and destination --------------------------------------------------------

def test_numbers_fall_back_from_programme_to_country_to_the_centre(app):
    cfg = {**app.config, "HELPLINES": {"PT": "+351 808 257 257"},
           "EMERGENCY_NUMBERS": {"PT": "112", "QA": "999"}, "HELPLINE": "+977 1 4000000",
           "EMERGENCY_NUMBER": "112"}
    own = contacts_for({"helpline": "+351 21 000 0000", "emergency": "+351 21 999 9999",
                        "embassy": "+351 21 111 1111"}, "PT", cfg)
    assert own.helpline == "+351 21 000 0000" and own.emergency == "+351 21 999 9999"
    assert own.embassy == "+351 21 111 1111"
    country = contacts_for({}, "pt", cfg)
    assert (country.helpline, country.emergency, country.embassy) == ("+351 808 257 257", "112",
                                                                      None)
    qatar = contacts_for(None, "QA", cfg)
    assert (qatar.helpline, qatar.emergency) == ("+977 1 4000000", "999")
    assert contacts_for(None, None, cfg).emergency == "112"


def test_messages_cite_the_programmes_numbers_not_the_global_one(app, factory, person,
                                                                 db_session, messaging,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "HELPLINE", "+977 1 4000000")
    prog = factory.programme(destination_country="QA", contacts={
        "helpline": "+974 4000 1111", "emergency": "999"})
    p = person(channels=["sms"], language="en", programme_id=prog.id, destination_country="QA")
    with app.test_request_context():
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="intake")
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="arrival")
    (welcome,) = _bodies(db_session, p, "welcome_package")
    assert "Qatar" in welcome and "Emergency: 999" in welcome and "+974 4000 1111" in welcome
    assert f"programme={prog.id}" in welcome and "country=QA" in welcome
    assert "4000000" not in welcome
    with app.app_context():
        email = render("stage_entered.intake", "en", {**BASE, "phone": "+974 4000 1111"})
    assert "For help, call +974 4000 1111" in email.text and "HELP" in email.sms


def test_without_programme_numbers_the_destination_countrys_apply(app, person, db_session,
                                                                  messaging, monkeypatch):
    monkeypatch.setitem(app.config, "HELPLINES", {"PT": "+351 808 257 257"})
    p = person(channels=["sms"], language="en", destination_country="PT")
    with app.test_request_context():
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="arrival")
    (welcome,) = _bodies(db_session, p, "welcome_package")
    assert "Emergency: 112" in welcome and "+351 808 257 257" in welcome


def test_help_reply_gives_a_known_sender_their_programmes_helpline(app, client, factory, person,
                                                                   db_session, messaging,
                                                                   fake_twilio):
    prog = factory.programme(contacts={"helpline": "+351 21 000 0000"})
    p = person(language="en", channels=["sms"], programme_id=prog.id)
    known = _inbound(client, fake_twilio, p.phone, "HELP").get_data(as_text=True)
    assert "+351 21 000 0000" in known
    stranger = _inbound(client, fake_twilio, "+15005550006", "HELP").get_data(as_text=True)
    assert app.config["HELPLINE"] in stranger and "+351 21 000 0000" not in stranger


# --- emails -------------------------------------------------------------------------------------

_PARAMS = {**BASE, "item": "Bring your passport", "date": date(2026, 12, 14), "what": "Orientation",
           "place": "MRC", "country": "PT", "url": "https://mrc.example.org/w",
           "emergency": "112", "service": "Job centre", "employer": "Hotel"}


def test_every_notification_has_a_subject_of_its_own(app):
    with app.app_context():
        subjects = {name: render(name, "en", {**_PARAMS}).subject for name in TEMPLATES}
    assert len(set(subjects.values())) == len(subjects), subjects


@pytest.mark.parametrize("language", ["en", "fr", "es", "ne", "ar"])
def test_no_email_asks_for_an_sms_reply(app, language):
    with app.app_context():
        for name in TEMPLATES:
            rendered = render(name, language, {**_PARAMS})
            with force_locale(language):
                sms_words = ("HELP", "STOP", "YES", "NO", "Reply")
            for word in sms_words:
                assert not re.search(rf"\b{word}\b", rendered.text), f"{language} {name}: {word}"
                assert not re.search(rf"\b{word}\b", rendered.html), f"{language} {name}: {word}"


def test_an_email_keeps_the_sms_text_where_it_asks_for_no_reply(app):
    with app.app_context():
        rendered = render("permit_expiring", "en", {**_PARAMS})
    assert rendered.text.startswith(rendered.sms)


def test_the_recipients_helpline_is_their_programmes(app, factory, person, db_session):
    from journey.messaging.bridge import recipient_for

    prog = factory.programme(contacts={"helpline": "+351 21 000 0000"})
    p = person(channels=["sms"], programme_id=prog.id)
    other = person(channels=["sms"], destination_country="PT")
    with app.app_context():
        assert recipient_for(db_session, p).params["phone"] == "+351 21 000 0000"
        assert recipient_for(db_session, other).params["phone"] == app.config["HELPLINE"]


def test_the_welcome_page_shows_the_programmes_and_countrys_numbers(client, factory):
    prog = factory.programme(destination_country="QA", contacts={
        "helpline": "+974 4000 1111", "embassy": "+974 4467 5283"})
    html = client.get(f"/welcome?lang=en&country=QA&programme={prog.id}").get_data(as_text=True)
    assert "+974 4000 1111" in html and "+974 4467 5283" in html
    assert "Collect your welcome package" in html  # the migrant's words, not the staff task
    plain = client.get("/welcome?lang=en&country=PT").get_data(as_text=True)
    assert 'href="tel:112"' in plain and "+974" not in plain
    back = client.get("/return?lang=en").get_data(as_text=True)
    assert "tel:112" not in back  # the emergency number is the destination's: not on return


def test_the_welcome_and_return_pages_show_how_to_complain_in_the_readers_language(client):
    for path in ("/welcome?lang=ne&country=PT", "/return?lang=ar"):
        html = client.get(path).get_data(as_text=True)
        lang = path.split("lang=")[1][:2]
        assert f'href="/complaint?lang={lang}"' in html, path


@pytest.mark.parametrize("query", ["programme=abc", "programme=99999999999999", "country=%F0%9F",
                                   "country=P", "programme=-1&country=12"])
def test_the_welcome_page_ignores_arguments_it_cannot_use(client, query):
    resp = client.get(f"/welcome?lang=en&{query}")
    assert resp.status_code == 200 and "Emergency" in resp.get_data(as_text=True)
