"""The audit trail, queryable by supervisors and admins."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlmodel import select

from journey.core.api import Blueprint
from journey.core.audit import AuditEvent
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.pagination import paginate
from journey.core.policy import office_scope
from journey.core.schemas import AwareDateTime, Id, PageArgsSchema, columns, page_schema

blp = Blueprint("audit", __name__, url_prefix="/audit-events",
                description="The append-only audit trail.")


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
_COLUMNS = {"id": AuditEvent.id, "occurred_at": AuditEvent.occurred_at}


@blp.get("/", permission="audit:read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """Audit events, newest first; supervisors see their own office's."""
    sess = db.session
    user = current_user(sess)
    stmt = select(AuditEvent)
    scope = office_scope(user)
    if scope is not None:
        stmt = stmt.where(AuditEvent.office_id == scope)
    action = args.get("action")
    if action:
        if action.endswith(":"):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    for field in ("actor_id", "object_type", "object_id", "request_id"):
        if args.get(field) is not None:
            stmt = stmt.where(getattr(AuditEvent, field) == args[field])
    if args.get("since"):
        stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(AuditEvent.occurred_at < args["until"])
    return paginate(sess, stmt, columns=_COLUMNS, id_column=AuditEvent.id, sort=args["sort"],
                    page=args["page"], per_page=args["per_page"])
