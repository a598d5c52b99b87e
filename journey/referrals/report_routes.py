"""Closed-loop figures API (owner: helper "figures")."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("referral_reports", __name__, url_prefix="",
                description="Closed-loop referral figures.")
