"""Passport endpoints, nested under a participant: entries, verification, history, share links."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("passports", __name__, url_prefix="/participants",
                description="Skills passports: entries, their verification and history, sharing.")
