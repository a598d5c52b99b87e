"""Texts people send us: a participant's replies (read, marked handled, answered by SMS) and the
triage of texts from unknown numbers (attached to a participant, or dismissed). Never commits.

Who may triage: every staff role (admins, supervisors, caseworkers; ``messages:triage``). A text
from an unknown number has no participant and so no office: holding it back until an admin
looks would leave migrants unanswered, and a caseworker is usually the one who recognises the
person. Staff of every office therefore see the triage list, but it shows only the last digits
of the sender; attaching needs a participant in the user's own scope (as any write does), so a
text can only be moved onto a record the user may already see. Every read of a text's body and
every triage decision is audited (ids only).
"""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.consent.services import has_consent
from journey.core import audit, crypto, timeline
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _
from journey.core.policy import require
from journey.messaging.bridge import recipient_for
from journey.messaging.kinds import MessageKind
from journey.participants.models import Participant
from journey.participants.services import load_participant
from notifications.models import InboundMessage, OutboxMessage, SmsOptOut
from notifications.outbox import build_rows, write_rows

_T = InboundMessage.__table__
TRIAGE_LIMIT = 200
REPLY_TEMPLATE = "caseworker_reply"


class DismissReason(enum.StrEnum):
    SPAM = "spam"
    WRONG_NUMBER = "wrong_number"
    OTHER = "other"


def masked(sender: str | None) -> str:
    """A phone number with all but its last three digits hidden (never the whole number)."""
    digits = "".join(ch for ch in sender or "" if ch.isdigit())
    return "•••" + digits[-3:] if digits else "–"


def _dict(m: InboundMessage) -> dict[str, Any]:
    return {"id": m.id, "participant_id": m.participant_id, "body": m.body,
            "received_at": m.received_at, "needs_attention": m.needs_attention,
            "keyword": m.keyword, "handled_at": m.handled_at, "handled_by": m.handled_by}


def participant_inbound(sess: Session, actor: User, participant_id: int) -> list[dict[str, Any]]:
    """Every text the participant sent us, newest first, in full (the read is audited)."""
    p = load_participant(sess, actor, participant_id, "messages:read")
    rows = list(sess.scalars(sa.select(InboundMessage).where(InboundMessage.participant_id == p.id)
                             .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())))
    audit.record(sess, "messaging:inbound:read", actor_id=actor.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id, shown=len(rows))
    return [_dict(m) for m in rows]


def participant_text(sess: Session, actor: User, inbound_id: int, permission: str,
                      ) -> tuple[InboundMessage, Participant]:
    """A text of a participant the actor may see, and the participant (404 otherwise)."""
    require(actor, permission)
    m = sess.get(InboundMessage, inbound_id)
    if m is None or m.participant_id is None:
        raise NotFound(_("No such message."))
    try:
        p = load_participant(sess, actor, m.participant_id, permission)
    except NotFound:
        raise NotFound(_("No such message.")) from None
    return m, p


def audit_text_read(sess: Session, actor: User, m: InboundMessage, p: Participant) -> None:
    """Record that the actor read one of the participant's texts."""
    audit.record(sess, "messaging:inbound:read", actor_id=actor.id, object_type="participant",
                 object_id=p.id, office_id=p.office_id, inbound_id=m.id, shown=1)


def _handled(m: InboundMessage, actor: User) -> None:
    m.needs_attention = False
    m.handled_at = utcnow()
    m.handled_by = actor.id


def mark_handled(sess: Session, actor: User, inbound_id: int) -> dict[str, Any]:
    """Mark a participant's text as dealt with: it no longer needs attention."""
    m, p = participant_text(sess, actor, inbound_id, "messages:reply")
    if m.needs_attention:
        _handled(m, actor)
        audit.record(sess, "messaging:inbound:handled", actor_id=actor.id, object_type="inbound",
                     object_id=m.id, office_id=p.office_id, participant_id=p.id)
    return _dict(m)


def _refuse_reply(p: Participant, sess: Session) -> None:
    """Refuse a reply the worker would skip: say why to the caseworker instead."""
    if not p.phone:
        raise Conflict(_("This person has no phone number to text."), code="no-phone")
    if not has_consent(sess, p.id, "updates"):
        raise Conflict(_("This person has not consented to receive messages (consent for "
                         "updates). Record their consent first, or contact them another way."),
                       code="no-consent")
    if sess.scalar(sa.select(SmsOptOut.phone).where(
            crypto.lookup(SmsOptOut.phone_index, p.phone)).limit(1)) is not None:
        raise Conflict(_("This number has asked to stop receiving texts (STOP). They must send "
                         "START before they can be texted again."), code="opted-out")


def reply(sess: Session, actor: User, inbound_id: int, text: str) -> dict[str, Any]:
    """Answer a participant's text with an SMS through the outbox (in their language's frame,
    with the centre's name), and mark their text handled."""
    m, p = participant_text(sess, actor, inbound_id, "messages:reply")
    _refuse_reply(p, sess)
    rows = build_rows(recipient_for(sess, p), REPLY_TEMPLATE, {"text": text}, channels=("sms",))
    write_rows(sess, rows)
    out = sess.scalars(sa.select(OutboxMessage).where(OutboxMessage.participant_id == p.id,
                                                      OutboxMessage.template == REPLY_TEMPLATE)
                       .order_by(OutboxMessage.id.desc()).limit(1)).one()
    _handled(m, actor)
    audit.record(sess, "messaging:inbound:reply", actor_id=actor.id, object_type="inbound",
                 object_id=m.id, office_id=p.office_id, participant_id=p.id, outbox_id=out.id)
    return {"id": out.id, "channel": out.channel, "language": out.language, "status": out.status,
            "segments": out.segments, "inbound_id": m.id}


# --- triage ---------------------------------------------------------------------------------------

def _triage_filter() -> sa.ColumnElement[bool]:
    return sa.and_(_T.c.participant_id.is_(None), _T.c.needs_attention.is_(True),
                   _T.c.keyword.is_(None))


def triage(sess: Session, actor: User, *, limit: int = TRIAGE_LIMIT) -> dict[str, Any]:
    """Texts from unknown numbers waiting for someone, oldest first; senders masked. Audited."""
    require(actor, "messages:triage")
    rows = list(sess.scalars(sa.select(InboundMessage).where(_triage_filter())
                             .order_by(InboundMessage.received_at, InboundMessage.id).limit(limit)))
    total = sess.scalar(sa.select(sa.func.count()).select_from(_T).where(_triage_filter())) or 0
    audit.record(sess, "messaging:triage:read", actor_id=actor.id, object_type="inbound",
                 shown=len(rows))
    return {"items": [{"id": m.id, "sender": masked(m.sender), "body": m.body,
                       "received_at": m.received_at} for m in rows], "total": total}


def _triage_text(sess: Session, actor: User, inbound_id: int) -> InboundMessage:
    require(actor, "messages:triage")
    m = sess.scalar(sa.select(InboundMessage).where(InboundMessage.id == inbound_id,
                                                    _triage_filter()))
    if m is None:
        raise NotFound(_("No such message awaiting triage."))
    return m


def _target(sess: Session, actor: User, data: dict[str, Any]) -> Participant:
    """The participant named by id or reference, in the actor's scope (a field error if not)."""
    pid = data.get("participant_id")
    field = "participant_id"
    if pid is None and data.get("reference"):
        field = "reference"
        pid = sess.scalar(sa.select(Participant.id).where(
            Participant.reference == data["reference"].strip().upper()))
    if pid is None:
        raise InvalidInput(errors=[{"field": field, "code": "not-found",
                                    "message": _("No participant with this reference.")}])
    try:
        return load_participant(sess, actor, pid, "messages:reply")
    except NotFound:
        raise InvalidInput(errors=[{"field": field, "code": "not-found",
                                    "message": _("No participant with this reference.")}],
                           ) from None


def attach(sess: Session, actor: User, inbound_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Link a text from an unknown number to a participant: it appears on their timeline as a
    received message that needs attention."""
    m = _triage_text(sess, actor, inbound_id)
    p = _target(sess, actor, data)
    m.participant_id = p.id
    sess.flush()
    timeline.record(sess, p, MessageKind.MESSAGE_RECEIVED, actor_id=actor.id, at=m.received_at,
                    inbound_id=m.id, needs_attention=True, attached=True)
    audit.record(sess, "messaging:inbound:attach", actor_id=actor.id, object_type="inbound",
                 object_id=m.id, office_id=p.office_id, participant_id=p.id)
    return {**_dict(m), "reference": p.reference}


def dismiss(sess: Session, actor: User, inbound_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Set a text from an unknown number aside (spam, wrong number), with the reason."""
    m = _triage_text(sess, actor, inbound_id)
    _handled(m, actor)
    m.dismissed_reason = data["reason"]
    audit.record(sess, "messaging:inbound:dismiss", actor_id=actor.id, object_type="inbound",
                 object_id=m.id, reason=data["reason"])
    return {**_dict(m), "dismissed_reason": m.dismissed_reason}
