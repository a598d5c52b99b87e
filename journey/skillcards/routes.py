"""Return skill form and skill card endpoints."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("skillcards", __name__, url_prefix="",
                description="SWADES-style return skill forms and the skill cards they issue.")
