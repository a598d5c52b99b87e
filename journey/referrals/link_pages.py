"""Signed links for partners without an account (owner: helper "partner")."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("referral_link_pages", __name__)
