"""Reacting to the journey: a skill form opens when a participant reaches return."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from journey.continuum.models import EventKind
from journey.participants.models import Participant
from journey.skillcards import services


def on_entry(sess: Session, p: Participant, event: dict[str, Any]) -> None:
    """Open the cycle's skill form when the participant enters return or reintegration."""
    if event["kind"] != EventKind.STAGE_ENTERED.value:
        return
    if event["data"].get("to_stage") not in services.RETURN_STAGES:
        return
    # Once per cycle: a form already opened (by hand, or at return before reintegration) stays.
    services.ensure_form(sess, p, event.get("actor_id"))
