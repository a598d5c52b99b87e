"""The audit trail's schemas: one event, the query, one page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.audit import AuditEvent
from journey.core.i18n import _l
from journey.core.schemas import AwareDateTime, Id, PageArgsSchema, columns, page_schema


class AuditEventSchema(ma.Schema):
    class Meta:
        include = columns(AuditEvent, "id occurred_at actor_id action object_type object_id"
                                      " office_id request_id details")

    # The event's link in the chain (journey.core.audit.AuditSeal): null until it is sealed,
    # a few seconds after its commit.
    seq = ma.fields.Integer(allow_none=True, metadata={"description": "Position in the chain."})
    prev_hash = ma.fields.String(allow_none=True)
    hash = ma.fields.String(allow_none=True)


class AuditQuerySchema(PageArgsSchema):
    SORTABLE = ("id", "occurred_at")
    DEFAULT_SORT = "-id"

    action = ma.fields.String(validate=validate.Length(max=80),
                              metadata={"description": "Exact tag, or a prefix ending in ':'."})
    actor_id = Id()
    object_type = ma.fields.String(validate=validate.Length(max=40))
    object_id = Id()
    request_id = ma.fields.String(validate=validate.Length(max=64))
    actor = ma.fields.String(validate=validate.Length(max=80),
                             metadata={"description": "The actor's username."})
    participant = ma.fields.String(
        validate=validate.Length(max=16),
        metadata={"description": "A participant's reference: events about them (their record, "
                                 "or naming them in their details)."})
    since = AwareDateTime()
    until = AwareDateTime()
    date_from = ma.fields.Date(metadata={"description": "From this day (UTC), inclusive."})
    date_to = ma.fields.Date(metadata={"description": "To this day (UTC), inclusive."})

    @ma.validates_schema
    def _dates_in_order(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ma.ValidationError({"date_to": [_l("Must not be before the first day.")]})


AuditPageSchema = page_schema(AuditEventSchema, "AuditEventPage")


class ChainReportSchema(ma.Schema):
    intact = ma.fields.Boolean(required=True)
    checked = ma.fields.Integer(required=True, metadata={"description": "Events found intact."})
    broken_at = ma.fields.Integer(allow_none=True,
                                  metadata={"description": "Id of the first broken event."})
    reason = ma.fields.String(allow_none=True, validate=validate.OneOf(
        ["content-changed", "link-broken", "missing-event", "unsealed"]))
    head_seq = ma.fields.Integer(metadata={"description": "Position of the last intact event."})
    head_hash = ma.fields.String(metadata={"description": "Hash of the last intact event."})
    unsealed = ma.fields.Integer(metadata={
        "description": "Events still without a seal longer than the grace period after they "
                       "were recorded (reason 'unsealed' when the chain is otherwise intact)."})
