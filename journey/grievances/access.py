"""Who sees which grievance, and how much of it: decided here, for single records, lists,
counts and search alike.

* Scope: admins every office; supervisors and caseworkers their own office. Employer and partner
  users hold no grievance permission at all, so a grievance against an employer is never shown
  to it, nor anything identifying the complainant.
* A restricted grievance shows in full only to its office's focal points, its assignee and a
  supervisor or admin who broke the glass (an AccessGrant, with a written reason, audited, the
  focal points notified). Anyone else in scope sees that it exists, with the identifying fields
  masked (MASKED_FIELDS), and a search never matches it by those fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.core.policy import OFFICE_ROLES, Role, require
from journey.grievances.models import AccessGrant, Confidentiality, FocalPoint, Grievance

_G = Grievance.__table__
_F = FocalPoint.__table__
_A = AccessGrant.__table__

# What a masked grievance hides: who complained, about whom, what they said, and what it is about
# (a category such as harassment, beside a date, can point to a person as surely as a name).
MASKED_FIELDS = ("category", "participant_id", "contact_phone", "contact_email", "against_kind",
                 "against_employer_id", "against_recruiter_id", "against_name", "description",
                 "desired_outcome", "resolution_summary", "appeal_of_id")


def scope(user: User, table: sa.Table = _G) -> sa.ColumnElement[bool]:
    """The grievances this user may know exist at all."""
    if not user.is_active:
        return sa.false()
    role = Role(user.role)
    if role == Role.ADMIN:
        return sa.true()
    if role in OFFICE_ROLES and user.office_id is not None:
        return table.c.office_id == user.office_id
    return sa.false()


def full_view(user: User, now: datetime | None = None, table: sa.Table = _G
              ) -> sa.ColumnElement[bool]:
    """Among those in scope, the ones this user sees unmasked."""
    now = now or utcnow()
    focal = sa.exists().where(_F.c.office_id == table.c.office_id, _F.c.user_id == user.id)
    granted = sa.exists().where(_A.c.grievance_id == table.c.id, _A.c.user_id == user.id,
                                _A.c.expires_at > now)
    # An unassigned row must make the assignee term false, not NULL: NOT(full_view) has to
    # select the masked rows (counts of them), and NOT NULL selects nothing.
    assigned = sa.and_(table.c.assignee_id.is_not(None), table.c.assignee_id == user.id)
    return sa.or_(table.c.confidentiality != Confidentiality.RESTRICTED.value, assigned, focal,
                  granted)


def is_focal_point(sess: Session, user_id: int, office_id: int) -> bool:
    return sess.scalar(sa.select(sa.exists().where(_F.c.office_id == office_id,
                                                   _F.c.user_id == user_id))) or False


def focal_points(sess: Session, office_id: int) -> list[int]:
    return list(sess.scalars(sa.select(_F.c.user_id).where(_F.c.office_id == office_id)
                             .order_by(_F.c.user_id)))


def sees_full(sess: Session, user: User, g: Grievance, now: datetime | None = None) -> bool:
    """Whether this user sees the grievance unmasked (it is in their scope)."""
    if g.confidentiality != Confidentiality.RESTRICTED.value or g.assignee_id == user.id:
        return True
    if is_focal_point(sess, user.id, g.office_id):
        return True
    now = now or utcnow()
    return sess.scalar(sa.select(sa.exists().where(
        _A.c.grievance_id == g.id, _A.c.user_id == user.id, _A.c.expires_at > now))) or False


def load(sess: Session, user: User, grievance_id: int, permission: str = "grievances:read"
         ) -> Grievance:
    """The grievance if the user may know of it: 403 for the wrong role, 404 outside scope."""
    require(user, permission)
    g = sess.scalar(sa.select(Grievance).where(Grievance.id == grievance_id, scope(user)))
    if g is None:
        raise NotFound(_("No such grievance."))
    return g


def masked(values: dict[str, Any]) -> dict[str, Any]:
    """A grievance's fields with the identifying ones blanked, and ``masked`` set."""
    return {**values, **{name: None for name in MASKED_FIELDS}, "masked": True}


def require_read(user: User) -> None:
    require(user, "grievances:read")
