"""Taxonomy search: ISCO-08 groups and ESCO occupations, by code and by label."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("taxonomy", __name__, url_prefix="/taxonomy",
                description="ISCO-08 groups and ESCO occupations, searched by code and by label.")
