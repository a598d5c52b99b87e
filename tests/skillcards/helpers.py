"""Building blocks for skill form and card tests (and for the authorisation matrix's World).

Plain functions, so that other test modules can import them: a returnee placed in a stage,
passport entries, ISCO groups, and a form or card of theirs made through the real services.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.versions import Precondition
from journey.participants.models import Participant
from journey.passports.models import PassportEntry, Verification
from journey.skillcards import services
from journey.skillcards.models import SkillCard, SkillForm
from journey.taxonomy.models import IscoGroup


def ensure_isco(sess: Session, code: str, label: str | None = None) -> IscoGroup:
    """The ISCO-08 group and every group above it (inserted when missing)."""
    for level in range(1, len(code) + 1):
        part = code[:level]
        if sess.get(IscoGroup, part) is None:
            text = label if part == code and label else f"ISCO group {part}"
            sess.add(IscoGroup(code=part, level=level, label=text, label_key=text.lower(),
                               parent_code=part[:-1] or None))
    sess.flush()
    return sess.get(IscoGroup, code)


def entry(sess: Session, participant: Participant, kind: str, title: str, *,
          verification: str = Verification.SELF_DECLARED.value, verified_by: int | None = None,
          **kw) -> PassportEntry:
    """A current passport entry, written straight to the table (the passports API is not ours)."""
    now = kw.pop("at", None) or utcnow()
    e = PassportEntry(participant_id=participant.id, kind=kind, title=title,
                      verification=verification, verified_by=verified_by,
                      verified_at=None if verification == Verification.SELF_DECLARED.value else now,
                      created_at=now, updated_at=now, **kw)
    sess.add(e)
    sess.flush()
    return e


def place(sess: Session, participant: Participant, stage: Stage, **values) -> Participant:
    """Test set-up only: put the participant in a stage without a transition (no events)."""
    sess.execute(sa.update(Participant).where(Participant.id == participant.id).values(
        stage=stage.value, previous_stage=Stage.STAY.value, **values))
    sess.refresh(participant)
    return participant


def form_for(app, sess: Session, actor: User, participant: Participant,
             stage: Stage = Stage.RETURN) -> SkillForm:
    """An open skill form of a returnee (placed in `stage` first when not returning)."""
    if participant.stage not in services.RETURN_STAGES:
        place(sess, participant, stage, arrival_date=date(2024, 1, 10))
    with app.test_request_context():
        form, _created = services.ensure_form(sess, participant, actor.id)
    return form


def card_for(app, sess: Session, actor: User, participant: Participant) -> SkillCard:
    """A skill card issued by completing the returnee's form as `actor`."""
    form = form_for(app, sess, actor, participant)
    with app.test_request_context():
        return services.complete_form(sess, actor, participant, form,
                                      expected=Precondition(body=form.version))
