"""ISCO-08 groups and ESCO occupations: reference data, no personal data."""

from journey.core.domains import Domain
from journey.core.policy import Role
from journey.taxonomy.cli import taxonomy_group
from journey.taxonomy.models import EscoOccupation, IscoGroup
from journey.taxonomy.routes import blp

DOMAIN = Domain(
    name="taxonomy",
    api_blueprints=(blp,),
    models=(IscoGroup, EscoOccupation),
    commands=(taxonomy_group,),
    # Occupation codes are reference data: everyone signed in may search them.
    permissions={"taxonomy:read": frozenset(Role)},
)
