"""The service directory's pages (owner: helper "directory")."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("directory_pages", __name__)
