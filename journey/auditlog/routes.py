"""The audit trail, queryable by supervisors and admins; its chain, verified by admins."""

from __future__ import annotations

from journey.auditlog import services
from journey.auditlog.schemas import AuditPageSchema, AuditQuerySchema, ChainReportSchema
from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db

blp = Blueprint("audit", __name__, url_prefix="/audit-events",
                description="The append-only audit trail.")
chain_blp = Blueprint("audit_chain", __name__, url_prefix="/audit",
                      description="The audit trail's hash chain.")


@blp.get("/", permission="audit:read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """Audit events, newest first; supervisors see their own office's."""
    sess = db.session
    return services.search_events(sess, current_user(sess), args)


@chain_blp.post("/verify", permission="audit:verify")
@chain_blp.response(200, ChainReportSchema)
def verify_chain():
    """Walk the whole hash chain: intact, or the id of the first broken link and why."""
    sess = db.session
    return services.verify_chain(sess, current_user(sess), db.engine)
