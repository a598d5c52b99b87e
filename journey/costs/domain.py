"""Costs of a journey and who paid them (Employer Pays)."""

from journey.core.domains import Category, Domain, NavLink, PersonalData
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.costs.models import Cost
from journey.costs.routes import blp, summary_blp

DOMAIN = Domain(
    name="costs",
    api_blueprints=(blp, summary_blp),
    models=(Cost,),
    permissions={"costs:read": STAFF, "costs:record": STAFF, "costs:refund": STAFF,
                 # Employers read their own summary (journey.costs.summary).
                 "costs:summary": STAFF | frozenset({Role.EMPLOYER})},
    # The Employer Pays summary page (journey.continuum_pages.employer_pays).
    nav_links=(NavLink("employer_pays_pages.summary", _l("Employer Pays"), "costs:read", 45),),
    personal_data=(PersonalData("costs", (Category.CASE,), ("participant_id",),
                                erase_columns=("note", "evidence", "refund_note")),),
)
