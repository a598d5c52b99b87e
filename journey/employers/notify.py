"""Messages of onboarding, through the outbox, each in its reader's language:

* to the participant, when the employer confirms a step: what the employer says, and how to
  contest it (reply CONTEST by SMS; by email, contact the centre);
* to an employer contact without an account: the signed link confirming one step (email only);
* to an employer's contact people and users: retention checks that are due (email only).

A participant is reached as every message reaches them (consent and opt-outs apply at dispatch);
employer contacts and users, who are no participants, at their email address only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core.i18n import _l
from journey.employers.models import EmployerContact, OnboardingLink, OnboardingStep, Placement
from journey.employers.onboarding import STEP_TITLES
from journey.messaging.bridge import recipient_for
from journey.organisations.models import Office
from journey.participants.models import Participant
from notifications.hooks import Recipient
from notifications.outbox import enqueue
from notifications.templates import DATE, TEXT, URL, Template

STEP_CONFIRMED = "onboarding_step_confirmed"
LINK = "employer_onboarding_link"
RETENTION_DUE = "employer_retention_due"

# step: the step's title (STEP_TITLES), in the participant's language. The word to reply with
# must be one of journey.employers.sms.WORDS for the language (CONTESTAR in Portuguese ...).
STEP_CONFIRMED_TEMPLATE = Template(
    STEP_CONFIRMED,
    _l("Your employer says: %(step)s. If this is not true, reply CONTEST and tell us what "
       "happened."),
    _l("Your employer confirmed a step of your start"), {"step": TEXT},
    email=_l("%(name)s, your employer says: %(step)s. If this is not true, tell %(centre)s or "
             "call %(phone)s."))

# worker: the worker's first name only; date: the last day the link works.
LINK_TEMPLATE = Template(
    LINK,
    _l("%(centre)s: please confirm for %(worker)s: %(step)s. Link (once, until %(date)s): "
       "%(url)s"),
    _l("Please confirm an onboarding step"),
    {"step": TEXT, "worker": TEXT, "date": DATE, "url": URL},
    email=_l("Hello %(name)s, %(centre)s asks you to confirm that this step is done for "
             "%(worker)s: %(step)s. Open this link to confirm it; it works once, until "
             "%(date)s: %(url)s. If it is not done yet, do not confirm it. Questions: "
             "%(phone)s."))

# months: 3, 6 or 12; worker: first name; url: the placement's page.
RETENTION_TEMPLATE = Template(
    RETENTION_DUE,
    _l("%(centre)s: is %(worker)s still working with you after %(months)s months? Tell us: "
       "%(url)s"),
    _l("Is the worker still with you?"), {"worker": TEXT, "months": TEXT, "url": URL},
    email=_l("Hello %(name)s, %(worker)s arrived %(months)s months ago. Please record whether "
             "they still work with you: %(url)s. Questions: %(phone)s."))

TEMPLATES = (STEP_CONFIRMED_TEMPLATE, LINK_TEMPLATE, RETENTION_TEMPLATE)


def centre_name(sess: Session, participant_id: int | None) -> str:
    office_id = sess.scalar(sa.select(Participant.office_id)
                            .where(Participant.id == participant_id)) if participant_id else None
    name = sess.scalar(sa.select(Office.name).where(Office.id == office_id)) if office_id else None
    return name or current_app.config["CENTRE_NAME"]


def staff_recipient(email: str, name: str, language: str | None, centre: str) -> Recipient:
    """An employer's contact or user, reached by email in their language."""
    return Recipient(participant_id=None, phone=None, email=email, language=language or "en",
                     fallback_language=None, timezone="UTC", channels=("email",),
                     params={"name": name, "reference": "", "centre": centre,
                             "phone": current_app.config["HELPLINE"]})


def step_confirmed(sess: Session, step: OnboardingStep, placement: Placement) -> int:
    """Tell the participant what their employer confirmed, by SMS (and email if they have
    one), in their language."""
    p = sess.get(Participant, placement.participant_id)
    if p is None:
        return 0
    channels = tuple(c for c, address in (("sms", p.phone), ("email", p.email)) if address)
    if not channels:
        return 0
    return enqueue(sess, recipient_for(sess, p), STEP_CONFIRMED,
                   {"step": STEP_TITLES.get(step.key, step.key)}, channels=channels,
                   dedupe_key=f"onboarding-step-confirmed:{step.id}")


def link_issued(sess: Session, link: OnboardingLink, step: OnboardingStep, placement: Placement,
                contact: EmployerContact, url: str) -> int:
    """Email the signed link to the employer's contact, in the contact's language."""
    worker = sess.scalar(sa.select(Participant.given_name)
                         .where(Participant.id == placement.participant_id)) or ""
    r = staff_recipient(contact.email, contact.name, contact.language,
                        centre_name(sess, placement.participant_id))
    return enqueue(sess, r, LINK, {"step": STEP_TITLES.get(step.key, step.key), "worker": worker,
                                   "date": link.expires_at.date(), "url": url},
                   dedupe_key=f"onboarding-link:{link.id}")


def retention_due(sess: Session, recipient: Recipient, *, worker: str, months: int, url: str,
                  dedupe_key: str) -> int:
    return enqueue(sess, recipient, RETENTION_DUE,
                   {"worker": worker, "months": str(months), "url": url}, dedupe_key=dedupe_key)

