"""What erasing a person does to their skill forms and cards (journey.privacy.erasure)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.skillcards.models import SkillCard, SkillForm

_CARDS = SkillCard.__table__
_FORMS = SkillForm.__table__
ERASED = "erased"


def revoke_cards(sess: Session, participant: Any, actor_id: int | None) -> int:
    """Revoke every card (it prints the name); returns how many were revoked now."""
    conn = sess.connection()
    mine = _CARDS.c.participant_id == participant.id
    revoked = conn.execute(_CARDS.update().where(mine, _CARDS.c.revoked_at.is_(None))
                           .values(revoked_at=utcnow(), revoked_by=actor_id,
                                   revocation_reason=ERASED)).rowcount
    conn.execute(_CARDS.update().where(mine, _CARDS.c.revoked_at.is_not(None))
                 .values(revocation_reason=ERASED))
    return revoked


def close_form_links(sess: Session, participant: Any, actor_id: int | None) -> int:
    """The returnee's own links to their forms stop working."""
    return sess.connection().execute(
        _FORMS.update().where(_FORMS.c.participant_id == participant.id,
                              _FORMS.c.link_token_hash.is_not(None))
        .values(link_token_hash=None, link_expires_at=None)).rowcount
