"""The partner's own pages (owner: helper "partner")."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("partner_portal", __name__)
