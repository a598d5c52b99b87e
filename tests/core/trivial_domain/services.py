"""The trivial domain's logic: add a note, and put it on the participant's timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from journey.core import timeline
from journey.core.policy import require
from journey.participants.models import Participant
from tests.core.trivial_domain.models import Note

NOTE_ADDED = "trivial_note_added"


def add_note(sess: Session, actor: Any, participant: Any, text: str, source: str) -> Note:
    """One note (by a user, or by SMS when actor is None), recorded on the timeline."""
    if actor is not None:
        require(actor, "trivial:write")
    note = Note(participant_id=participant.id, text=text, source=source)
    sess.add(note)
    sess.flush()
    timeline.record(sess, participant, NOTE_ADDED, actor_id=actor.id if actor else None,
                    note_id=note.id, source=source)
    return note


def on_sms(sess: Session, inbound: Any, recipient: Any, language: str, text: str) -> str | None:
    """NOTE <text> by SMS: a note from the participant themself."""
    if recipient is None or recipient.participant_id is None:
        return "Unknown number"
    participant = sess.get(Participant, recipient.participant_id)
    add_note(sess, None, participant, text, "sms")
    return "Noted"
