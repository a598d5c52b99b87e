"""What erasing a person does to their credentials (journey.privacy.erasure calls it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.credentials.models import Credential

_T = Credential.__table__
# Stored instead of the reason a person wrote: a code, the same for every erased record.
ERASED = "erased"


def revoke_credentials(sess: Session, participant: Any, actor_id: int | None) -> int:
    """Revoke every credential the person holds; the signed document (which names them) goes
    through the declaration's erase_columns. Returns how many were revoked now."""
    conn = sess.connection()
    mine = _T.c.participant_id == participant.id
    revoked = conn.execute(_T.update().where(mine, _T.c.revoked_at.is_(None))
                           .values(revoked_at=utcnow(), revoked_by=actor_id,
                                   revocation_reason=ERASED)).rowcount
    # A reason written earlier is free text.
    conn.execute(_T.update().where(mine, _T.c.revoked_at.is_not(None))
                 .values(revocation_reason=ERASED))
    return revoked
