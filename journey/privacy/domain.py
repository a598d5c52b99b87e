"""The data subject's rights: export, erasure, retention and the register of processing."""

from journey.core.domains import Domain
from journey.core.policy import Role
from journey.privacy.cli import privacy_group
from journey.privacy.pages import bp as pages_bp
from journey.privacy.routes import blp

SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})

DOMAIN = Domain(
    name="privacy",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp,),
    commands=(privacy_group,),
    permissions={
        # The export holds the audit trail and sensitive fields, which caseworkers cannot read.
        "privacy:export": SUPERVISORS,
        "privacy:register": SUPERVISORS,
    },
)
