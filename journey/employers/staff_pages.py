"""Staff pages: vacancies, presenting candidates, the selection."""

from __future__ import annotations

from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.domains import Section
from journey.participants.models import Participant
from journey.web.pagekit import html_blueprint

bp = html_blueprint("vacancy_pages", __name__)


def candidacies_section(sess: Session, user: User, p: Participant) -> Section | None:
    return None
