"""The register of processing, generated from the domains' personal-data declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def retention_days(config: Mapping[str, Any], category: str) -> int | None:
    """Days a category is kept after the case closes (``JOURNEY_RETENTION_<CATEGORY>_DAYS``),
    or None when the settings name no retention for it."""
    return config.get(f"RETENTION_{str(category).upper()}_DAYS")
