"""The service directory API (owner: helper "directory")."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("directory", __name__, url_prefix="",
                description="The service directory (Open Referral HSDS): services, locations.")
