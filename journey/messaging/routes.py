"""Messages: a participant's history, delivery rates, and campaigns (preview, then send)."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.messaging import delivery, services
from journey.messaging.schemas import (
    CampaignSchema,
    MessageSchema,
    PreviewSchema,
    ReconcileReportSchema,
    ReconcileSchema,
    StatsSchema,
)

blp = Blueprint("messages", __name__, url_prefix="", description="SMS and email to participants.")


@blp.post("/campaigns/preview", permission="campaigns:send")
@blp.arguments(CampaignSchema)
@blp.response(200, PreviewSchema)
def preview_campaign(data):
    """Who would receive it, by language; segments; estimated cost; who is skipped and why."""
    return services.preview_campaign(db.session, current_user(), data)


@blp.post("/campaigns", permission="campaigns:send")
@blp.arguments(CampaignSchema)
@blp.response(201, PreviewSchema)
def send_campaign(data):
    """Queue the message for everyone the preview counted (the workers send it)."""
    return services.send_campaign(db.session, current_user(), data)


@blp.get("/participants/<id:participant_id>/messages", permission="messages:read")
@blp.response(200, MessageSchema(many=True))
def participant_messages(participant_id: int):
    """Every message to the participant, newest first, with its delivery status."""
    return services.participant_messages(db.session, current_user(), participant_id)


@blp.get("/messages/stats", permission="messages:read")
@blp.response(200, StatsSchema(many=True))
def message_stats():
    """Delivery rates by channel and language (your office's participants)."""
    return services.message_stats(db.session, current_user())


@blp.post("/messages/reconcile", permission="messages:reconcile")
@blp.arguments(ReconcileSchema)
@blp.response(200, ReconcileReportSchema)
def reconcile_messages(data):
    """Ask the SMS provider about messages whose outcome is unknown (your office's participants)
    and settle them: sent, queued again, not sent, or ambiguous (for a person)."""
    return delivery.reconcile(db.session, current_user(), ids=data.get("ids"))
