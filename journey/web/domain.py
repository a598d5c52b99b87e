"""Staff pages: login, the caseload and each participant's record."""

from journey.core.domains import Domain
from journey.web.routes import bp

DOMAIN = Domain(name="web", page_blueprints=(bp,))
