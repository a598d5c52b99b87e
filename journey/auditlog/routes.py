"""The audit trail, queryable by supervisors and admins."""

from __future__ import annotations

from journey.auditlog import services
from journey.auditlog.schemas import AuditPageSchema, AuditQuerySchema
from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db

blp = Blueprint("audit", __name__, url_prefix="/audit-events",
                description="The append-only audit trail.")


@blp.get("/", permission="audit:read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """Audit events, newest first; supervisors see their own office's."""
    sess = db.session
    return services.search_events(sess, current_user(sess), args)
