"""The audit log's read API (the table and record() live in journey.core.audit)."""

from journey.auditlog.routes import blp
from journey.core.domains import Domain
from journey.core.policy import Role

DOMAIN = Domain(
    name="auditlog",
    api_blueprints=(blp,),
    permissions={"audit:read": frozenset({Role.ADMIN, Role.SUPERVISOR})},
)
