"""The register page. It sits above participants, consent and continuum (as
journey.continuum.intake does) and imports journey.web, which none of those may."""

from journey.core.domains import Domain
from journey.registration.pages import bp

DOMAIN = Domain(name="registration", page_blueprints=(bp,))
