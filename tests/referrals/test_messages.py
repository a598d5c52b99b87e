"""What a referral tells people: the migrant where, the address and hours and what to bring, in
their language and within the segment budget (never a confidential address, nothing without
consent to updates); the referring caseworker when the partner declines or completes, by email
through the outbox and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa

import tests.fakes.smtp
from journey.consent import services as consent
from journey.referrals import messages
from journey.referrals.models import ServiceSchedule
from notifications import segments
from notifications.dispatcher import Dispatcher
from notifications.email import SmtpEmailSender
from notifications.models import OutboxMessage
from notifications.sms import ConsoleSmsSender
from tests.referrals.helpers import move, person, refer, setting
from tests.referrals.test_deadlines import partner_calls  # noqa: F401 - an autouse fixture

smtp_server = tests.fakes.smtp.smtp_server

LONG_ADDRESS = "Rua Professor Doutor Egas Moniz de Albuquerque 123, 2.º Esquerdo"
LONG_DOCUMENTS = ("Passaporte, autorização de residência, contrato de trabalho, três últimos "
                  "recibos de vencimento, comprovativo de morada, número de contribuinte")


def _migrant(app, factory, sess, s, *, updates: bool = True, **kw):
    p = person(factory, s, **kw)
    if updates:
        with app.app_context():
            consent.grant(sess, s.admin, p, purpose="updates", method="signed")
        sess.flush()
    return p


def _sent(sess, participant_id: int) -> list[OutboxMessage]:
    return list(sess.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == participant_id,
        OutboxMessage.template.like("referral%")).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("language", ["ne", "ar"])
def test_the_migrant_is_told_where_the_address_hours_and_documents(app, factory, db_session,
                                                                    language):
    s = setting(factory, db_session)
    # Saturday mornings too: "Mon-Fri 09:00-17:00, Sat 09:00-12:00" in the person's language.
    db_session.add(ServiceSchedule(service_id=s.service.id, weekday=6, opens_at=time(9),
                                   closes_at=time(12)))
    db_session.flush()
    p = _migrant(app, factory, db_session, s, language=language)
    refer(app, db_session, s, p)
    (sms,) = _sent(db_session, p.id)
    assert (sms.channel, sms.template, sms.language) == ("sms", "referral_sent", language)
    hours = messages.compact_hours([(d, time(9), time(17)) for d in range(1, 6)]
                                   + [(6, time(9), time(12))], language)
    assert "09:00-17:00" in hours and "09:00-12:00" in hours and "-" in hours.split()[0]
    for part in (s.service.name, s.provider.name, "Rua do Ouro 10, Lisboa", hours,
                 "Passport, work contract"):
        assert part in sms.body, (part, sms.body)
    assert sms.segments <= 3 and segments.count(sms.body).segments == sms.segments


@pytest.mark.parametrize("language", ["ne", "ar", "pt"])
def test_long_directory_texts_are_shortened_to_the_budget(app, factory, db_session, language):
    s = setting(factory, db_session, documents_required=LONG_DOCUMENTS)
    s.location.address = LONG_ADDRESS
    db_session.flush()
    p = _migrant(app, factory, db_session, s, language=language, channels=["sms", "email"],
                 email="migrant@example.org")
    refer(app, db_session, s, p)
    sms, mail = _sent(db_session, p.id)
    assert sms.segments <= messages.budget(language)
    assert "Rua Professor Doutor" in sms.body and "Passaporte" in sms.body
    # The email is not bound by segments: everything, in full.
    assert mail.channel == "email" and LONG_ADDRESS in mail.body and LONG_DOCUMENTS in mail.body


def test_a_confidential_address_is_never_in_a_message(app, factory, db_session):
    s = setting(factory, db_session, confidential=True)
    p = _migrant(app, factory, db_session, s, language="ne", channels=["sms", "email"],
                 email="migrant@example.org")
    refer(app, db_session, s, p)
    rows = _sent(db_session, p.id)
    assert [r.channel for r in rows] == ["sms", "email"]
    for row in rows:
        assert row.template == "referral_sent_confidential"
        assert "Rua do Ouro" not in row.body and "Lisboa" not in row.body
        assert "Rua do Ouro" not in (row.html or "")
        assert s.service.name in row.body
    # It says, in Nepali, that the caseworker will give the address: the translated template's
    # words between the provider and the hours.
    from flask_babel import force_locale

    from journey.referrals import messages

    with app.test_request_context(), force_locale("ne"):
        said = str(messages.SENT_CONFIDENTIAL_TEMPLATE.email)
    words = said.split("%(provider)s", 1)[1].split("%(hours)s", 1)[0]
    assert words.strip(" .।:") and words.strip(" .।:")[:20] in rows[1].body
    assert said != str(messages.SENT_CONFIDENTIAL_TEMPLATE.email)  # truly translated


def test_no_consent_to_updates_no_message(app, factory, db_session, partner_calls):  # noqa: F811
    s = setting(factory, db_session)
    p = _migrant(app, factory, db_session, s, updates=False)
    r = refer(app, db_session, s, p)
    assert _sent(db_session, p.id) == []
    assert partner_calls == [("new", r.id)]  # the partner is still told


def test_the_caseworker_is_emailed_a_decline_through_smtp(app, factory, db_session, smtp_server,
                                                         monkeypatch, tmp_path):
    for key, value in {"EMAIL_RATE_PER_SECOND": 0, "SMS_RATE_PER_SECOND": 0,
                       "PUBLIC_BASE_URL": "https://journey.example.org",
                       "QUIET_HOURS": "00:00-00:00"}.items():
        monkeypatch.setitem(app.config, key, value)
    s = setting(factory, db_session)
    s.caseworker.email, s.caseworker.language = "cw@example.org", "fr"
    db_session.flush()
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    move(app, db_session, s.partner, r, "decline", reason="no_capacity")
    (row,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "referral_staff_declined")).all()
    assert (row.recipient, row.language, row.participant_id) == ("cw@example.org", "fr", None)
    assert f"https://journey.example.org/referrals/{r.id}" in row.body
    assert r.reference in row.body and p.given_name not in row.body
    server = smtp_server()
    sender = SmtpEmailSender(server.host, server.port, security="none", sender="mrc@example.org")
    Dispatcher(app, ConsoleSmsSender(tmp_path / "sms.log"), sender).run_once(datetime.now(UTC))
    db_session.refresh(row)
    assert row.status == "sent"
    (mail,) = [m for m in server.received if m.rcpt_tos == ["cw@example.org"]]
    body = mail.parse().get_body(("plain",)).get_content()
    assert f"/referrals/{r.id}" in body


def test_the_caseworker_hears_of_the_outcome_in_their_language(app, factory, db_session):
    s = setting(factory, db_session)
    cw = factory.user("caseworker", email="own@example.org", language="pt",
                      office=None, office_id=s.office_id)
    p = person(factory, s, caseworker_id=cw.id)
    s.caseworker.email = "sender@example.org"
    db_session.flush()
    r = refer(app, db_session, s, p)
    move(app, db_session, s.partner, r, "accept")
    move(app, db_session, s.partner, r, "complete", outcome="provided")
    (row,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "referral_staff_completed")).all()
    # The participant's own caseworker, not whoever sent it.
    assert (row.recipient, row.language) == ("own@example.org", "pt")
