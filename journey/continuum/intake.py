"""Registration: a new participant enters the continuum at intake.

Registering spans three domains, so it lives above them: the participant's record (participants),
the consents given at registration (consent) and the journey's start, with the programme's
checklists (continuum). Services never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from journey.consent import services as consent_services
from journey.continuum.services import start_journey
from journey.core.auth import User
from journey.participants.models import Participant
from journey.participants.services import create_participant


def register_participant(sess: Session, actor: User, data: dict[str, Any]) -> Participant:
    """Create the record, record the consents given, and open the intake stage's checklist."""
    data = dict(data)
    consents = data.pop("consents", [])
    p = create_participant(sess, actor, data)
    for c in consents:
        consent_services.grant(sess, actor, p, purpose=c["purpose"], method=c["method"],
                               note=c.get("note"))
    start_journey(sess, actor, p)
    return p
