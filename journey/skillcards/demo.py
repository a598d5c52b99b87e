"""Demo data: one returnee's skill card, issued through the same services a caseworker uses."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core.auth import User
from journey.core.versions import Precondition
from journey.participants.models import Participant
from journey.skillcards import services
from journey.skillcards.models import FormStatus, SkillCard


def load_demo_skill_card(sess: Session, actor: User, participant: Participant) -> SkillCard | None:
    """Open (or reuse) the participant's skill form and complete it as the caseworker.

    Idempotent: a form already completed gives back its card. None when the participant is not
    preparing to return or back home.
    """
    if participant.stage not in services.RETURN_STAGES:
        return None
    form, _created = services.ensure_form(sess, participant, actor.id)
    if form.status == FormStatus.COMPLETED.value:
        return sess.scalar(select(SkillCard).where(SkillCard.form_id == form.id))
    return services.complete_form(sess, actor, participant, form, expected=Precondition(body=form.version))
