"""What erasing a person does to their messages (journey.privacy.erasure calls these).

The rows stay, with their channel, template, status and cost, so message counts stay; the
declarations in domain.py empty the addresses and texts, and these hooks do the rest: a message
not sent yet never will be (its address is gone), the copies the development backends wrote under
instance/ go, and their SMS opt-out (keyed by the number) is deleted. (Texts from their number
that nobody linked to them are theirs through the declaration's ``where``.) The files go at once,
not after the commit: were the erasure rolled back, the database would still hold every message
(the files are only copies, and only on a development machine).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.messaging.bridge import build_senders
from notifications.models import (
    DUE_STATUSES,
    Channel,
    OutboxMessage,
    SkipReason,
    SmsOptOut,
    Status,
)

logger = logging.getLogger(__name__)

_OUT = OutboxMessage.__table__


def erase_outbox(sess: Session, participant: Any, actor_id: int | None) -> int:
    """Skip the person's unsent messages and purge the copies on file; returns rows skipped."""
    conn = sess.connection()
    skipped = 0
    for channel, reason in ((Channel.SMS, SkipReason.NO_PHONE), (Channel.EMAIL, SkipReason.NO_EMAIL)):
        skipped += conn.execute(
            _OUT.update().where(_OUT.c.participant_id == participant.id,
                                _OUT.c.status.in_(DUE_STATUSES), _OUT.c.channel == channel.value)
            .values(status=Status.SKIPPED.value, skip_reason=reason.value,
                    updated_at=utcnow())).rowcount
    ids = set(conn.scalars(sa.select(_OUT.c.id).where(_OUT.c.participant_id == participant.id)))
    files = 0
    for sender in build_senders(current_app):
        purge = getattr(sender, "purge", None)  # only the file backends keep copies here
        if purge is not None:
            files += purge(ids)
    logger.info("erasure: participant=%s messages=%d unsent_skipped=%d copies_purged=%d",
                participant.id, len(ids), skipped, files)
    return skipped + files


def erase_opt_out(sess: Session, participant: Any, actor_id: int | None) -> int:
    """The opt-out row is the number itself: it goes (the record has no number left to text)."""
    if not participant.phone:
        return 0
    return sess.connection().execute(
        sa.delete(SmsOptOut.__table__).where(SmsOptOut.__table__.c.phone == participant.phone)
    ).rowcount
