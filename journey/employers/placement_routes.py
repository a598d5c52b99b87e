"""Placements, the onboarding steps employers confirm, and retention."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("placements", __name__, url_prefix="", description="Placements, the onboarding steps employers confirm, and retention.")
