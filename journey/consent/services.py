"""Consent: grant, withdraw, and check at the moment of use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.models import ConsentRecord, Purpose
from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict
from journey.core.i18n import _
from journey.core.policy import require

if TYPE_CHECKING:
    from journey.participants.models import Participant


def active_record(sess: Session, participant_id: int, purpose: str) -> ConsentRecord | None:
    return sess.scalars(
        select(ConsentRecord).where(
            ConsentRecord.participant_id == participant_id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.withdrawn_at.is_(None),
        ).order_by(ConsentRecord.id.desc()).limit(1)
    ).first()


# Built once: checks run on every transition and every message, and statement construction
# costs more than the query itself.
_STANDING = (
    select(ConsentRecord.id).where(
        ConsentRecord.participant_id == sa.bindparam("pid"),
        ConsentRecord.purpose == sa.bindparam("purpose"),
        ConsentRecord.withdrawn_at.is_(None),
    ).limit(1)
)


def has_consent(sess: Session, participant_id: int, purpose: Purpose | str) -> bool:
    """Whether the participant's consent for this purpose stands right now."""
    return sess.scalar(_STANDING, {"pid": participant_id, "purpose": Purpose(purpose).value}) \
        is not None


def consented_ids(sess: Session, participant_ids: list[int], purpose: Purpose | str) -> set[int]:
    """Of these participants, those whose consent for the purpose stands (one query)."""
    found: set[int] = set()
    for start in range(0, len(participant_ids), 5000):  # SQLite caps bound parameters
        found.update(sess.scalars(
            select(ConsentRecord.participant_id).where(
                ConsentRecord.participant_id.in_(participant_ids[start:start + 5000]),
                ConsentRecord.purpose == Purpose(purpose).value,
                ConsentRecord.withdrawn_at.is_(None),
            )
        ))
    return found


def grant(sess: Session, actor: User, participant: Participant, *, purpose: str, method: str,
          note: str | None = None) -> ConsentRecord:
    """Record consent for a purpose; refused if it already stands."""
    require(actor, "consent:record")
    if active_record(sess, participant.id, purpose) is not None:
        raise Conflict(_("Consent for this purpose is already recorded."), code="consent-already-given")
    rec = ConsentRecord(participant_id=participant.id, purpose=purpose, method=method, note=note,
                        recorded_by=actor.id, recorded_at=utcnow())
    sess.add(rec)
    sess.flush()
    audit.record(sess, "consent:consent:grant", actor_id=actor.id, object_type="consent",
                 object_id=rec.id, office_id=participant.office_id,
                 participant_id=participant.id, purpose=purpose, method=method)
    return rec


WithdrawalHandler = Callable[[Session, User, "Participant"], Any]
_HANDLERS = "journey_consent_withdrawal"


def on_withdrawal(app: Flask, purpose: Purpose, handler: WithdrawalHandler) -> None:
    """Have `handler` close what a purpose's consent kept open, in the withdrawal's transaction
    (a domain registers it from its init_app; consent imports no domain)."""
    app.extensions.setdefault(_HANDLERS, {}).setdefault(Purpose(purpose).value, []).append(handler)


def withdraw(sess: Session, actor: User, participant: Participant, *, purpose: str, method: str,
             note: str | None = None) -> ConsentRecord:
    """Withdraw a standing consent; the record stays, marked with who withdrew it and how."""
    require(actor, "consent:record")
    rec = active_record(sess, participant.id, purpose)
    if rec is None:
        raise Conflict(_("There is no standing consent for this purpose."), code="no-active-consent")
    rec.withdrawn_at = utcnow()
    rec.withdrawn_by = actor.id
    rec.withdrawal_method = method
    rec.withdrawal_note = note
    sess.flush()
    audit.record(sess, "consent:consent:withdraw", actor_id=actor.id, object_type="consent",
                 object_id=rec.id, office_id=participant.office_id,
                 participant_id=participant.id, purpose=purpose, method=method)
    for handler in current_app.extensions.get(_HANDLERS, {}).get(purpose, ()):
        handler(sess, actor, participant)
    return rec


def history(sess: Session, participant_id: int) -> list[ConsentRecord]:
    return list(sess.scalars(
        select(ConsentRecord).where(ConsentRecord.participant_id == participant_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    ))


def current(records: list[ConsentRecord]) -> dict[str, bool]:
    """Purpose → whether consent stands, from a participant's full history."""
    standing = {rec.purpose for rec in records if rec.withdrawn_at is None}
    return {p.value: p.value in standing for p in Purpose}


def read_consents(sess: Session, actor: User, participant: Participant) -> dict[str, Any]:
    """Standing consent per purpose and the full history, for ConsentStateSchema; the read is
    audited."""
    require(actor, "consent:read")
    records = history(sess, participant.id)
    audit.record(sess, "consent:consent:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id)
    return {"current": current(records), "history": records}
