"""Programmes: Skills Mobility Partnerships, their employers and checklists."""

from journey.core.domains import Domain
from journey.core.policy import Role
from journey.programmes.models import Programme, ProgrammeEmployer
from journey.programmes.routes import blp

DOMAIN = Domain(
    name="programmes",
    api_blueprints=(blp,),
    models=(Programme, ProgrammeEmployer),
    permissions={
        "programmes:read": frozenset(Role),
        "programmes:manage": frozenset({Role.ADMIN}),
    },
)
