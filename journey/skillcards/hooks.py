"""Reacting to the journey: a skill form opens when a participant reaches return."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from journey.continuum.models import EventKind
from journey.core.auth import User
from journey.credentials import services as credentials
from journey.credentials.models import Scope
from journey.participants.models import Participant
from journey.skillcards import services
from journey.skillcards.models import SkillCard, SkillForm


def on_entry(sess: Session, p: Participant, event: dict[str, Any]) -> None:
    """Open the cycle's skill form when the participant enters return or reintegration."""
    if event["kind"] != EventKind.STAGE_ENTERED.value:
        return
    if event["data"].get("to_stage") not in services.RETURN_STAGES:
        return
    # Once per cycle: a form already opened (by hand, or at return before reintegration) stays.
    services.ensure_form(sess, p, event.get("actor_id"))


def _issue_credential(sess: Session, actor: User | None, card: SkillCard, form: SkillForm) -> None:
    """Every card also comes as a signed Open Badges credential the returnee can carry."""
    participant = sess.get(Participant, card.participant_id)
    cred = credentials.issue(sess, actor, participant, Scope.SKILL_CARD, skill_card=card)
    card.credential_id = cred.id
    sess.flush()


def init_app(app: Flask) -> None:
    """Register the card's credential (idempotent); on_entry is declared in the domain."""
    if _issue_credential not in services.CARD_ISSUED_HANDLERS:
        services.CARD_ISSUED_HANDLERS.append(_issue_credential)
