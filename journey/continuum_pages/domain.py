"""The continuum's and the costs' staff pages (see the package docstring for why apart)."""

from journey.continuum_pages import bulk, costs, employer_pays, journey, permits
from journey.core.domains import Domain, NavLink
from journey.core.i18n import _l

DOMAIN = Domain(
    name="continuum_pages",
    page_blueprints=(journey.bp, permits.bp, costs.bp, bulk.bp, employer_pays.bp),
    record_sections=(journey.journey_section, permits.permits_section, costs.costs_section),
    nav_links=(NavLink("bulk_pages.bulk_move_form", _l("Bulk moves"), "continuum:override", 50),),
)
