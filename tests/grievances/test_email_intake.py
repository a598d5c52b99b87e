"""Complaints by email: a signed raw message from any sender opens a grievance whose receipt,
with the tracking code, goes back by email in the sender's language; anything unsigned,
unreadable or empty opens nothing, and never answers 500."""

from __future__ import annotations

import hashlib
import hmac
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from journey.grievances.models import Grievance
from notifications.models import OutboxMessage

SECRET = "test-inbound-secret"  # noqa: S105  (a test value)
URL = "/webhooks/email/complaints"


@pytest.fixture
def email_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "GRIEVANCE_EMAIL_SECRET", SECRET)


def _raw(sender="worker@example.org", subject="Passport taken", body="My employer keeps my "
         "passport.\n\n> earlier mail quoted\n-- \nsent from my phone", language=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"A worker <{sender}>"
    msg["To"] = "complaints@centre.example"
    msg["Subject"] = subject
    msg.set_content(body)
    if language:  # after set_content, which replaces every Content-* header
        msg["Content-Language"] = language
    return bytes(msg)


def _post(client, raw: bytes, secret: str = SECRET):
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(URL, data=raw, content_type="message/rfc822",
                       headers={"X-Journey-Signature": signature})


def _latest(db_session) -> Grievance | None:
    return db_session.scalar(sa.select(Grievance).order_by(Grievance.id.desc()).limit(1))


def test_a_signed_email_opens_a_grievance_and_the_receipt_goes_back_in_their_language(
        client, db_session, factory, email_on):
    factory.office()
    resp = _post(client, _raw(language="fr-FR"))
    assert resp.status_code == 204, resp.get_data(as_text=True)
    g = _latest(db_session)
    assert g.channel == "email" and g.contact_email == "worker@example.org"
    assert g.participant_id is None and g.language == "fr"
    # The subject and the sender's own words; not the quoted mail, not the signature.
    assert g.description == "Passport taken\n\nMy employer keeps my passport."
    (receipt,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "grievance_acknowledged"))
    assert receipt.recipient == "worker@example.org"
    assert receipt.channel == "email" and receipt.language == "fr"
    assert g.tracking_code in receipt.body and g.tracking_code not in resp.get_data(as_text=True)


@pytest.mark.parametrize(("raw", "status"), [
    (_raw(sender="not-an-address"), 400),
    (_raw(subject="", body="   "), 400),
    (b"\xff\xfe garbage with no headers", 400),
])
def test_unusable_messages_open_nothing(client, db_session, factory, email_on, raw, status):
    factory.office()
    before = _latest(db_session)
    assert _post(client, raw).status_code == status
    assert _latest(db_session) == before


def test_an_unsigned_or_wrongly_signed_email_is_refused(client, db_session, factory, email_on):
    factory.office()
    assert _post(client, _raw(), secret="another").status_code == 403
    assert client.post(URL, data=_raw(), content_type="message/rfc822").status_code == 403
    assert _latest(db_session) is None


def test_without_a_secret_the_channel_is_off(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "GRIEVANCE_EMAIL_SECRET", None)
    assert _post(client, _raw()).status_code == 404
