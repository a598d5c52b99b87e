"""The audit trail's schemas: one event, the query, one page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.audit import AuditEvent
from journey.core.schemas import AwareDateTime, Id, PageArgsSchema, columns, page_schema


class AuditEventSchema(ma.Schema):
    class Meta:
        include = columns(AuditEvent, "id occurred_at actor_id action object_type object_id"
                                      " office_id request_id details")


class AuditQuerySchema(PageArgsSchema):
    SORTABLE = ("id", "occurred_at")
    DEFAULT_SORT = "-id"

    action = ma.fields.String(validate=validate.Length(max=80),
                              metadata={"description": "Exact tag, or a prefix ending in ':'."})
    actor_id = Id()
    object_type = ma.fields.String(validate=validate.Length(max=40))
    object_id = Id()
    request_id = ma.fields.String(validate=validate.Length(max=64))
    since = AwareDateTime()
    until = AwareDateTime()


AuditPageSchema = page_schema(AuditEventSchema, "AuditEventPage")
