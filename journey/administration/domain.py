"""Administration: the pages that manage offices, employers, service providers and programmes.

A domain of its own, not part of journey.organisations or journey.programmes: the pages import
journey.web, which imports the participants domain, which imports those two; pages there would
close an import cycle.
"""

from journey.administration.calendar_pages import bp as calendar_pages_bp
from journey.administration.organisation_pages import bp as organisation_pages_bp
from journey.administration.programme_pages import bp as programme_pages_bp
from journey.core.domains import Domain, NavLink
from journey.core.i18n import _l

DOMAIN = Domain(
    name="administration",
    nav_links=(NavLink("organisation_pages.admin_index", _l("Administration"), "offices:manage",
                       95),),
    page_blueprints=(organisation_pages_bp, programme_pages_bp, calendar_pages_bp),
)
