"""Credential endpoints: issue, list, revoke, and the public verification API."""

from __future__ import annotations

from journey.core.api import Blueprint

blp = Blueprint("credentials", __name__, url_prefix="",
                description="Open Badges 3.0 credentials: issue, verify, revoke.")
