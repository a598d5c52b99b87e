"""Signed links for a partner without an account: one referral, one purpose, until it expires.

* ``issue_link``: a token signed with itsdangerous (salt "referral-link") carrying the
  ReferralLink's id and a random nonce, of which only the SHA-256 is stored. It expires after
  REFERRAL_LINK_DAYS (the stored ``expires_at``, and the signature's age).
* A RESPOND link accepts or declines; an OUTCOME link records progress and reports the outcome.
  Neither does the other's steps, and neither reaches another referral: the token names the
  link, the link its referral.
* A link is used up (``used_at``) when its purpose is done: an answer given, the outcome
  reported. ``used_at`` is set by a conditional UPDATE after the referral's row is locked, so of
  two uses at once one acts and the other is told the link is gone (410).
* A token we did not sign, or with a nonce that is not the link's: 404. A real link expired,
  used, or whose referral has moved past its purpose: 410.

Acting goes through journey.referrals.services.apply_event (actor None, via_link_id), like any
other step. Services never commit; audit events and logs carry ids only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel.languages import get_official_languages
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from journey.config import SUPPORTED_LANGUAGES
from journey.core import audit
from journey.core.db import utcnow
from journey.core.errors import NotFound, ProblemError
from journey.core.i18n import _, _l
from journey.organisations.models import ServiceProvider
from journey.referrals import disclosure, services
from journey.referrals.models import LinkPurpose, Referral, ReferralLink, ServiceLanguage
from journey.referrals.states import State

logger = logging.getLogger(__name__)

LINK_SALT = "referral-link"
TOKEN_MAX = 400  # a real token is about 110 characters

# The steps each purpose allows, and the referral states in which the link still has work.
EVENTS: dict[str, tuple[str, ...]] = {
    LinkPurpose.RESPOND.value: ("accept", "decline"),
    LinkPurpose.OUTCOME.value: ("progress", "complete"),
}
LIVE_STATES: dict[str, tuple[str, ...]] = {
    LinkPurpose.RESPOND.value: (State.SENT.value,),
    LinkPurpose.OUTCOME.value: (State.ACCEPTED.value, State.IN_PROGRESS.value),
}
# The steps that finish a link's purpose: the link works no more after them.
SPENDING = frozenset({"accept", "decline", "complete"})

_L = ReferralLink.__table__


class LinkGone(ProblemError):
    """A link that was real but no longer works: expired, used, or its referral moved on."""

    status, code, title = 410, "link-gone", _l("This link no longer works")


def link_days() -> int:
    return int(current_app.config.get("REFERRAL_LINK_DAYS", 14))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_language(sess: Session, referral: Referral) -> str:
    """The language a link's page and email are in. Nothing about the person at the service's
    address is stored, so: the official language of the provider's country when journey ships
    it (a Portuguese provider reads Portuguese), else the first shipped language the service is
    given in, else English."""
    country = sess.scalar(sa.select(ServiceProvider.country)
                          .where(ServiceProvider.id == referral.provider_id))
    for code in get_official_languages(country or "", de_facto=True) if country else ():
        if code in SUPPORTED_LANGUAGES:
            return code
    for code in sess.scalars(sa.select(ServiceLanguage.language)
                             .where(ServiceLanguage.service_id == referral.service_id)
                             .order_by(ServiceLanguage.id)):
        if code in SUPPORTED_LANGUAGES:
            return code
    return "en"


def link_url(token: str, language: str | None = None) -> str:
    """The public page of a link (absolute), in ``language`` (?lang=, which the page keeps)."""
    url = f"{current_app.config['PUBLIC_BASE_URL']}/r/{token}"
    return f"{url}?lang={language}" if language in SUPPORTED_LANGUAGES else url


def issue_link(sess: Session, referral: Referral, purpose: LinkPurpose | str, *,
               actor_id: int | None, email: str | None, now: datetime | None = None) -> str:
    """A link for one purpose on this referral, to be emailed to ``email``; returns its absolute
    URL (the token is shown nowhere else and never stored)."""
    return new_link(sess, referral, purpose, actor_id=actor_id, email=email, now=now)[1]


def new_link(sess: Session, referral: Referral, purpose: LinkPurpose | str, *,
             actor_id: int | None, email: str | None, now: datetime | None = None
             ) -> tuple[ReferralLink, str]:
    """issue_link, returning the link's row too."""
    purpose = LinkPurpose(purpose)
    now = now or utcnow()
    nonce = secrets.token_urlsafe(24)
    link = ReferralLink(referral_id=referral.id, purpose=purpose.value,
                        nonce_hash=nonce_hash(nonce), email=email, created_by=actor_id,
                        created_at=now, expires_at=now + timedelta(days=link_days()))
    sess.add(link)
    sess.flush()
    token = _serializer().dumps([link.id, nonce])
    audit.record(sess, "referrals:referral_link:create", actor_id=actor_id,
                 object_type="referral_link", object_id=link.id, office_id=referral.office_id,
                 referral_id=referral.id, participant_id=referral.participant_id,
                 provider_id=referral.provider_id, purpose=purpose.value,
                 expires_at=link.expires_at.isoformat())
    logger.info("referral link issued link=%s referral=%s purpose=%s", link.id, referral.id,
                purpose.value)
    return link, link_url(token, link_language(sess, referral))


def resolve(sess: Session, token: str, now: datetime | None = None
            ) -> tuple[ReferralLink, Referral]:
    """The link behind a token and its referral: 404 for a token we did not sign (or tampered
    with), 410 when it is real but expired, used, or its referral is past its purpose."""
    now = now or utcnow()
    if not token or len(token) > TOKEN_MAX:
        raise NotFound()
    try:
        payload = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise LinkGone(code="link-expired") from None
    except BadSignature:
        raise NotFound() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and not isinstance(payload[0], bool) and isinstance(payload[1], str)):
        raise NotFound()
    link = sess.get(ReferralLink, payload[0])
    if link is None or not secrets.compare_digest(link.nonce_hash, nonce_hash(payload[1])):
        raise NotFound()
    if link.used_at is not None:
        raise LinkGone(code="link-used")
    if link.expires_at <= now:
        raise LinkGone(code="link-expired")
    referral = sess.get(Referral, link.referral_id)
    if referral is None or referral.state not in LIVE_STATES[link.purpose]:
        raise LinkGone(code="referral-moved-on")
    return link, referral


def view(sess: Session, token: str) -> dict[str, Any]:
    """What the link's page shows: the referral as its partner may see it, and the steps the
    link allows now (audited: a read of the shared fields)."""
    link, referral = resolve(sess, token)
    seen = disclosure.for_partner(sess, referral)
    audit.record(sess, "referrals:referral_link:view", actor_id=None,
                 object_type="referral_link", object_id=link.id, office_id=referral.office_id,
                 referral_id=referral.id, participant_id=referral.participant_id,
                 fields=seen["shared_fields"])
    return {"link": link, "referral": referral, "seen": seen,
            "events": allowed_events(link, referral)}


def allowed_events(link: ReferralLink, referral: Referral) -> tuple[str, ...]:
    """The link's steps that the referral's state allows now."""
    if referral.state not in LIVE_STATES[link.purpose]:
        return ()
    return EVENTS[link.purpose]


def act(sess: Session, token: str, event: str, data: dict[str, Any], *,
        now: datetime | None = None) -> Referral:
    """Take one step of the link's purpose on its referral. A step of the other purpose is no
    step of this link (404). The referral's row is locked first; a step that finishes the link's
    purpose spends it with a conditional UPDATE, so of two uses at once one acts and the other
    gets 410."""
    now = now or utcnow()
    link, _referral = resolve(sess, token, now)
    if event not in EVENTS[link.purpose]:
        raise NotFound(_("No such step."))
    referral = sess.scalar(sa.select(Referral).where(Referral.id == link.referral_id)
                           .with_for_update().execution_options(populate_existing=True))
    if referral is None or referral.state not in LIVE_STATES[link.purpose]:
        raise LinkGone(code="referral-moved-on")
    if event in SPENDING:
        sess.flush()
        spent = sess.connection().execute(
            _L.update().where(_L.c.id == link.id, _L.c.used_at.is_(None),
                              _L.c.expires_at > now).values(used_at=now))
        if spent.rowcount != 1:
            raise LinkGone(code="link-used")
        sess.expire(link)
    services.apply_event(sess, referral, event, dict(data), actor_id=None, via_link_id=link.id,
                         now=now)
    referral.version += 1
    sess.flush()
    audit.record(sess, "referrals:referral_link:use", actor_id=None,
                 object_type="referral_link", object_id=link.id, office_id=referral.office_id,
                 referral_id=referral.id, participant_id=referral.participant_id,
                 event=event, spent=event in SPENDING)
    logger.info("referral link used link=%s referral=%s event=%s", link.id, referral.id, event)
    if event == "accept":
        # The answer is given; the outcome is reported through a link of its own.
        from journey.referrals import partner_notify

        partner_notify.tell_partner(sess, referral, "outcome_link", actor_id=None)
    return referral


def links_of(sess: Session, referral_id: int) -> list[ReferralLink]:
    """The links issued for a referral, newest first (for staff pages)."""
    return list(sess.scalars(sa.select(ReferralLink).where(ReferralLink.referral_id == referral_id)
                             .order_by(ReferralLink.id.desc())))
