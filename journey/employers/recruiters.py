"""The recruiters registry: recruitment agencies with their licence (number, issuing authority,
expiry) and the corridors they serve. Staff read it (recruiters:read); supervisors and admins
keep it (recruiters:manage). Names are unique once folded (journey.organisations.models
.organisation_key), as employers' are. A licence expiring within 60 days, or expired, is flagged
(journey.employers.licences). The services never commit.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, NotFound
from journey.core.policy import require
from journey.core.unique import insert_unique
from journey.core.versions import Precondition, bump, check_version
from journey.employers.licences import EXPIRY_WARNING_DAYS, LicenceStatus, licence_status
from journey.employers.models import Recruiter
from journey.organisations.models import organisation_key

logger = logging.getLogger(__name__)

FIELDS = ("name", "country", "licence_number", "issuing_authority", "licence_expires_on",
          "corridors")


def _licensed() -> sa.ColumnElement[bool]:
    return sa.and_(Recruiter.licence_number.is_not(None), Recruiter.licence_number != "",
                   Recruiter.licence_expires_on.is_not(None))


def licence_filter(status: LicenceStatus | str, today: date) -> sa.ColumnElement[bool]:
    """The SQL condition for recruiters whose licence has this status today (as
    licences.licence_status decides it for one recruiter)."""
    status = LicenceStatus(status)
    warn = today + timedelta(days=EXPIRY_WARNING_DAYS)
    expires = Recruiter.licence_expires_on
    if status == LicenceStatus.UNLICENSED:
        return sa.not_(_licensed())
    if status == LicenceStatus.EXPIRED:
        return sa.and_(_licensed(), expires < today)
    if status == LicenceStatus.EXPIRING:
        return sa.and_(_licensed(), expires >= today, expires <= warn)
    return sa.and_(_licensed(), expires > warn)


def list_recruiters(sess: Session, user: User, *, licence: str | None = None,
                    today: date | None = None) -> list[Recruiter]:
    """The registry by name; ``licence`` keeps those whose licence is valid, expiring (within
    60 days), expired or missing (unlicensed) today."""
    require(user, "recruiters:read")
    query = sa.select(Recruiter).order_by(Recruiter.name, Recruiter.id)
    if licence is not None:
        query = query.where(licence_filter(licence, today or utcnow().date()))
    return list(sess.scalars(query))


def with_status(recruiters: list[Recruiter], today: date | None = None) -> list[dict[str, Any]]:
    """Each recruiter with its licence status today (for the list's flags)."""
    today = today or utcnow().date()
    return [{"recruiter": r, "licence_status": licence_status(r, today).value}
            for r in recruiters]


def load_recruiter(sess: Session, user: User, recruiter_id: int,
                   permission: str = "recruiters:read") -> Recruiter:
    """The recruiter, or 404."""
    require(user, permission)
    recruiter = sess.get(Recruiter, recruiter_id)
    if recruiter is None:
        raise NotFound(_("No such recruiter."))
    return recruiter


def _name_taken(existing: int) -> Conflict:
    return Conflict(_("That name is already used."), code="name-taken",
                    extra={"existing_id": existing})


def create_recruiter(sess: Session, user: User, data: dict[str, Any]) -> Recruiter:
    """Add a recruiter to the registry; 409 name-taken (with existing_id) for a name already
    there once folded."""
    require(user, "recruiters:manage")
    recruiter = Recruiter(**{k: data[k] for k in FIELDS if k in data}, created_at=utcnow())
    existing = insert_unique(sess, recruiter, sa.select(Recruiter.id).where(
        Recruiter.name_key == organisation_key(data["name"])))
    if existing is not None:
        raise _name_taken(existing)
    audit.record(sess, "employers:recruiter:create", actor_id=user.id, object_type="recruiter",
                 object_id=recruiter.id)
    logger.info("recruiter created id=%s", recruiter.id)
    return recruiter


def update_recruiter(sess: Session, user: User, recruiter_id: int, data: dict[str, Any], *,
                     expected: Precondition | None) -> Recruiter:
    """Change a recruiter at the version the caller read; names stay unique once folded."""
    recruiter = load_recruiter(sess, user, recruiter_id, "recruiters:manage")
    message = _("Someone changed this recruiter since you read it; reload and try again.")
    check_version(recruiter.version, expected, message)
    if "name" in data:
        other = sess.scalar(sa.select(Recruiter.id).where(
            Recruiter.name_key == organisation_key(data["name"]), Recruiter.id != recruiter.id))
        if other is not None:
            raise _name_taken(other)
    changed = sorted(k for k in FIELDS if k in data and getattr(recruiter, k) != data[k])
    if not changed:
        return recruiter
    for key in changed:
        setattr(recruiter, key, data[key])
    bump(sess, recruiter, expected, message)
    sess.flush()
    audit.record(sess, "employers:recruiter:update", actor_id=user.id, object_type="recruiter",
                 object_id=recruiter.id, fields=changed, version=recruiter.version)
    logger.info("recruiter updated id=%s", recruiter.id)
    return recruiter


def recruiter_choices(sess: Session) -> list[tuple[int, str]]:
    """(id, name) of every recruiter, by name: for a form's select."""
    return [tuple(row) for row in sess.execute(
        sa.select(Recruiter.id, Recruiter.name).order_by(Recruiter.name, Recruiter.id))]
