"""Fixtures for messages: the fake Twilio and SMTP servers on loopback, senders, participants."""

from __future__ import annotations

from datetime import date

import pytest

import tests.fakes.smtp
import tests.fakes.twilio
from journey.consent import services as consent
from notifications.dispatcher import Dispatcher
from notifications.email import FileEmailSender
from notifications.sms import TwilioSmsSender

fake_twilio = tests.fakes.twilio.fake_twilio
smtp_server = tests.fakes.smtp.smtp_server
smtp_tls_files = tests.fakes.smtp.smtp_tls_files


@pytest.fixture
def messaging(app, monkeypatch, fake_twilio, tmp_path):
    """The app configured for the fake Twilio; a dispatcher factory; no rate limit."""
    for key, value in {"TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
                       "SMS_RATE_PER_SECOND": 0, "EMAIL_RATE_PER_SECOND": 0,
                       "PUBLIC_BASE_URL": "https://journey.example.org",
                       # Off unless a test turns it on: the wall clock must not decide results.
                       "QUIET_HOURS": "00:00-00:00"}.items():
        monkeypatch.setitem(app.config, key, value)

    def dispatcher(*, email=None, worker_id=None, target_app=None) -> Dispatcher:
        sms = TwilioSmsSender(fake_twilio.account_sid, fake_twilio.auth_token,
                              messaging_service_sid="MG" + "0" * 32,
                              status_callback_base="https://journey.example.org",
                              api_base=fake_twilio.base_url)
        return Dispatcher(target_app or app, sms, email or FileEmailSender(tmp_path / "mail"),
                          worker_id=worker_id)

    return dispatcher


@pytest.fixture
def person(app, factory, db_session):
    """A participant with consent to updates: person(language=..., timezone=..., channels=...)."""
    office = factory.office()
    caseworker = factory.user("caseworker", office=office)

    def make(consent_to_updates: bool = True, **kw):
        kw.setdefault("date_of_birth", date(1992, 3, 4))
        p = factory.participant(caseworker, **kw)
        if consent_to_updates:
            with app.app_context():
                consent.grant(db_session, caseworker, p, purpose="updates", method="signed")
                db_session.flush()
        return p

    make.caseworker = caseworker
    return make
