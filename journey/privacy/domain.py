"""The data subject's rights: export, erasure, retention and the register of processing."""

from journey.core.domains import Domain
from journey.core.policy import Role

SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})

DOMAIN = Domain(
    name="privacy",
    permissions={
        # The export holds the audit trail and sensitive fields, which caseworkers cannot read.
        "privacy:export": SUPERVISORS,
        "privacy:register": SUPERVISORS,
    },
)
