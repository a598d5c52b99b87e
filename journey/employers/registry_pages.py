"""Staff pages: employers, their people and commitments, and the recruiters registry."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("employer_registry_pages", __name__)
