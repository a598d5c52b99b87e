"""What erasing a person does to their passport and share links (journey.privacy.erasure)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.passports.models import Passport, RevokeReason, ShareLink

_LINKS = ShareLink.__table__


def erase_passport(sess: Session, participant: Any, actor_id: int | None) -> int:
    """Nothing is disclosed publicly any more."""
    return sess.connection().execute(
        sa.update(Passport.__table__).where(Passport.__table__.c.participant_id == participant.id)
        .values(disclosure=[], updated_at=utcnow())).rowcount


def revoke_share_links(sess: Session, participant: Any, actor_id: int | None) -> int:
    """Every open share link stops working: revoked by the actor, or (a scheduled job, which has
    no actor to name) expired now."""
    now = utcnow()
    open_links = [_LINKS.c.participant_id == participant.id, _LINKS.c.revoked_at.is_(None),
                  _LINKS.c.expires_at > now]
    values = ({"revoked_at": now, "revoked_by": actor_id,
               "revoke_reason": RevokeReason.REVOKED.value}  # by staff, through the erasure
              if actor_id is not None else {"expires_at": now})
    return sess.connection().execute(_LINKS.update().where(*open_links).values(**values)).rowcount
