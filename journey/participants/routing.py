"""What a participant's API route starts with: the request's session, its user, the participant."""

from __future__ import annotations

from sqlalchemy.orm import Session

from journey.core.auth import User, current_user
from journey.core.db import db
from journey.participants.models import Participant
from journey.participants.services import load_participant


def participant_context(participant_id: int, permission: str = "participants:read",
                        ) -> tuple[Session, User, Participant]:
    """The request's session and user, and the participant they may act on (401, 403 or 404)."""
    sess = db.session
    user = current_user(sess)
    return sess, user, load_participant(sess, user, participant_id, permission)
