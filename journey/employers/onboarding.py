"""Onboarding steps: the list each programme's placements open, and opening them.

A programme may set its own ordered list (Programme.onboarding_steps); otherwise DEFAULT_STEPS.
Confirming, contesting and the signed links live in journey.employers.steps.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from journey.core.db import utcnow
from journey.core.i18n import _l
from journey.employers.models import OnboardingStep, Placement
from journey.programmes.models import Programme

STEP_TITLES = {
    "contract_signed": _l("Employment contract signed"),
    "arrival_met": _l("Met on arrival"),
    "accommodation_ready": _l("Accommodation ready"),
    "workplace_induction": _l("Workplace induction, with health and safety"),
    "first_wage_paid": _l("First wage paid in full"),
    "social_security_registered": _l("Registered for social security"),
    "health_insurance": _l("Health insurance in place"),
    "bank_account_opened": _l("Bank account opened"),
    "language_course_started": _l("Language course started"),
}
# What the participant is asked when a step is confirmed ("Did this happen?"): the steps whose
# confirmation they can contest by SMS (all of them; the wording of the notice names the step).
DEFAULT_STEPS = ("contract_signed", "arrival_met", "accommodation_ready", "workplace_induction",
                 "first_wage_paid", "social_security_registered")
# Days after the contract start by which a step is due (None: no date).
DUE_AFTER_START = {"contract_signed": -14, "arrival_met": 0, "accommodation_ready": 0,
                   "workplace_induction": 7, "first_wage_paid": 35,
                   "social_security_registered": 30, "health_insurance": 14,
                   "bank_account_opened": 30, "language_course_started": 60}


def steps_for(programme: Programme | None) -> tuple[str, ...]:
    chosen = programme.onboarding_steps if programme is not None else None
    return tuple(k for k in (chosen or DEFAULT_STEPS) if k in STEP_TITLES)


def open_steps(sess: Session, placement: Placement, programme: Programme | None,
               start: date | None) -> list[OnboardingStep]:
    """Open the programme's onboarding steps for a new placement, each due from the start."""
    now = utcnow()
    rows = []
    for position, key in enumerate(steps_for(programme)):
        offset = DUE_AFTER_START.get(key)
        due = start + timedelta(days=offset) if start is not None and offset is not None else None
        rows.append(OnboardingStep(placement_id=placement.id, key=key, position=position,
                                   due_on=due, updated_at=now))
    sess.add_all(rows)
    sess.flush()
    return rows
