"""Complaints by email: a mail provider's inbound webhook (Postmark, SendGrid, Mailgun and
Amazon SES can all post the raw message) hands us each email to the complaints address.

POST /webhooks/email/complaints with the raw RFC 822 message as the body and
``X-Journey-Signature: <hex HMAC-SHA256 of the body under JOURNEY_GRIEVANCE_EMAIL_SECRET>``.
Any sender may complain (OpenSPP refuses unregistered senders, which rules out anonymous
intake): the sender's address becomes the grievance's encrypted contact, the subject and the
text part its description, and the receipt with the tracking code goes back by email through
the outbox (journey.grievances.notify). A participant writing from their own address is not
matched to their record: their email is encrypted and has no blind index, so a caseworker links
it. Like every request this commits once: a failed request leaves nothing behind, so a
provider's retry cannot double a complaint that was not stored.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import logging
import re
from email.utils import parseaddr

from flask import Blueprint, Response, current_app, request

from journey.core.db import db
from journey.core.i18n import normalise_language
from journey.grievances import services
from journey.grievances.models import Category, Channel
from journey.grievances.schemas import DESCRIPTION_MAX

logger = logging.getLogger(__name__)
bp = Blueprint("grievance_email", __name__, url_prefix="/webhooks/email")

_ADDRESS = re.compile(r"[^@\s<>]{1,64}@[^@\s<>]{1,190}\.[^@\s<>.]{2,63}")


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def _text_of(message: email.message.EmailMessage) -> str:
    """The message's own words: its text part (else its HTML part, tags removed), without the
    quoted earlier messages and the signature."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken transfer encoding
        return ""
    if part.get_content_subtype() == "html":
        text = re.sub(r"<[^>]*>", " ", text)
    lines = []
    for line in text.splitlines():
        if line.rstrip() == "--":
            break
        if not line.lstrip().startswith(">"):
            lines.append(line.rstrip())
    return "\n".join(lines).strip()


def description_of(message: email.message.EmailMessage) -> str:
    subject = " ".join(str(message.get("Subject", "")).split())
    body = _text_of(message)
    return "\n\n".join(x for x in (subject, body) if x)[:DESCRIPTION_MAX]


@bp.post("/complaints")
def complaint():
    secret = current_app.config.get("GRIEVANCE_EMAIL_SECRET")
    if not secret:
        return _plain("not found", 404)
    raw = request.get_data(cache=False)
    given = request.headers.get("X-Journey-Signature", "")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.strip().lower(), expected):
        return _plain("invalid signature", 403)
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        sender = parseaddr(str(message.get("From", "")))[1]
        language = normalise_language(str(message.get("Content-Language", "")).split(",")[0]
                                      .strip()) or current_app.config["DEFAULT_LANGUAGE"]
        description = description_of(message)
    except (ValueError, LookupError, TypeError, IndexError):  # a header the parser cannot read
        return _plain("unreadable message", 400)
    if not _ADDRESS.fullmatch(sender or ""):
        return _plain("no sender address", 400)
    if not description:
        return _plain("empty message", 400)
    g, _code = services.intake(
        db.session, None, {"category": Category.OTHER.value, "description": description,
                           "language": language},
        channel=Channel.EMAIL, contact_email=sender.lower())
    logger.info("grievance email intake id=%s", g.id)
    return Response(status=204)
