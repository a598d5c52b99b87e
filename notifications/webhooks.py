"""Twilio webhooks: delivery status callbacks and inbound SMS, both signature-checked.

Like every request, each commits once at its end (journey.core.requests).
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, request

from journey.core.db import db, utcnow
from notifications.dispatcher import record_opt_in, record_opt_out
from notifications.hooks import hooks_for
from notifications.models import STATUS_RANK, InboundMessage, OutboxMessage, Status
from notifications.sms import validate_twilio_signature
from notifications.templates import (
    HELP_REPLY,
    RECEIVED_REPLY,
    START_REPLY,
    STOP_REPLY,
    UNKNOWN_REPLY,
    locale_chain,
    render_reply,
)

logger = logging.getLogger(__name__)
bp = Blueprint("twilio_webhooks", __name__, url_prefix="/webhooks/twilio")

_PROVIDER_STATUS = {
    "accepted": Status.SENDING, "scheduled": Status.SENDING, "queued": Status.SENDING,
    "sending": Status.SENDING, "sent": Status.SENT, "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED, "failed": Status.FAILED, "read": Status.DELIVERED,
}


def _signed() -> bool:
    """Whether X-Twilio-Signature matches our public URL for this request."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"] + request.full_path.rstrip("?")
    return validate_twilio_signature(token, url, request.form.to_dict(), signature)


def _forbidden() -> Response:
    return Response("invalid signature", status=403, mimetype="text/plain")


def _twiml(text: str | None) -> Response:
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
                    mimetype="application/xml")


@bp.post("/status")
def status_callback():
    """A delivery status update; never moves a message backwards."""
    if not _signed():
        return _forbidden()
    mid = request.args.get("mid", "")
    new = _PROVIDER_STATUS.get(request.form.get("MessageStatus", "").lower())
    if not mid.isdigit() or len(mid) > 10 or new is None:
        return Response(status=204)
    sess = db.session
    # Locked, so a worker's write in flight is seen once it commits rather than overwritten from
    # what was read before it (PostgreSQL; on SQLite the request's IMMEDIATE transaction does it).
    msg = sess.get(OutboxMessage, int(mid), with_for_update=True)
    sid = request.form.get("MessageSid")
    if msg is None or (msg.provider_id and sid and msg.provider_id != sid):
        return Response(status=204)
    error = request.form.get("ErrorCode") or None
    if error:
        msg.last_error_code = error[:40]
    if msg.provider_id is None and sid:
        msg.provider_id = sid[:64]
    if STATUS_RANK[new] > STATUS_RANK[Status(msg.status)]:
        msg.status = new.value
        if new == Status.DELIVERED:
            msg.delivered_at = utcnow()
    msg.updated_at = utcnow()
    if error == "21610":
        record_opt_out(sess, msg.recipient, "provider-21610", msg.participant_id)
    logger.info("twilio status message=%s status=%s error=%s", msg.id, msg.status, error)
    return Response(status=204)


@bp.post("/inbound")
def inbound():
    """An SMS from a person: a keyword (the whole message, or a text-taking keyword and its
    text) acts at once; any other text goes to their caseworker."""
    if not _signed():
        return _forbidden()
    sender = request.form.get("From", "")[:32]
    body = request.form.get("Body", "")[:1600]
    sid = request.form.get("MessageSid")
    sess = db.session
    if sid and sess.query(InboundMessage.id).filter_by(provider_id=sid[:64]).first():
        return _twiml(None)  # Twilio retried a message we already handled
    hooks = hooks_for()
    recipient = hooks.resolve_phone(sess, sender)
    match = hooks.keywords.route(body)
    language = locale_chain(recipient.language if recipient else (match.language if match else None),
                            recipient.fallback_language if recipient else None)
    # A known sender is given their own programme's helpline (Recipient.params), a stranger the
    # centre's.
    params = {"phone": current_app.config["HELPLINE"], **(recipient.params if recipient else {}),
              "centre": current_app.config["CENTRE_NAME"]}
    record = InboundMessage(provider_id=sid[:64] if sid else None, sender=sender, body=body,
                            participant_id=recipient.participant_id if recipient else None,
                            keyword=match.action if match else None,
                            needs_attention=match is None, received_at=utcnow())
    sess.add(record)
    sess.flush()
    pid = recipient.participant_id if recipient else None
    if match and match.action == "stop":
        record_opt_out(sess, sender, "keyword", pid)
        reply = render_reply(STOP_REPLY, language, params)
    elif match and match.action == "start":
        record_opt_in(sess, sender, pid)
        reply = render_reply(START_REPLY, language, params)
    elif match and match.action == "help":
        reply = render_reply(HELP_REPLY, language, params)
    elif match and match.action in hooks.keywords.handlers:
        handler = hooks.keywords.handlers[match.action]
        if match.text is None:
            reply = handler(sess, record, recipient, language)
        else:  # an action registered with takes_text: the message after its keyword
            reply = handler(sess, record, recipient, language, text=match.text)
    elif recipient is None:
        reply = render_reply(UNKNOWN_REPLY, language, params)
    else:
        hooks.on_inbound(sess, pid, record.id)
        reply = render_reply(RECEIVED_REPLY, language, params)
    logger.info("twilio inbound id=%s participant=%s keyword=%s", record.id, pid, record.keyword)
    return _twiml(reply)
