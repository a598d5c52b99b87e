"""Costs of a journey and who paid them (Employer Pays)."""

from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF
from journey.costs.models import Cost
from journey.costs.routes import blp

DOMAIN = Domain(
    name="costs",
    api_blueprints=(blp,),
    models=(Cost,),
    permissions={"costs:read": STAFF, "costs:record": STAFF},
    personal_data=(PersonalData("costs", (Category.CASE,), ("participant_id",),
                                erase_columns=("note",)),),
)
