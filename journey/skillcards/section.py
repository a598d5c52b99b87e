"""The "Skills passport" section of a participant's record page: how many entries are verified,
the latest credential and skill card, the open share links, and the pages that change them.

It lives here because only this package may read passports, credentials and skill cards alike
(credentials never imports skillcards; passports imports neither).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.domains import Section
from journey.core.i18n import _l
from journey.core.policy import allowed
from journey.credentials.models import Credential
from journey.participants.models import Participant
from journey.passports.models import PassportEntry, ShareLink, Verification
from journey.skillcards import services


def skills_passport(sess: Session, user: User, p: Participant) -> Section | None:
    """Counts and latest items only: the pages it links to show (and audit) the details."""
    if not allowed(user, "passports:read"):
        return None
    verified = sa.case((PassportEntry.verification == Verification.SELF_DECLARED.value, 0),
                       else_=1)
    total, checked = sess.execute(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(verified), 0))
        .where(PassportEntry.participant_id == p.id, PassportEntry.retired_at.is_(None))).one()
    ctx = {"entries": total, "verified": checked, "unverified": total - checked,
           "can_write": allowed(user, "passports:write")}
    if allowed(user, "credentials:read"):
        ctx["credential"] = sess.scalar(
            select(Credential).where(Credential.participant_id == p.id)
            .order_by(Credential.issued_at.desc(), Credential.id.desc()).limit(1))
        ctx["credentials_page"] = True
    if allowed(user, "shares:read"):
        ctx["active_links"] = sess.scalar(
            select(sa.func.count()).select_from(ShareLink)
            .where(ShareLink.participant_id == p.id, ShareLink.revoked_at.is_(None),
                   ShareLink.expires_at > utcnow()))
    if allowed(user, "skillcards:read"):
        form = services.current_form(sess, p)
        ctx["form_status"] = form.status if form else None
        ctx["card"] = services.latest_card(sess, p)
    return Section("skills-passport", _l("Skills passport"), "skillcards/_section.html", ctx,
                   order=60)
