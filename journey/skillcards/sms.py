"""Sending a returnee their skill form link by SMS, in their language, through the outbox.

The message is written to the outbox in the caller's transaction (the dispatcher sends it after
commit and checks consent, opt-outs and quiet hours again at that moment). Here the obvious
refusals are made up front, so staff learn at once why nothing will arrive.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.core import audit
from journey.core.auth import User
from journey.core.errors import Conflict
from journey.core.i18n import _, _l
from journey.core.policy import require
from journey.messaging.bridge import recipient_for
from journey.participants.models import Participant
from journey.skillcards import services
from journey.skillcards.models import SkillForm
from notifications.models import Channel, SmsOptOut
from notifications.outbox import enqueue
from notifications.templates import DATE, URL, Template, locale_chain

logger = logging.getLogger(__name__)

TEMPLATE = Template(
    "skill_form_link",
    # Short: the link takes half of it, and one name or date outside GSM-7 (an Arabic date
    # carries direction marks) makes it UCS-2, where 3 segments hold 201 characters.
    _l("%(name)s, confirm your skills here: %(url)s (until %(date)s)"),
    _l("Confirm the skills you gained abroad"),
    {"url": URL, "date": DATE},
)


class CannotText(Conflict):
    """The participant cannot be sent an SMS (no phone, not by SMS, no consent, opted out)."""


def send_link(sess: Session, actor: User, participant: Participant, form: SkillForm
              ) -> dict[str, Any]:
    """Make a new link to the form (replacing the old one) and queue it by SMS in the
    participant's language. Refused, with nothing changed, when no SMS could be sent."""
    require(actor, "skillcards:manage")
    if not participant.phone:
        raise CannotText(_("The participant has no phone number."), code="no-phone")
    if Channel.SMS.value not in (participant.channels or ()):
        raise CannotText(_("The participant does not take messages by SMS."), code="no-sms")
    if not has_consent(sess, participant.id, Purpose.UPDATES):
        raise CannotText(_("The participant has not agreed to receive messages."),
                         code="consent-required")
    if sess.get(SmsOptOut, participant.phone) is not None:
        raise CannotText(_("The participant's number has opted out of SMS (STOP)."),
                         code="opted-out")
    link = services.create_link(sess, actor, participant, form)
    recipient = recipient_for(sess, participant)
    queued = enqueue(sess, recipient, TEMPLATE.name,
                     {"url": link["url"], "date": link["expires_at"].date()},
                     channels=(Channel.SMS.value,))
    language = locale_chain(recipient.language, recipient.fallback_language)
    audit.record(sess, "skillcards:skill_form:sms", actor_id=actor.id, object_type="skill_form",
                 object_id=form.id, office_id=participant.office_id,
                 participant_id=participant.id, language=language)
    logger.info("skill form link queued by sms form=%s language=%s", form.id, language)
    return {"expires_at": link["expires_at"], "language": language, "queued": queued}
