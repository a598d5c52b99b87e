"""Filing a complaint by SMS: the COMPLAINT keyword, in every shipped language.

"COMPLAINT my employer kept my passport" (the keyword as the whole message, or its first word
followed by text; notifications.keywords) opens a grievance for the sender: for the
participant whose number it is, else for a stranger reached back at that number. The text after
the keyword is the description. The answer is the acknowledgement with the tracking code and
the date a reply is due, as the webhook's own SMS reply, in the sender's language.

What the complainant wrote lives only in the encrypted grievance: the inbound message the
webhook stored is rewritten to a pointer (``grievance:<id>``), so a caseworker reading the
person's texts never sees a restricted complaint in clear, and a keyword is never put in the
caseworker's unanswered replies or the triage list (the webhook does not flag it).

A bare keyword opens nothing: it asks for the complaint in one message. A grievance with no
words in it could not be triaged, and calling back an unknown number to ask may put the person
at risk (the phone may not be theirs alone); it also keeps someone who is only trying the word
out of the caseworkers' deadlines.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.errors import InvalidInput
from journey.core.i18n import _l
from journey.grievances import notify, services
from journey.grievances.models import Category, Channel, Severity
from journey.participants.models import Participant
from notifications.hooks import Recipient, hooks_for
from notifications.models import InboundMessage
from notifications.templates import RECEIVED_REPLY, UNKNOWN_REPLY, render_reply

logger = logging.getLogger(__name__)

ACTION = "complaint"
POINTER = "grievance:%d"  # what inbound_messages.body keeps of a complaint

# Per language the words a migrant types for "complaint" (noun or imperative); every word works
# whatever the sender's language, and the first language to list one owns it (it picks a
# stranger's reply language). Khmer has two spellings of the subscript in បណ្តឹង (្ត and ្ដ), as
# START has; a spaced form is listed where people split the compound.
WORDS = {
    "en": ["COMPLAINT", "COMPLAIN", "GRIEVANCE"],
    "fr": ["PLAINTE", "RÉCLAMATION"],
    "es": ["QUEJA", "RECLAMO", "RECLAMACIÓN"],
    "pt": ["QUEIXA", "RECLAMAÇÃO"],
    "ar": ["شكوى", "شكاية", "تظلم"],
    "hi": ["शिकायत"],
    "ne": ["उजुरी", "गुनासो", "शिकायत"],
    "bn": ["অভিযোগ"],
    "fil": ["REKLAMO", "HINAING", "SUMBONG"],
    "id": ["PENGADUAN", "KELUHAN", "ADUAN"],
    "am": ["ቅሬታ", "አቤቱታ"],
    "km": ["ពាក្យបណ្តឹង", "ពាក្យបណ្ដឹង", "ពាក្យ បណ្តឹង", "ពាក្យ បណ្ដឹង", "បណ្តឹង", "បណ្ដឹង"],
    "th": ["ร้องเรียน", "ร้องทุกข์"],
}

# The keyword alone: what to send instead (the webhook's reply; within one SMS in English).
ASK_REPLY = _l("To complain, send COMPLAINT and what happened in one message. It stays "
               "confidential. Or call %(phone)s.")


def _participant(sess: Session, recipient: Recipient | None) -> Participant | None:
    if recipient is None or recipient.participant_id is None:
        return None
    return sess.get(Participant, recipient.participant_id)


def handle(sess: Session, inbound: InboundMessage, recipient: Recipient | None, language: str,
           text: str | None = None) -> str | None:
    """The COMPLAINT keyword: open a grievance for the sender and answer with its receipt."""
    text = (text or "").strip()
    participant = _participant(sess, recipient)
    helpline = (recipient.params.get("phone") if recipient else None) or \
        current_app.config["HELPLINE"]
    if not text:
        logger.info("grievance sms keyword without text inbound=%s", inbound.id)
        return render_reply(ASK_REPLY, language, {"phone": helpline})
    data = {"category": Category.OTHER.value, "severity": Severity.MEDIUM.value,
            "description": text, "language": language}
    try:
        g, code = services.intake(sess, None, data, channel=Channel.SMS, participant=participant,
                                  contact_phone=None if participant else inbound.sender,
                                  send_receipt=False)  # the receipt is this webhook's reply
    except InvalidInput:
        # Only when no office exists to take it: the text waits for a person instead, as any
        # other text does (a participant's caseworker, else the triage list).
        inbound.keyword, inbound.needs_attention = None, True
        logger.warning("grievance sms intake refused inbound=%s", inbound.id)
        if participant is not None:
            hooks_for().on_inbound(sess, participant.id, inbound.id)
        return render_reply(RECEIVED_REPLY if participant else UNKNOWN_REPLY, language, {})
    inbound.body = POINTER % g.id
    audit.record(sess, "grievances:grievance:sms_intake", actor_id=None, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, inbound_id=inbound.id,
                 **({"participant_id": participant.id} if participant else {}))
    logger.info("grievance sms intake id=%s inbound=%s participant=%s", g.id, inbound.id,
                participant.id if participant else None)
    return notify.acknowledgement(sess, g, code, language)
