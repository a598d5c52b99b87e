"""The demo's caseload (#13): participants assigned to their office's caseworker, and one person
with something in each part of "My work" (an overdue checklist item, a permit about to expire, an
unanswered SMS reply), plus a text from an unknown number waiting for triage. So /work and
/messages/triage show something right after `make run`.

Idempotent like the rest of the demo: assignments are made only where none exists in an office,
and the messages carry fixed provider ids, so a second run finds them and adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.continuum import services as continuum
from journey.continuum.models import ChecklistItem, ItemStatus
from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import utcnow
from journey.participants.models import Participant
from notifications.hooks import hooks_for
from notifications.models import InboundMessage

REPLY_ID = "demo-reply-1"  # the InboundMessage.provider_id of the demo's reply
UNKNOWN_ID = "demo-unknown-1"  # and of the text from an unknown number
UNKNOWN_SENDER = "+9779812345678"
# One in UNASSIGNED_EVERY of an office's participants is left for the supervisor to assign.
UNASSIGNED_EVERY = 6


def assign_caseworkers(sess: Session, office_id: int, caseworker: User) -> int:
    """Give the office's demo participants to its caseworker, leaving every sixth unassigned.

    Registering makes the registering caseworker the assignee, so a fresh demo has every case
    assigned; this leaves some for the supervisor. It does nothing once the office has an
    unassigned case or one assigned to anyone else (a second run, or a real reassignment)."""
    others = sess.scalar(select(Participant.id).where(
        Participant.office_id == office_id,
        sa.or_(Participant.caseworker_id.is_(None),
               Participant.caseworker_id != caseworker.id)).limit(1))
    if others is not None:
        return 0
    ids = list(sess.scalars(select(Participant.id).where(Participant.office_id == office_id)
                            .order_by(Participant.id)))
    unassigned = [pid for n, pid in enumerate(ids) if n % UNASSIGNED_EVERY == UNASSIGNED_EVERY - 1]
    if unassigned:
        sess.execute(sa.update(Participant).where(Participant.id.in_(unassigned))
                     .values(caseworker_id=None))
    return len(ids) - len(unassigned)


def _showcase(sess: Session, caseworker: User) -> Participant | None:
    """The caseworker's first participant matched with an employer (a visa just issued, a
    checklist). Not one preparing to depart: the demo keeps those without a visa, to show the
    departure step's guard."""
    return sess.scalars(select(Participant).where(
        Participant.caseworker_id == caseworker.id, Participant.stage == Stage.MATCHED.value,
        Participant.erased_at.is_(None)).order_by(Participant.id).limit(1)).first()


def load_demo_work(sess: Session, caseworker: User, employer_id: int, today: date) -> bool:
    """One participant's overdue item, expiring visa and unanswered reply, and one text from an
    unknown number; True when they were added now."""
    if sess.scalar(select(InboundMessage.id).where(InboundMessage.provider_id == REPLY_ID)):
        return False
    p = _showcase(sess, caseworker)
    if p is None:
        return False
    item = sess.scalars(select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.cycle == p.cycle,
        ChecklistItem.stage == p.stage, ChecklistItem.status != ItemStatus.DONE.value)
        .order_by(ChecklistItem.id).limit(1)).first()
    if item is not None:
        continuum.update_item(sess, caseworker, p, item, {"due_date": today - timedelta(days=3)},
                              expected=None)
    continuum.record_permit(sess, caseworker, p, {
        "type": "work_visa", "issuing_country": "PT", "status": "issued",
        "applied_on": today - timedelta(days=70), "decided_on": today - timedelta(days=40),
        "issued_on": today - timedelta(days=35), "expires_on": today + timedelta(days=21),
        "employer_tied": True, "employer_id": employer_id})
    # Recorded as notifications/webhooks.py records a text that is not a keyword: on the
    # participant's timeline through the messaging bridge, waiting for an answer.
    now = utcnow()
    reply = InboundMessage(provider_id=REPLY_ID, sender=p.phone,
                           body="Namaste, my visa says I must travel before next month. "
                                "When is my flight? Please call me.",
                           participant_id=p.id, needs_attention=True,
                           received_at=now - timedelta(hours=5))
    stranger = InboundMessage(provider_id=UNKNOWN_ID, sender=UNKNOWN_SENDER,
                              body="Hello, my cousin is in your programme. How can I apply "
                                   "for hotel work in Portugal?",
                              needs_attention=True, received_at=now - timedelta(hours=2))
    sess.add_all([reply, stranger])
    sess.flush()
    hooks_for().on_inbound(sess, p.id, reply.id)
    return True
