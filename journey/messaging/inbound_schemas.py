"""Schemas of texts people send us: replies, answers, triage decisions."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _l
from journey.core.ids import ID_RANGE
from journey.messaging.inbound import DismissReason

REPLY_MAX = 300  # two GSM-7 segments with the centre's name before it


class InboundSchema(ma.Schema):
    id = ma.fields.Integer()
    participant_id = ma.fields.Integer(allow_none=True)
    body = ma.fields.String(metadata={"description": "The text in full (the read is audited)."})
    received_at = ma.fields.DateTime()
    needs_attention = ma.fields.Boolean(metadata={
        "description": "Nobody has answered it or marked it handled yet."})
    keyword = ma.fields.String(allow_none=True, metadata={
        "description": "The keyword the text was read as (STOP, HELP...), or null for a message."})
    handled_at = ma.fields.DateTime(allow_none=True)
    handled_by = ma.fields.Integer(allow_none=True, metadata={"description": "A user id."})


class TriageItemSchema(ma.Schema):
    id = ma.fields.Integer()
    sender = ma.fields.String(metadata={
        "description": "The sender's number masked: only its last three digits."})
    body = ma.fields.String()
    received_at = ma.fields.DateTime()


class TriageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TriageItemSchema), metadata={
        "description": "Texts from unknown numbers awaiting triage, oldest first (at most 200)."})
    total = ma.fields.Integer()


class ReplySchema(ma.Schema):
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=REPLY_MAX),
                            metadata={"description": "Sent as typed, after the centre's name."})

    @ma.pre_load
    def _strip(self, data, **_kwargs):
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            data = {**data, "text": data["text"].strip()}
        return data


class ReplySentSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "The outbox message's id."})
    inbound_id = ma.fields.Integer()
    channel = ma.fields.String()
    language = ma.fields.String(metadata={"description": "The participant's language."})
    status = ma.fields.String()
    segments = ma.fields.Integer(allow_none=True)


class AttachSchema(ma.Schema):
    participant_id = ma.fields.Integer(strict=True, validate=ID_RANGE)
    reference = ma.fields.String(validate=validate.Length(min=1, max=16))

    @ma.validates_schema
    def _one_of(self, data, **_kwargs):
        if data.get("participant_id") is None and not data.get("reference"):
            raise ma.ValidationError(_l("Give the participant's reference."), "reference")


class AttachedSchema(InboundSchema):
    reference = ma.fields.String()


class DismissSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in DismissReason]))


class DismissedSchema(InboundSchema):
    dismissed_reason = ma.fields.String()
