"""Vacancies and the candidates presented to them; the employer selects."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("vacancies", __name__, url_prefix="", description="Vacancies and the candidates presented to them; the employer selects.")
