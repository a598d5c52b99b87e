"""Staff pages of placements and onboarding, and the signed confirmation link (no login)."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("placement_pages", __name__)
