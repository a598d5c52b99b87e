"""Share links: a time-limited, revocable link through which an employer sees a passport.

A link naming an employer also links the participant to it ("shared"), which puts the participant
in the employer users' scope until the last such link is revoked. Services never commit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.core import audit, links
from journey.core.auth import User, token_digest
from journey.core.db import load_owned, utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _
from journey.core.links import LinkReason, OrganisationKind
from journey.core.policy import require
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.passports.models import EntryKind, RevokeReason, ShareLink
from journey.passports.services import Gone


def share_status(link: ShareLink, now=None) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= (now or utcnow()) else "active"


def share_url(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for("passport_pages.shared", token=token)


def create_share_link(sess: Session, actor: User, participant: Participant, *, audience: str,
                      employer_id: int | None = None, kinds: list[str] | None = None,
                      expires_in_days: int = 14) -> tuple[ShareLink, str]:
    """A link for an employer, refused without consent to share; the token is returned once."""
    require(actor, "shares:manage")
    if employer_id is not None and sess.get(Employer, employer_id) is None:
        raise InvalidInput(errors=[{"field": "employer_id", "code": "not-found",
                                    "message": _("No such employer.")}])
    if not has_consent(sess, participant.id, Purpose.SHARE_EMPLOYERS):
        raise Conflict(_("The participant has not agreed to share with employers."),
                       code="consent-required")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    link = ShareLink(participant_id=participant.id, token_hash=token_digest(token),
                     employer_id=employer_id, audience=audience.strip(),
                     kinds=[k.value for k in EntryKind if k.value in set(kinds or ())],
                     created_by=actor.id, created_at=now,
                     expires_at=now + timedelta(days=expires_in_days))
    sess.add(link)
    sess.flush()
    if employer_id is not None:
        # The employer may now see the participant (journey.core.policy.participant_scope).
        links.link(sess, actor.id, participant.id, OrganisationKind.EMPLOYER, employer_id,
                   LinkReason.SHARED, office_id=participant.office_id)
    audit.record(sess, "passports:share:create", actor_id=actor.id, object_type="share_link",
                 object_id=link.id, office_id=participant.office_id,
                 participant_id=participant.id, employer_id=employer_id, kinds=link.kinds,
                 days=expires_in_days)
    return link, token


def list_share_links(sess: Session, actor: User, participant: Participant) -> list[ShareLink]:
    require(actor, "shares:read")
    links = list(sess.scalars(select(ShareLink).where(ShareLink.participant_id == participant.id)
                              .order_by(ShareLink.id.desc())))
    audit.record(sess, "passports:share:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id,
                 links=[link.id for link in links])
    return links


def load_share_link(sess: Session, participant: Participant, link_id: int) -> ShareLink:
    return load_owned(sess, ShareLink, link_id, participant.id, _("No such share link."))


def revoke_share_link(sess: Session, actor: User, participant: Participant,
                      link: ShareLink) -> ShareLink:
    require(actor, "shares:manage")
    if link.revoked_at is not None:
        raise Conflict(_("This link is already revoked."), code="already-revoked")
    _revoke(sess, actor, participant, link, RevokeReason.REVOKED)
    return link


def revoke_on_withdrawal(sess: Session, actor: User, participant: Participant) -> list[ShareLink]:
    """Consent to share was withdrawn: close each of the participant's links for good (giving
    consent again does not reopen them; new links can be made)."""
    open_links = list(sess.scalars(select(ShareLink).where(
        ShareLink.participant_id == participant.id, ShareLink.revoked_at.is_(None),
    ).order_by(ShareLink.id)))
    for link in open_links:
        _revoke(sess, actor, participant, link, RevokeReason.CONSENT_WITHDRAWN)
    return open_links


def _revoke(sess: Session, actor: User, participant: Participant, link: ShareLink,
            reason: RevokeReason) -> None:
    link.revoked_at = utcnow()
    link.revoked_by = actor.id
    link.revoke_reason = reason.value
    sess.flush()
    if link.employer_id is not None and sess.scalar(
            select(ShareLink.id).where(ShareLink.participant_id == participant.id,
                                       ShareLink.employer_id == link.employer_id,
                                       ShareLink.revoked_at.is_(None)).limit(1)) is None:
        # The last link to this employer: it no longer sees the participant through sharing.
        links.unlink(sess, actor.id, participant.id, OrganisationKind.EMPLOYER, link.employer_id,
                     LinkReason.SHARED, office_id=participant.office_id)
    audit.record(sess, "passports:share:revoke", actor_id=actor.id, object_type="share_link",
                 object_id=link.id, office_id=participant.office_id, participant_id=participant.id,
                 reason=reason.value)


def open_share_link(sess: Session, token: str) -> tuple[ShareLink, Participant]:
    """The link and participant behind a token, counting and auditing the view.

    404 for a token that never existed; 410 once the link is expired or revoked, or the
    participant has withdrawn consent to share.
    """
    if not token or len(token) > 100:
        raise NotFound(_("No such link."))
    link = sess.scalar(select(ShareLink).where(ShareLink.token_hash == token_digest(token)))
    if link is None:
        raise NotFound(_("No such link."))
    participant = sess.get(Participant, link.participant_id)
    now = utcnow()
    if (share_status(link, now) != "active"
            or not has_consent(sess, participant.id, Purpose.SHARE_EMPLOYERS)):
        raise Gone(_("This link has expired or was withdrawn."))
    # In SQL, so simultaneous views all count.
    sess.execute(sa.update(ShareLink).where(ShareLink.id == link.id)
                 .values(view_count=ShareLink.view_count + 1, last_viewed_at=now)
                 .execution_options(synchronize_session=False))
    audit.record(sess, "passports:share:view", actor_id=None, object_type="share_link",
                 object_id=link.id, office_id=participant.office_id, participant_id=participant.id)
    return link, participant
