"""Staff pages for referrals (owner: helper "staff")."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("referral_pages", __name__)
