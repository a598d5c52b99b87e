"""The employer's own pages: vacancies, candidates, onboarding, placements, Employer Pays."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("employer_portal", __name__)
