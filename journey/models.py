"""Every table of the application, collected from the domains' declarations (journey/domains.py).

Importing this module registers every model on the metadata; Alembic's env.py does, so
autogenerate and `journey db check` see every table a listed domain declares.
"""

from journey.core.domains import load
from journey.domains import DOMAINS

MODELS: tuple[type, ...] = tuple(model for domain in load(DOMAINS) for model in domain.models)

__all__ = ["MODELS"]
