"""Timeline entries → named notifications, and the hooks notifications calls back."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.services import consented_ids, has_consent
from journey.continuum.models import ChecklistItem, EventKind
from journey.continuum.stages import Stage
from journey.core import crypto, timeline
from journey.messaging.kinds import MessageKind
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.programmes.contacts import contacts_for
from journey.programmes.models import Programme
from journey.stages.checklists import ItemDefinition, definition
from notifications.hooks import Recipient, hooks_for
from notifications.outbox import enqueue

logger = logging.getLogger(__name__)

_PROGRAMME = sa.select(Programme.default_language, Programme.contacts,
                       Programme.destination_country).where(Programme.id == sa.bindparam("id"))
_OFFICE_NAME = select(Office.name).where(Office.id == sa.bindparam("id"))


def recipient_for(sess: Session, p: Participant, cache: dict | None = None) -> Recipient:
    """A participant as notifications sees them.

    Office names and programme languages are cached for the session's life (one request or
    job): a campaign or a bulk move looks them up thousands of times.
    """
    cache = sess.info.setdefault("recipient_cache", {}) if cache is None else cache
    key = ("programme", p.programme_id)
    if key not in cache:
        cache[key] = (sess.execute(_PROGRAMME, {"id": p.programme_id}).first()
                      if p.programme_id else None)
    programme = cache[key]
    fallback = programme.default_language if programme else None
    numbers = contacts_for(programme.contacts if programme else None, destination(p, programme),
                           current_app.config)
    key = ("office", p.office_id)
    if key not in cache:
        cache[key] = sess.scalar(_OFFICE_NAME, {"id": p.office_id})
    centre = cache[key] or current_app.config["CENTRE_NAME"]
    return Recipient(participant_id=p.id, phone=p.phone, email=p.email, language=p.language,
                     fallback_language=fallback, timezone=p.timezone, channels=tuple(p.channels),
                     params={"name": p.given_name, "reference": p.reference, "centre": centre,
                             "phone": numbers.helpline})


def destination(p: Participant, programme: Any = None) -> str | None:
    """Where a participant goes: their own destination, else their programme's."""
    return p.destination_country or (programme.destination_country if programme else None)


def on_entry(sess: Session, p: Participant, event: dict[str, Any]) -> None:
    """Queue the notification a timeline entry calls for, in the same transaction."""
    kind, data = event["kind"], event["data"]
    if not p.channels:
        return
    if kind == EventKind.STAGE_ENTERED.value and not data.get("repeat"):
        # Written once, with the event, in its transaction: no dedupe key needed (scheduled
        # reminders, which a job may find twice, carry one).
        stage = data["to_stage"]
        r = recipient_for(sess, p)
        enqueue(sess, r, f"stage_entered.{stage}", urgent=bool(data.get("urgent")) or None)
        if stage == Stage.ARRIVAL.value:
            programme = sess.get(Programme, p.programme_id) if p.programme_id else None
            country = destination(p, programme)
            if country:  # the message names the country: without one it is not sent
                numbers = contacts_for(programme.contacts if programme else None, country,
                                       current_app.config)
                query = urlencode({"lang": r.language or "", "country": country,
                                   **({"programme": programme.id} if programme else {})})
                enqueue(sess, r, "welcome_package", {
                    "country": country, "emergency": numbers.emergency,
                    "url": f"{current_app.config['PUBLIC_BASE_URL']}/welcome?{query}"})
        elif stage == Stage.RETURN.value:
            enqueue(sess, r, "pre_return_info",
                    {"url": f"{current_app.config['PUBLIC_BASE_URL']}/return?lang={p.language}"})
    elif kind == EventKind.CHECKLIST_ITEM_DUE.value:
        item = sess.get(ChecklistItem, data["item_id"])
        programme = sess.get(Programme, p.programme_id) if p.programme_id else None
        found = definition(data.get("key", ""), programme.checklist_config if programme else None)
        if found is None:  # an item its programme no longer has: named by its title
            found = ItemDefinition(Stage(p.stage), data.get("key", ""),
                                   item.title if item else data.get("key", ""))
        enqueue(sess, recipient_for(sess, p), "checklist_item_due",
                {"item": found.reminder_text(),
                 "date": date.fromisoformat(data["due_date"])},
                dedupe_key=event["dedupe_key"])
    elif kind == EventKind.PERMIT_EXPIRING.value:
        enqueue(sess, recipient_for(sess, p), "permit_expiring",
                {"date": date.fromisoformat(data["expires_on"])}, dedupe_key=event["dedupe_key"])


def _consent(sess: Session, participant_id: int) -> bool:
    return has_consent(sess, participant_id, "updates")


def _consented(sess: Session, participant_ids: list[int]) -> set[int]:
    return consented_ids(sess, participant_ids, "updates")


def _resolve_phone(sess: Session, phone: str) -> Recipient | None:
    if not phone:
        return None
    p = sess.scalars(select(Participant).where(crypto.lookup(Participant.phone_index, phone))
                     .order_by(Participant.id.desc()).limit(1)).first()
    return recipient_for(sess, p) if p else None


def _on_inbound(sess: Session, participant_id: int, inbound_id: int) -> None:
    p = sess.get(Participant, participant_id)
    if p is not None:
        timeline.record(sess, p, MessageKind.MESSAGE_RECEIVED, inbound_id=inbound_id,
                        needs_attention=True)


def _on_opt_change(sess: Session, participant_id: int | None, opted_out: bool) -> None:
    p = sess.get(Participant, participant_id) if participant_id else None
    if p is not None:
        timeline.record(sess, p, MessageKind.SMS_OPTED_OUT if opted_out
                        else MessageKind.SMS_OPTED_IN)


def build_senders(app: Flask):
    """Twilio and SMTP when configured; otherwise files a newcomer can read."""
    from notifications.email import FileEmailSender, SmtpEmailSender
    from notifications.sms import ConsoleSmsSender, TwilioSmsSender

    cfg = app.config
    instance = Path(cfg["INSTANCE_PATH"])
    if cfg.get("TWILIO_ACCOUNT_SID"):
        sms = TwilioSmsSender(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"],
                              messaging_service_sid=cfg.get("TWILIO_MESSAGING_SERVICE_SID"),
                              from_number=cfg.get("TWILIO_FROM_NUMBER"),
                              status_callback_base=cfg["PUBLIC_BASE_URL"],
                              api_base=cfg.get("TWILIO_API_BASE"))
    else:
        sms = ConsoleSmsSender(instance / "outbox-sms.log")
    if cfg.get("SMTP_HOST"):
        email = SmtpEmailSender(cfg["SMTP_HOST"], cfg["SMTP_PORT"], security=cfg["SMTP_SECURITY"],
                                username=cfg.get("SMTP_USERNAME"), password=cfg.get("SMTP_PASSWORD"),
                                sender=cfg["MAIL_FROM"])
    else:
        email = FileEmailSender(instance / "mail")
    return sms, email


def init_app(app: Flask) -> None:
    """Hand this app's notifications what it needs to know of participants."""
    hooks = hooks_for(app)
    hooks.consent = _consent
    hooks.consented = _consented
    hooks.resolve_phone = _resolve_phone
    hooks.on_inbound = _on_inbound
    hooks.on_opt_change = _on_opt_change
