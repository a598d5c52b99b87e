"""Who is told what when a referral moves (journey.referrals.services.apply_event calls
on_event after every step):

* sent: the migrant, by SMS or email in their language (where, the address and opening hours,
  what to bring; within the segment budget), and the partner (its users, or the service's email
  with a signed link when it has no account);
* accepted through a signed link: the partner gets the link to report the outcome;
* declined, completed, expired: the referring caseworker (the participant's caseworker, else
  whoever sent it), by email in their language, with a link to the referral.

The migrant is told only while they agree to updates (consent purpose ``updates``), on the
channels they use; a confidential location's address is never put in a message. Messages go
through the outbox (journey.messaging), never straight out, so they leave after commit and are
retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.core.auth import User
from journey.messaging.bridge import recipient_for
from journey.organisations.models import Office, ServiceProvider
from journey.participants.models import Participant
from journey.referrals import messages, partner_notify
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    Referral,
    ReferralEvent,
    ServiceAtLocation,
    ServiceSchedule,
)
from journey.referrals.states import (
    DECLINE_TITLES,
    OUTCOME_REASON_TITLES,
    OUTCOME_TITLES,
    DeclineReason,
    Outcome,
    OutcomeReason,
)
from notifications.hooks import Recipient
from notifications.outbox import build_rows, enqueue, write_rows
from notifications.templates import locale_chain

logger = logging.getLogger(__name__)

TEMPLATES = messages.TEMPLATES
# The staff page of a referral, after PUBLIC_BASE_URL.
PAGE_PATH = "/referrals/{id}"


def page_url(referral_id: int) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + PAGE_PATH.format(id=referral_id)


# --- the migrant ---------------------------------------------------------------------------------

def _location(sess: Session, service_id: int) -> DirectoryLocation | None:
    """Where the service is given: a public location first; a confidential one only if it has
    no other (its address is then left out of the message)."""
    return sess.scalars(
        sa.select(DirectoryLocation)
        .join(ServiceAtLocation, ServiceAtLocation.location_id == DirectoryLocation.id)
        .where(ServiceAtLocation.service_id == service_id)
        .order_by(DirectoryLocation.confidential, DirectoryLocation.id).limit(1)).first()


def _hours(sess: Session, service_id: int, location: DirectoryLocation | None,
           language: str) -> str:
    rows = sess.execute(sa.select(ServiceSchedule.location_id, ServiceSchedule.weekday,
                                  ServiceSchedule.opens_at, ServiceSchedule.closes_at)
                        .where(ServiceSchedule.service_id == service_id)).all()
    here = [r for r in rows if location is not None and r.location_id == location.id]
    chosen = here or [r for r in rows if r.location_id is None]
    return messages.compact_hours(((r.weekday, r.opens_at, r.closes_at) for r in chosen),
                                  language)


def migrant_message(sess: Session, referral: Referral, language: str
                    ) -> tuple[str, dict[str, Any]]:
    """The template and its params (in full) telling the migrant where they were referred."""
    service = sess.get(DirectoryService, referral.service_id)
    provider = sess.get(ServiceProvider, referral.provider_id)
    location = _location(sess, referral.service_id)
    params: dict[str, Any] = {
        "service": service.name,
        "provider": provider.name if provider else service.name,
        "hours": _hours(sess, service.id, location, language) or messages.NO_HOURS,
        "documents": (service.documents_required or "").strip() or messages.NO_DOCUMENTS,
    }
    if location is None or location.confidential:
        return messages.SENT_CONFIDENTIAL, params
    address = ", ".join(x for x in (location.address, location.city) if x) or location.name
    return messages.SENT, {**params, "address": address}


def tell_migrant(sess: Session, referral: Referral) -> int:
    """Queue the message telling the migrant where they were referred: SMS (fitted to the
    budget) and email (in full) on the channels they use. Returns rows queued."""
    p = sess.get(Participant, referral.participant_id)
    if p is None or p.erased_at is not None:
        return 0
    channels = [c for c, address in (("sms", p.phone), ("email", p.email))
                if address and c in (p.channels or ())]
    if not channels or not has_consent(sess, p.id, Purpose.UPDATES):
        return 0
    recipient = recipient_for(sess, p)
    language = locale_chain(recipient.language, recipient.fallback_language)
    name, params = migrant_message(sess, referral, language)
    queued = 0
    for channel in channels:
        values = (messages.fit(name, language, params, recipient.params) if channel == "sms"
                  else params)
        queued += enqueue(sess, recipient, name, values, channels=(channel,),
                          dedupe_key=f"referral-sent:{referral.id}")
    logger.info("referral migrant message queued id=%s rows=%d", referral.id, queued)
    return queued


# --- the caseworker ------------------------------------------------------------------------------

def _people(sess: Session, participant_ids: list[int]) -> dict[int, tuple[int | None, str]]:
    """(caseworker id, reference) of each participant; inside ``batched`` kept for the batch
    (primed for all its referrals at once)."""
    cache = sess.info.get(_BATCH_PEOPLE)
    found = {} if cache is None else cache
    missing = [pid for pid in participant_ids if pid not in found]
    if missing:
        with sess.no_autoflush:  # called after each step, which has just flushed
            for pid, cw, ref in sess.execute(
                    sa.select(Participant.id, Participant.caseworker_id, Participant.reference)
                    .where(Participant.id.in_(missing))):
                found[pid] = (cw, ref)
    return found


def caseworker(sess: Session, referral: Referral) -> User | None:
    """Who made the referral: the participant's caseworker, else the user who sent it."""
    caseworker_id = _people(sess, [referral.participant_id]).get(
        referral.participant_id, (None, None))[0]
    with sess.no_autoflush:
        for user_id in (caseworker_id, referral.sent_by, referral.created_by):
            user = sess.get(User, user_id) if user_id else None
            if user is not None and user.is_active and user.email:
                return user
    return None


def staff_recipient(sess: Session, user: Any, office_id: int | None) -> Recipient:
    """A staff member (a User or a row with id, email, language, full_name), by email."""
    office = sess.get(Office, office_id) if office_id else None
    return Recipient(participant_id=None, phone=None, email=user.email,
                     language=locale_chain(user.language, None), fallback_language=None,
                     timezone=office.timezone if office else "UTC", channels=("email",),
                     params={"name": user.full_name, "reference": "",
                             "centre": office.name if office else
                             current_app.config["CENTRE_NAME"],
                             "phone": current_app.config["HELPLINE"]})


def _outcome_text(referral: Referral, event: str, language: str) -> str:
    with force_locale(language):
        if event == "decline":
            return str(DECLINE_TITLES[DeclineReason(referral.decline_reason)])
        text = str(OUTCOME_TITLES[Outcome(referral.outcome)])
        if referral.outcome_reason:
            text += f" ({OUTCOME_REASON_TITLES[OutcomeReason(referral.outcome_reason)]})"
        return text


_STAFF_TEMPLATES = {"decline": messages.DECLINED, "complete": messages.COMPLETED,
                    "expire": messages.EXPIRED}


def tell_caseworker(sess: Session, referral: Referral, event: str) -> int:
    """Email the referring caseworker that the referral was declined, completed or expired.
    Inside ``batched`` the outbox rows wait for the batch's end, written at once."""
    user = caseworker(sess, referral)
    if user is None:
        return 0
    recipient = staff_recipient(sess, user, referral.office_id)
    cache = sess.info.get(_BATCH_PEOPLE, {})
    if ("service", referral.service_id) not in cache:
        with sess.no_autoflush:
            cache["service", referral.service_id] = sess.scalar(
                sa.select(DirectoryService.name).where(DirectoryService.id == referral.service_id))
    participant = _people(sess, [referral.participant_id]).get(referral.participant_id,
                                                               (None, None))[1]
    params = {"reference": referral.reference, "participant": participant or "-",
              "service": cache["service", referral.service_id], "url": page_url(referral.id)}
    if event != "expire":
        params["reason"] = _outcome_text(referral, event, recipient.language)
    rows = build_rows(recipient, _STAFF_TEMPLATES[event], params,
                      dedupe_key=f"referral-{event}:{referral.id}:{user.id}")
    pending = sess.info.get(_BATCH)
    if pending is not None:
        pending.extend(rows)
        return len(rows)
    return write_rows(sess, rows)


_BATCH = "referral_notify_batch"
_BATCH_PEOPLE = "referral_notify_batch_people"


@contextmanager
def batched(sess: Session, referrals: list[Referral]) -> Iterator[None]:
    """The caseworkers' emails of many steps (the scan's expiries) written in one go at the end:
    their people looked up at once, one duplicate check and a few INSERTs for all the emails."""
    sess.info[_BATCH], sess.info[_BATCH_PEOPLE] = [], {}
    try:
        _people(sess, sorted({r.participant_id for r in referrals}))
        yield
        write_rows(sess, sess.info[_BATCH])
    finally:
        sess.info.pop(_BATCH, None)
        sess.info.pop(_BATCH_PEOPLE, None)


# --- the handlers --------------------------------------------------------------------------------

def _on_send(sess: Session, referral: Referral, event: str, *, actor_id: int | None) -> None:
    tell_migrant(sess, referral)
    partner_notify.tell_partner(sess, referral, "new", actor_id=actor_id)


def _on_accept(sess: Session, referral: Referral, event: str, *, actor_id: int | None) -> None:
    # Accepted through a signed link: the partner has no account, so it gets the next link.
    via_link = sess.scalar(sa.select(ReferralEvent.via_link_id).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.kind == "accept")
        .order_by(ReferralEvent.id.desc()).limit(1))
    if via_link is not None:
        partner_notify.tell_partner(sess, referral, "outcome_link", actor_id=actor_id)


def _on_close(sess: Session, referral: Referral, event: str, *, actor_id: int | None) -> None:
    tell_caseworker(sess, referral, event)


# event -> the functions told of it, in order (each: sess, referral, event, actor_id).
_HANDLERS: dict[str, tuple[Callable[..., None], ...]] = {
    "send": (_on_send,),
    "accept": (_on_accept,),
    "decline": (_on_close,),
    "complete": (_on_close,),
    "expire": (_on_close,),
}


def on_event(sess: Session, referral: Referral, event: str, *, actor_id: int | None) -> None:
    for handler in _HANDLERS.get(event, ()):
        handler(sess, referral, event, actor_id=actor_id)
