"""My work: no tables of its own; it reads participants, continuum and messaging."""

from journey.core.domains import Domain, NavLink
from journey.core.i18n import _l
from journey.core.policy import STAFF
from journey.workbench.pages import bp as pages_bp
from journey.workbench.routes import blp

DOMAIN = Domain(
    name="workbench",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp,),
    permissions={"workbench:read": STAFF},
    nav_links=(NavLink("workbench_pages.my_work", _l("My work"), "workbench:read", 5),),
)
