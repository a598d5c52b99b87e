"""What erasing a person does to their participant record (journey.privacy.erasure calls it).

The row stays, so the counts by stage, sex, nationality, programme and office stay; what
identifies the person goes: the names become a placeholder, the date of birth keeps its year
only, and the contact details, gender identity, disability details and notes are dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.participants.models import Participant
from journey.participants.services import _search_text, name_key

# Not translated: it is stored, and every reader sees the same word.
PLACEHOLDER = "Erased"


def reduced_birth_date(born: date) -> date:
    """The middle of the birth year: age groups of five or ten years stay (within half a year)."""
    return date(born.year, 7, 1)


def erase_participant(sess: Session, participant: Participant, actor_id: int | None) -> int:
    """Replace the identifiers on the participant's own row; returns 1."""
    p: Any = participant
    p.given_name = p.family_name = PLACEHOLDER
    p.date_of_birth = reduced_birth_date(p.date_of_birth)
    for column in ("phone", "email", "sex_self_described", "gender_identity",
                   "disability_details", "notes"):
        setattr(p, column, None)
    p.channels = []  # nothing can be sent to nobody
    p.name_key = name_key(p.given_name, p.family_name)
    p.search_text = _search_text(p)
    p.updated_at = utcnow()
    p.version += 1
    sess.flush()
    return 1
