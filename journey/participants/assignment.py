"""The caseworker who holds a participant's case: who may be assigned, and who may assign.

Supervisors and admins assign any active caseworker or supervisor of the participant's office
(or leave the case unassigned); a caseworker may only take an unassigned case for themselves. A
caseworker who registers someone holds the case unless they name another (recorded on the
registration's audit event). Every later change is audited and goes on the participant's timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit, timeline
from journey.core.auth import User
from journey.core.errors import InvalidInput
from journey.core.i18n import _
from journey.core.policy import Role
from journey.participants.models import Participant

ASSIGNED = "caseworker_assigned"
ASSIGNABLE_ROLES = (Role.CASEWORKER.value, Role.SUPERVISOR.value)


def _refuse(code: str, message: str) -> InvalidInput:
    return InvalidInput(errors=[{"field": "caseworker_id", "code": code, "message": message}])


def may_assign_anyone(actor: User) -> bool:
    """Whether the actor may assign anyone (supervisors and admins), not only take a free case."""
    return Role(actor.role) in (Role.ADMIN, Role.SUPERVISOR)


def check_assignment(sess: Session, actor: User, office_id: int, current: int | None,
                     new: int | None) -> None:
    """Refuse (a field error on caseworker_id) an assignment the actor may not make, or of a
    user who is not an active caseworker or supervisor of the office."""
    if new == current:
        return
    if not may_assign_anyone(actor) and not (current is None and new == actor.id):
        raise _refuse("not-allowed", _("Only a supervisor can reassign a case; you can take an "
                                       "unassigned case for yourself."))
    if new is None:
        return
    user = sess.get(User, new)
    if (user is None or not user.is_active or user.role not in ASSIGNABLE_ROLES
            or user.office_id != office_id):
        raise _refuse("not-eligible", _("Choose an active caseworker or supervisor of the "
                                        "participant's office."))


def default_caseworker(actor: User, data: dict[str, Any]) -> int | None:
    """The caseworker of a new record: the one named, else the caseworker registering it."""
    if "caseworker_id" in data:
        return data["caseworker_id"]
    return actor.id if Role(actor.role) == Role.CASEWORKER else None


def record_assignment(sess: Session, actor: User, p: Participant, previous: int | None) -> None:
    """Audit a change of caseworker and put it on the participant's timeline (ids only)."""
    audit.record(sess, "participants:participant:assign", actor_id=actor.id,
                 object_type="participant", object_id=p.id, office_id=p.office_id,
                 caseworker_id=p.caseworker_id, previous_caseworker_id=previous)
    timeline.record(sess, p, ASSIGNED, actor_id=actor.id, caseworker_id=p.caseworker_id,
                    previous_caseworker_id=previous)


def assignable_users(sess: Session, office_id: int) -> list[User]:
    """The active caseworkers and supervisors of an office, by name (the choices of a form)."""
    return list(sess.scalars(select(User).where(
        User.office_id == office_id, User.is_active.is_(True),
        User.role.in_(ASSIGNABLE_ROLES)).order_by(User.full_name, User.id)))
