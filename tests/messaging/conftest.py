"""Fixtures for texts people send us: a caseworker's office, participants with and without
consent, texts as the inbound webhook stores them (journey.messaging.bridge puts a known
sender's text on their timeline)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from journey.consent import services as consent
from journey.core.db import utcnow
from notifications.hooks import hooks_for
from notifications.models import InboundMessage


@pytest.fixture
def desk(app, factory, db_session):
    """An office with a caseworker and a participant (consent to updates) of that office."""
    office = factory.office()
    cw = factory.user("caseworker", office=office)

    class Desk:
        caseworker = cw

        @staticmethod
        def person(consent_to_updates: bool = True, **kw):
            p = factory.participant(cw, **kw)
            if consent_to_updates:
                with app.app_context():
                    consent.grant(db_session, cw, p, purpose="updates", method="signed")
                    db_session.flush()
            return p

        @staticmethod
        def text(sender: str, body: str, participant=None, minutes_ago: int = 5) -> InboundMessage:
            """A text as the webhook stores it (a known sender's goes on their timeline)."""
            m = InboundMessage(sender=sender, body=body, needs_attention=True,
                               participant_id=participant.id if participant else None,
                               received_at=utcnow() - timedelta(minutes=minutes_ago))
            db_session.add(m)
            db_session.flush()
            if participant is not None:
                with app.test_request_context():
                    hooks_for(app).on_inbound(db_session, participant.id, m.id)
                    db_session.flush()
            return m

    return Desk
