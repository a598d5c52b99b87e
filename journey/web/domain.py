"""Staff pages: login, the caseload and each participant's record."""

from journey.core.domains import Domain, NavLink
from journey.core.i18n import _l
from journey.web.participant_pages import bp as participant_bp
from journey.web.routes import bp

DOMAIN = Domain(name="web", page_blueprints=(bp, participant_bp),
                nav_links=(NavLink("participant_pages.participants", _l("Participants"),
                                   "participants:read", 10),))
