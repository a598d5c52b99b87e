"""Staff pages: vacancies, presenting candidates, the selection."""

from __future__ import annotations

from journey.web.pagekit import html_blueprint

bp = html_blueprint("vacancy_pages", __name__)
