"""Erasure and legal holds, nested under a participant."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.api import Blueprint
from journey.core.errors import InvalidInput
from journey.core.i18n import _
from journey.core.schemas import columns
from journey.participants.routing import participant_context
from journey.privacy import erasure, holds

blp = Blueprint("privacy_erasure", __name__, url_prefix="/participants",
                description="Erasure (anonymisation in place) and legal holds.")


class ErasureRequestSchema(ma.Schema):
    reason = ma.fields.String(required=True,
                              validate=validate.OneOf([r.value for r in erasure.ErasureReason]))
    # Typed by the caller, as on the page: erasure cannot be undone.
    confirm_reference = ma.fields.String(required=True, validate=validate.Length(max=16))


class ErasureSchema(ma.Schema):
    participant_id = ma.fields.Integer()
    reference = ma.fields.String()
    reason = ma.fields.String()
    erased_at = ma.fields.AwareDateTime()
    rows = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class LegalHoldCreateSchema(ma.Schema):
    reason = ma.fields.String(required=True,
                              validate=validate.OneOf([r.value for r in holds.HoldReason]))


class LegalHoldSchema(ma.Schema):
    class Meta:
        include = columns(holds.LegalHold, "id reason set_by set_at lifted_by lifted_at")


class LegalHoldStateSchema(ma.Schema):
    standing = ma.fields.Nested(LegalHoldSchema, allow_none=True)
    history = ma.fields.List(ma.fields.Nested(LegalHoldSchema))


def check_confirmation(typed: str, reference: str) -> None:
    """The reference typed to confirm must be the record's (case and spaces forgiven)."""
    if typed.strip().upper() != reference:
        raise InvalidInput(errors=[{"field": "confirm_reference", "code": "mismatch",
                                    "message": _("Type the record's reference exactly.")}])


@blp.post("/<id:participant_id>/privacy/erase", permission="privacy:erase")
@blp.arguments(ErasureRequestSchema)
@blp.response(200, ErasureSchema)
def erase_participant(data, participant_id: int):
    """Anonymise the participant in place; refused (409) while a legal hold or a domain's veto
    stands. Cannot be undone."""
    sess, user, p = participant_context(participant_id, "privacy:erase")
    check_confirmation(data["confirm_reference"], p.reference)
    rows = erasure.erase(sess, p, actor_id=user.id, reason=data["reason"])
    return {"participant_id": p.id, "reference": p.reference, "reason": data["reason"],
            "erased_at": p.erased_at, "rows": rows}


@blp.get("/<id:participant_id>/privacy/legal-hold", permission="privacy:hold")
@blp.response(200, LegalHoldStateSchema)
def read_legal_hold(participant_id: int):
    """The standing legal hold, if any, and every hold set before."""
    sess, _user, p = participant_context(participant_id, "privacy:hold")
    return {"standing": holds.standing(sess, p.id), "history": holds.history(sess, p.id)}


@blp.post("/<id:participant_id>/privacy/legal-hold", permission="privacy:hold")
@blp.arguments(LegalHoldCreateSchema)
@blp.response(201, LegalHoldSchema)
def set_legal_hold(data, participant_id: int):
    """Put the record on legal hold: it cannot be erased until the hold is lifted."""
    sess, user, p = participant_context(participant_id, "privacy:hold")
    return holds.set_hold(sess, user, p, data["reason"])


@blp.post("/<id:participant_id>/privacy/legal-hold/lift", permission="privacy:hold")
@blp.response(200, LegalHoldSchema)
def lift_legal_hold(participant_id: int):
    """Lift the standing legal hold."""
    sess, user, p = participant_context(participant_id, "privacy:hold")
    return holds.lift_hold(sess, user, p)
