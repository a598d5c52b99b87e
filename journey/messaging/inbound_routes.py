"""Texts people send us: a participant's replies, answering them, and the triage of texts from
unknown numbers."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.messaging import inbound
from journey.messaging.inbound_schemas import (
    AttachedSchema,
    AttachSchema,
    DismissedSchema,
    DismissSchema,
    InboundSchema,
    ReplySchema,
    ReplySentSchema,
    TriageSchema,
)

blp = Blueprint("inbound", __name__, url_prefix="",
                description="Texts from participants and from unknown numbers.")


@blp.get("/participants/<id:participant_id>/inbound", permission="messages:read")
@blp.response(200, InboundSchema(many=True))
def participant_inbound(participant_id: int):
    """Every text the participant sent, newest first, in full (the read is audited)."""
    return inbound.participant_inbound(db.session, current_user(), participant_id)


@blp.post("/inbound/<id:inbound_id>/handled", permission="messages:reply")
@blp.response(200, InboundSchema)
def mark_handled(inbound_id: int):
    """Mark a participant's text as dealt with: it no longer needs attention."""
    return inbound.mark_handled(db.session, current_user(), inbound_id)


@blp.post("/inbound/<id:inbound_id>/reply", permission="messages:reply")
@blp.arguments(ReplySchema)
@blp.response(201, ReplySentSchema)
@blp.alt_response(409, description="Not sent: the person has no phone (code no-phone), has not "
                  "consented to updates (no-consent) or sent STOP (opted-out).")
def reply(data, inbound_id: int):
    """Answer a participant's text by SMS (queued in the outbox; the text is marked handled)."""
    return inbound.reply(db.session, current_user(), inbound_id, data["text"])


@blp.get("/inbound/triage", permission="messages:triage")
@blp.response(200, TriageSchema)
def triage():
    """Texts from unknown numbers awaiting triage (senders masked). Any staff member may triage:
    these texts have no office."""
    return inbound.triage(db.session, current_user())


@blp.post("/inbound/<id:inbound_id>/attach", permission="messages:triage")
@blp.arguments(AttachSchema)
@blp.response(200, AttachedSchema)
def attach(data, inbound_id: int):
    """Attach a text from an unknown number to a participant in your scope (by id or
    reference; another office's is a 422 on the field): it goes on their timeline."""
    return inbound.attach(db.session, current_user(), inbound_id, data)


@blp.post("/inbound/<id:inbound_id>/dismiss", permission="messages:triage")
@blp.arguments(DismissSchema)
@blp.response(200, DismissedSchema)
def dismiss(data, inbound_id: int):
    """Set a text from an unknown number aside (spam, wrong number, other)."""
    return inbound.dismiss(db.session, current_user(), inbound_id, data)
