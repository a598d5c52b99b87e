"""Consent endpoints, nested under a participant."""

from __future__ import annotations

from journey.consent import services
from journey.consent.models import Purpose
from journey.consent.schemas import (
    ConsentCreateSchema,
    ConsentRecordSchema,
    ConsentStateSchema,
    ConsentWithdrawSchema,
)
from journey.core.api import Blueprint
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.participants.routing import participant_context

blp = Blueprint("consent", __name__, url_prefix="/participants",
                description="Consent per purpose, with its full history.")


@blp.get("/<id:participant_id>/consents", permission="consent:read")
@blp.response(200, ConsentStateSchema)
def list_consents(participant_id: int):
    """Standing consent per purpose and the full history."""
    sess, user, p = participant_context(participant_id, "consent:read")
    return services.read_consents(sess, user, p)


@blp.post("/<id:participant_id>/consents", permission="consent:record")
@blp.arguments(ConsentCreateSchema)
@blp.response(201, ConsentRecordSchema)
def grant_consent(data, participant_id: int):
    """Record consent for one purpose, and how it was given."""
    sess, user, p = participant_context(participant_id, "consent:record")
    return services.grant(sess, user, p, **data)


@blp.post("/<id:participant_id>/consents/<purpose>/withdraw", permission="consent:record")
@blp.arguments(ConsentWithdrawSchema)
@blp.response(200, ConsentRecordSchema)
def withdraw_consent(data, participant_id: int, purpose: str):
    """Withdraw consent for one purpose; the history keeps the grant and the withdrawal."""
    if purpose not in {p.value for p in Purpose}:
        raise NotFound(_("No such consent purpose."))
    sess, user, p = participant_context(participant_id, "consent:record")
    return services.withdraw(sess, user, p, purpose=purpose, **data)
