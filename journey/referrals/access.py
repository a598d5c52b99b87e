"""Who sees which referral and which directory entry: decided here, for single records and lists.

* Staff (admins, supervisors, caseworkers) see the referrals of the participants in their scope
  (journey.core.policy: their office; admins everyone), and every directory entry, confidential
  locations included.
* A partner user sees only the referrals sent to their own service provider (never drafts), while
  the person is linked to it (withdrawing consent to share with service providers ends the link,
  and the partner's sight of the person with it). Of the person they see only the fields the
  caseworker shared (journey.referrals.disclosure). Anything else reads as missing (404), so ids
  cannot be probed. In the directory they never see a confidential location.
* Employers see none of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.core.links import OrganisationKind, linked_participants
from journey.core.policy import STAFF, Role, participant_scope, require
from journey.participants.models import Participant
from journey.referrals.models import DirectoryLocation, DirectoryService, Referral
from journey.referrals.states import State


def is_partner(user: User) -> bool:
    return Role(user.role) == Role.PARTNER


def is_staff(user: User) -> bool:
    return Role(user.role) in STAFF


def provider_id_of(user: User) -> int | None:
    """The service provider a partner user acts for; None for staff."""
    return user.provider_id if is_partner(user) else None


def referral_scope(user: User) -> sa.ColumnElement[bool]:
    """The referrals this user may see."""
    if not user.is_active:
        return sa.false()
    if is_partner(user) and user.provider_id is not None:
        return sa.and_(Referral.provider_id == user.provider_id,
                       Referral.state != State.DRAFT.value,
                       Referral.participant_id.in_(linked_participants(
                           OrganisationKind.SERVICE_PROVIDER, user.provider_id)))
    if is_staff(user):
        if Role(user.role) == Role.ADMIN:
            return sa.true()
        office = sa.select(Participant.office_id).where(Participant.id == Referral.participant_id)
        return participant_scope(user, Referral.participant_id, office.scalar_subquery())
    return sa.false()


def load_referral(sess: Session, user: User, referral_id: int, permission: str,
                  *, for_update: bool = False) -> Referral:
    """The referral if the user may see it: 403 for the wrong role, 404 outside their scope."""
    require(user, permission)
    query = sa.select(Referral).where(Referral.id == referral_id, referral_scope(user))
    if for_update:
        query = query.with_for_update()
    row = sess.scalar(query)
    if row is None:
        raise NotFound(_("No such referral."))
    return row


def location_visible(user: User | None) -> sa.ColumnElement[bool]:
    """The directory locations this user may see: staff every one; anyone else (partners, the
    public pages: user None) only those that are not confidential."""
    if user is not None and user.is_active and is_staff(user):
        return sa.true()
    return DirectoryLocation.confidential.is_(False)


def sees_confidential(user: User | None) -> bool:
    return user is not None and user.is_active and is_staff(user)


def load_service(sess: Session, user: User, service_id: int, permission: str) -> DirectoryService:
    """A directory service (every status: staff manage inactive ones too)."""
    require(user, permission)
    row = sess.get(DirectoryService, service_id)
    if row is None:
        raise NotFound(_("No such service."))
    return row
