"""The audit log's read API, its page, `journey audit verify` and the sealer job (the tables and
record() live in journey.core.audit)."""

from journey.auditlog import sealer
from journey.auditlog.cli import audit_group
from journey.auditlog.pages import bp as pages_bp
from journey.auditlog.routes import blp, chain_blp
from journey.core.audit import AuditSeal
from journey.core.domains import Domain, Job, NavLink
from journey.core.i18n import _l
from journey.core.policy import Role

DOMAIN = Domain(
    name="auditlog",
    nav_links=(NavLink("audit_pages.audit_list", _l("Audit trail"), "audit:read", 90),),
    api_blueprints=(blp, chain_blp),
    page_blueprints=(pages_bp,),
    models=(AuditSeal,),
    commands=(audit_group,),
    permissions={"audit:read": frozenset({Role.ADMIN, Role.SUPERVISOR}),
                 "audit:verify": frozenset({Role.ADMIN})},
    jobs=(Job("audit_seal", sealer.seal_job, sealer.SECONDS),),
)
