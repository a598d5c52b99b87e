"""What a likely duplicate tells the person registering, and the trail it leaves.

A match inside the actor's scope names the existing record, so they can open it instead. A match
outside it (another office, a participant not linked to a partner) says only that a record may
exist elsewhere: neither its reference nor which office, or the duplicate check would confirm to
anyone that a phone number or a name and birth date is registered at another centre. Every hit is
audited (ids only), and out-of-scope hits are capped per user and hour, so the check cannot be
used to probe a list of numbers.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.audit import AuditEvent
from journey.core.audit_apart import record_before_refusal
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, TooManyRequests
from journey.core.i18n import _
from journey.core.policy import participant_scope
from journey.participants.models import Participant

logger = logging.getLogger(__name__)

FOUND = "participants:duplicate:found"
ELSEWHERE = "participants:duplicate:elsewhere"
WINDOW = timedelta(hours=1)


def _recent_elsewhere_hits(sess: Session, actor: User) -> int:
    return sess.scalar(select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == ELSEWHERE, AuditEvent.actor_id == actor.id,
        AuditEvent.occurred_at >= utcnow() - WINDOW)) or 0


def answer_duplicate(sess: Session, actor: User, duplicate: tuple[int, str, str], *,
                     confirmed: bool, message: str) -> None:
    """Audit a duplicate hit, then refuse it (409) unless the caller confirmed it; out of the
    actor's scope the answer names nothing, and past the hourly cap it is 429."""
    dup_id, reference, matched_on = duplicate
    office_id = sess.scalar(select(Participant.office_id).where(Participant.id == dup_id))
    in_scope = sess.scalar(select(Participant.id).where(
        Participant.id == dup_id, participant_scope(actor, Participant.id, Participant.office_id),
    )) is not None
    limit = current_app.config["DUPLICATE_ELSEWHERE_PER_HOUR"]
    throttled = not in_scope and _recent_elsewhere_hits(sess, actor) >= limit
    event = {"action": FOUND if in_scope else ELSEWHERE, "actor_id": actor.id,
             "object_type": "participant", "object_id": dup_id, "office_id": office_id,
             "actor_office_id": actor.office_id, "matched_on": matched_on,
             "confirmed": confirmed, "throttled": throttled}
    if confirmed and not throttled:  # the registration goes on: the event commits with it
        audit.record(sess, **event)
        return
    # Refused: the request rolls back, and the hit must stay on record.
    record_before_refusal(sess, **event)
    if throttled:
        logger.warning("duplicate check capped user=%s", event["actor_id"])
        raise TooManyRequests(
            _("Too many registrations matched records outside your office; try again later or "
              "ask your supervisor."),
            headers={"Retry-After": str(int(WINDOW.total_seconds()))})
    if in_scope:
        raise Conflict(message, code="possible-duplicate",
                       extra={"existing_reference": reference, "matched_on": matched_on})
    raise Conflict(
        _("A participant with these details may already be registered at another office. Ask "
          "your supervisor before registering them again."),
        code="possible-duplicate-elsewhere")
