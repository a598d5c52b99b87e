"""Contesting an employer's confirmation by SMS: the CONTEST keyword, in every shipped language.

When an employer confirms an onboarding step the participant is told by SMS ("Your employer
says: First wage paid in full. If this is not true, reply CONTEST and tell us what happened").
"CONTEST I was paid half" contests the most recently confirmed step of the sender's active
placement (within journey.employers.steps.CONTEST_WINDOW_DAYS): a grievance against the employer
opens with their words, and the reply is its receipt with the tracking code, in their language.

A bare CONTEST contests it too: the step says what is disputed, and a worker afraid to write
more must not be turned away. The grievance then says which step, in the participant's language.
Someone with no such step (or an unknown number) is told how to complain instead.

As with COMPLAINT, what they wrote lives only in the encrypted grievance: the stored inbound
message becomes a pointer (``grievance:<id>``).
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.errors import InvalidInput
from journey.core.i18n import _l
from journey.employers import steps
from journey.grievances import notify as grievance_notify
from journey.grievances.models import Channel
from journey.grievances.sms import POINTER
from journey.participants.models import Participant
from notifications.hooks import Recipient, hooks_for
from notifications.models import InboundMessage
from notifications.templates import RECEIVED_REPLY, render_reply

logger = logging.getLogger(__name__)

ACTION = "contest"

# Per language, the words a migrant would type to say "this is not true": the verb (or the
# noun "objection") in each shipped language. None is a word of another keyword once
# normalised (notifications.keywords refuses a clash at start-up).
WORDS = {
    "en": ["CONTEST", "DISPUTE"],
    "fr": ["CONTESTER", "CONTESTATION"],
    "es": ["IMPUGNAR", "DISPUTAR"],
    "pt": ["CONTESTAR", "CONTESTAÇÃO"],
    "ar": ["اعتراض", "أعترض"],
    "hi": ["आपत्ति"],
    "ne": ["आपत्ति", "विरोध"],
    "bn": ["আপত্তি"],
    "fil": ["TUTOL", "KONTRA"],
    "id": ["SANGGAH", "BANTAH"],
    "am": ["ተቃውሞ"],
    "km": ["តវ៉ា", "ជំទាស់"],
    "th": ["คัดค้าน", "โต้แย้ง"],
}

# Nothing to contest: how to complain instead (the webhook's reply).
NOTHING_REPLY = _l("We found no recent step from your employer to contest. To complain, send "
                   "COMPLAINT and what happened, or call %(phone)s.")
# A bare CONTEST: what the grievance says instead of the participant's words.
BARE_DESCRIPTION = _l("Contested by SMS, without details: %(step)s")


def _participant(sess: Session, recipient: Recipient | None) -> Participant | None:
    if recipient is None or recipient.participant_id is None:
        return None
    return sess.get(Participant, recipient.participant_id)


def handle(sess: Session, inbound: InboundMessage, recipient: Recipient | None, language: str,
           text: str | None = None) -> str | None:
    """The CONTEST keyword: contest the sender's latest confirmed step, answer with the receipt."""
    participant = _participant(sess, recipient)
    helpline = (recipient.params.get("phone") if recipient else None) or \
        current_app.config["HELPLINE"]
    found = steps.step_to_contest(sess, participant.id) if participant is not None else None
    if found is None:
        logger.info("onboarding contest sms with nothing to contest inbound=%s", inbound.id)
        return render_reply(NOTHING_REPLY, language, {"phone": helpline})
    step, placement = found
    text = (text or "").strip()
    if not text:
        with force_locale(language):
            text = str(BARE_DESCRIPTION) % {"step": str(steps.step_title(step.key))}
    try:
        g, code = steps.open_contest(sess, None, step, placement, text=text, channel=Channel.SMS,
                                 language=language)
    except InvalidInput:
        # No office to take it (none exists): the text waits for the caseworker instead.
        inbound.keyword, inbound.needs_attention = None, True
        hooks_for().on_inbound(sess, participant.id, inbound.id)
        logger.warning("onboarding contest sms refused inbound=%s", inbound.id)
        return render_reply(RECEIVED_REPLY, language, {})
    inbound.body = POINTER % g.id
    audit.record(sess, "employers:onboarding_step:sms_contest", actor_id=None,
                 object_type="onboarding_step", object_id=step.id, office_id=g.office_id,
                 inbound_id=inbound.id, grievance_id=g.id, participant_id=participant.id)
    logger.info("onboarding contest sms step=%s grievance=%s inbound=%s", step.id, g.id,
                inbound.id)
    return grievance_notify.acknowledgement(sess, g, code, language)
