"""The referrals API (owner: helper "api")."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("referrals", __name__, url_prefix="",
                description="Referrals of participants to partner services, and their outcome.")
