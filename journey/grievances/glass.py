"""Confidentiality services: an office's focal points (protection officers), and break-the-glass,
by which a supervisor or admin opens a restricted grievance they do not see in full.

Breaking the glass takes a written reason (kept encrypted in the grant, never in the audit log
or a message), lasts GRIEVANCE_BREAK_GLASS_HOURS, is audited, leaves a line in the grievance's
history and tells the office's focal points by email: the grievance's reference and who opened
it, nothing about the complainant. The services never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _l
from journey.core.policy import OFFICE_ROLES, Role, require
from journey.grievances import access
from journey.grievances.models import AccessGrant, EntryKind, FocalPoint, GrievanceEntry
from journey.organisations.models import Office
from notifications.hooks import Recipient
from notifications.outbox import enqueue
from notifications.templates import TEXT, Template

logger = logging.getLogger(__name__)

REASON_MIN = 15  # "checking" says nothing; a sentence says why
REASON_MAX = 1000
TEMPLATE = "grievance_break_glass"

# To each focal point of the office, in their own language. Names the grievance's reference and
# who opened it: nothing about the complainant or what they wrote.
BREAK_GLASS = Template(
    TEMPLATE,
    _l("%(centre)s: the restricted grievance %(reference)s was opened by %(opened_by)s "
       "(break-the-glass). Their reason is recorded."),
    _l("Restricted grievance %(reference)s opened"), {"opened_by": TEXT}, urgent=True,
    email=_l("%(name)s, the restricted grievance %(reference)s at %(centre)s was opened by "
             "%(opened_by)s, who is not one of its focal points (break-the-glass). Their written "
             "reason is recorded with the opening and in the audit log. You are told because you "
             "are a focal point of the office."))


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _office(sess: Session, actor: User, office_id: int) -> Office:
    """The office, if it is the actor's to see (admins every office, others their own): 404."""
    office = sess.get(Office, office_id) if office_id is not None else None
    if office is None or (Role(actor.role) != Role.ADMIN and actor.office_id != office_id):
        raise NotFound(_("No such office."))
    return office


def focal_points(sess: Session, actor: User, office_id: int) -> list[dict[str, Any]]:
    """The office's focal points, by name: every staff member of the office may know them."""
    require(actor, "grievances:read")
    _office(sess, actor, office_id)
    rows = sess.execute(
        sa.select(FocalPoint.user_id, FocalPoint.created_at, User.full_name, User.role,
                  User.is_active)
        .join(User, User.id == FocalPoint.user_id)
        .where(FocalPoint.office_id == office_id).order_by(User.full_name, User.id)).mappings()
    return [{"office_id": office_id, **row} for row in rows]


def candidates(sess: Session, actor: User, office_id: int) -> list[User]:
    """Who may be named: the office's active supervisors and caseworkers not named yet."""
    require(actor, "grievances:focal_points")
    _office(sess, actor, office_id)
    named = sa.select(FocalPoint.user_id).where(FocalPoint.office_id == office_id)
    return list(sess.scalars(sa.select(User).where(
        User.office_id == office_id, User.is_active.is_(True),
        User.role.in_([r.value for r in OFFICE_ROLES]), User.id.not_in(named))
        .order_by(User.full_name, User.id)))


def add_focal_point(sess: Session, actor: User, office_id: int, user_id: int,
                    now: datetime | None = None) -> dict[str, Any]:
    """Name an active supervisor or caseworker of the office one of its focal points."""
    require(actor, "grievances:focal_points")
    _office(sess, actor, office_id)
    user = sess.get(User, user_id)
    if (user is None or not user.is_active or Role(user.role) not in OFFICE_ROLES
            or user.office_id != office_id):
        raise InvalidInput(errors=[_error("user_id", "not-eligible", _(
            "Choose an active supervisor or caseworker of this office."))])
    if access.is_focal_point(sess, user_id, office_id):
        raise Conflict(_("%(name)s is already a focal point of this office.", name=user.full_name),
                       code="already-focal-point")
    now = now or utcnow()
    sess.add(FocalPoint(office_id=office_id, user_id=user_id, created_at=now))
    sess.flush()
    audit.record(sess, "grievances:focal_point:add", actor_id=actor.id, object_type="user",
                 object_id=user_id, office_id=office_id)
    logger.info("grievance focal point added office=%s user=%s", office_id, user_id)
    return {"office_id": office_id, "user_id": user_id, "created_at": now,
            "full_name": user.full_name, "role": user.role, "is_active": user.is_active}


def remove_focal_point(sess: Session, actor: User, office_id: int, user_id: int) -> None:
    """Stop a staff member being a focal point of the office (404 when they are not one)."""
    require(actor, "grievances:focal_points")
    _office(sess, actor, office_id)
    removed = sess.execute(sa.delete(FocalPoint).where(
        FocalPoint.office_id == office_id, FocalPoint.user_id == user_id)).rowcount
    if not removed:
        raise NotFound(_("This person is not a focal point of this office."))
    audit.record(sess, "grievances:focal_point:remove", actor_id=actor.id, object_type="user",
                 object_id=user_id, office_id=office_id)
    logger.info("grievance focal point removed office=%s user=%s", office_id, user_id)


def check_reason(reason: str | None) -> str:
    """The reason, stripped, or a 422 on the field (the page and the API say the same)."""
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        raise InvalidInput(errors=[_error("reason", "too-short", _(
            "Write why you need to open it, in at least %(count)d characters.",
            count=REASON_MIN))])
    if len(text) > REASON_MAX:
        raise InvalidInput(errors=[_error("reason", "too-long", _(
            "Write at most %(count)d characters.", count=REASON_MAX))])
    return text


def glass_target(sess: Session, actor: User, grievance_id: int):
    """The grievance the actor may break the glass on: 403 without the permission, 404 outside
    scope, 409 when they see it in full already (nothing to open)."""
    g = access.load(sess, actor, grievance_id, "grievances:break_glass")
    if access.sees_full(sess, actor, g):
        raise Conflict(_("You can already see this grievance in full: there is no glass to "
                         "break."), code="not-masked")
    return g


def break_glass(sess: Session, actor: User, grievance_id: int, reason: str,
                now: datetime | None = None) -> AccessGrant:
    """Open a restricted grievance for a while, with a written reason: audited, noted in its
    history, and the office's focal points told by email."""
    g = glass_target(sess, actor, grievance_id)
    text = check_reason(reason)
    now = now or utcnow()
    hours = current_app.config["GRIEVANCE_BREAK_GLASS_HOURS"]
    grant = AccessGrant(grievance_id=g.id, user_id=actor.id, reason=text, created_at=now,
                        expires_at=now + timedelta(hours=hours))
    sess.add(grant)
    sess.add(GrievanceEntry(grievance_id=g.id, kind=EntryKind.BREAK_GLASS.value,
                            actor_id=actor.id, created_at=now))
    sess.flush()
    notified = _tell_focal_points(sess, actor, g, grant)
    audit.record(sess, "grievances:grievance:break_glass", actor_id=actor.id,
                 object_type="grievance", object_id=g.id, office_id=g.office_id,
                 grant_id=grant.id, expires_at=grant.expires_at.isoformat(),
                 notified=notified)
    logger.info("grievance break-glass id=%s user=%s grant=%s", g.id, actor.id, grant.id)
    return grant


def _tell_focal_points(sess: Session, actor: User, g, grant: AccessGrant) -> list[int]:
    """Queue the email to each active focal point with an address; their ids."""
    office = sess.get(Office, g.office_id)
    users = sess.scalars(sa.select(User).join(FocalPoint, FocalPoint.user_id == User.id).where(
        FocalPoint.office_id == g.office_id, User.is_active.is_(True),
        User.email.is_not(None), User.id != actor.id).order_by(User.id)).all()
    for user in users:
        recipient = Recipient(
            participant_id=None, phone=None, email=user.email, language=user.language,
            fallback_language=None, timezone=office.timezone, channels=("email",),
            params={"name": user.full_name, "reference": g.reference, "centre": office.name,
                    "phone": current_app.config["HELPLINE"]})
        enqueue(sess, recipient, TEMPLATE, {"opened_by": actor.full_name},
                dedupe_key=f"grievance-glass:{grant.id}:{user.id}")
    return [u.id for u in users]
