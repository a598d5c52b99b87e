"""Legal holds: while one stands, a person's record may not be erased (by request or by the
retention job). Set and lifted by admins and supervisors, with a reason code, and audited."""

from __future__ import annotations

import enum
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import UTCDateTime, enum_check, utcnow
from journey.core.errors import Conflict
from journey.core.i18n import _, _l
from journey.core.policy import require

logger = logging.getLogger(__name__)


class HoldReason(enum.StrEnum):
    LITIGATION = "litigation"  # a court case, pending or expected
    INVESTIGATION = "investigation"  # by the police or a labour inspectorate
    REGULATOR = "regulator"  # a data-protection authority's inquiry
    SAFEGUARDING = "safeguarding"  # a safeguarding or abuse case
    AUDIT = "audit"  # a donor's or auditor's review


HOLD_REASON_TITLES = {
    HoldReason.LITIGATION: _l("Court case"),
    HoldReason.INVESTIGATION: _l("Investigation by the authorities"),
    HoldReason.REGULATOR: _l("Inquiry by a data-protection authority"),
    HoldReason.SAFEGUARDING: _l("Safeguarding case"),
    HoldReason.AUDIT: _l("Audit"),
}


class LegalHold(SQLModel, table=True):
    """One hold on one participant: set, then perhaps lifted. Codes only, no free text."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        enum_check("reason", HoldReason),
        sa.CheckConstraint("(lifted_at IS NULL) = (lifted_by IS NULL)", name="lifted_complete"),
        sa.Index("ix_legal_holds_participant_lifted", "participant_id", "lifted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id")
    reason: str = Field(max_length=20)
    set_by: int | None = Field(default=None, foreign_key="users.id")
    set_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    lifted_by: int | None = Field(default=None, foreign_key="users.id")
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def standing(sess: Session, participant_id: int) -> LegalHold | None:
    """The hold that stands on the participant, if any."""
    return sess.scalar(select(LegalHold).where(LegalHold.participant_id == participant_id,
                                               LegalHold.lifted_at.is_(None)).limit(1))


def history(sess: Session, participant_id: int) -> list[LegalHold]:
    return list(sess.scalars(select(LegalHold).where(LegalHold.participant_id == participant_id)
                             .order_by(LegalHold.set_at.desc(), LegalHold.id.desc())))


def set_hold(sess: Session, actor: User, participant, reason: str) -> LegalHold:
    """Put the participant's record on hold; one hold stands at a time."""
    require(actor, "privacy:hold")
    if standing(sess, participant.id) is not None:
        raise Conflict(_("A legal hold already stands on this record."), code="hold-exists")
    hold = LegalHold(participant_id=participant.id, reason=HoldReason(reason).value,
                     set_by=actor.id, set_at=utcnow())
    sess.add(hold)
    sess.flush()
    audit.record(sess, "privacy:legal_hold:set", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, hold_id=hold.id,
                 reason=hold.reason)
    logger.info("legal hold set participant=%s hold=%s", participant.id, hold.id)
    return hold


def lift_hold(sess: Session, actor: User, participant) -> LegalHold:
    """Lift the standing hold; the row stays, with who lifted it and when."""
    require(actor, "privacy:hold")
    hold = standing(sess, participant.id)
    if hold is None:
        raise Conflict(_("No legal hold stands on this record."), code="no-hold")
    hold.lifted_at, hold.lifted_by = utcnow(), actor.id
    sess.flush()
    audit.record(sess, "privacy:legal_hold:lift", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, hold_id=hold.id,
                 reason=hold.reason)
    logger.info("legal hold lifted participant=%s hold=%s", participant.id, hold.id)
    return hold


def hold_veto(sess: Session, participant) -> str | None:
    """An erasure veto (Domain.erasure_vetoes): a standing hold forbids erasure."""
    return "legal-hold" if standing(sess, participant.id) is not None else None
