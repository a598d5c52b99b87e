"""Who sees which vacancy, candidacy and placement: decided here, for single records and lists.

* Staff (admins, supervisors, caseworkers) see every vacancy: a vacancy names no one. They see the
  candidacies and placements of the participants in their scope (journey.core.policy).
* An employer user sees only their own employer's vacancies, the candidacies presented to it
  (while the person is linked to it, and not once withdrawn) and its placements. Anything else
  reads as missing (404), so ids cannot be probed. Of a candidate they see only what
  journey.passports.disclosure allows (journey.employers.candidates).
* Partner users see none of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.core.links import OrganisationKind, linked_participants
from journey.core.policy import STAFF, Role, participant_scope, require
from journey.employers.models import Candidacy, CandidacyState, Placement, Vacancy
from journey.participants.models import Participant


def is_employer(user: User) -> bool:
    return Role(user.role) == Role.EMPLOYER


def employer_id_of(user: User) -> int | None:
    """The employer an employer user acts for; None for staff."""
    return user.employer_id if is_employer(user) else None


def vacancy_scope(user: User) -> sa.ColumnElement[bool]:
    """The vacancies this user may see."""
    if not user.is_active:
        return sa.false()
    if Role(user.role) in STAFF:
        return sa.true()
    if is_employer(user) and user.employer_id is not None:
        return Vacancy.employer_id == user.employer_id
    return sa.false()


def _person_scope(user: User, participant_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Staff: the participant is in their scope (their office; admins everyone)."""
    office = sa.select(Participant.office_id).where(Participant.id == participant_id)
    return participant_scope(user, participant_id, office.scalar_subquery())


def candidacy_scope(user: User) -> sa.ColumnElement[bool]:
    """The candidacies this user may see: an employer's own; staff those of their participants."""
    if not user.is_active:
        return sa.false()
    if is_employer(user) and user.employer_id is not None:
        # A candidacy withdrawn, or of a person no longer linked to the employer (consent to
        # share with employers withdrawn ends every "presented" link, rejected ones included),
        # leaves the employer's sight altogether: name and passport too.
        return sa.and_(Candidacy.employer_id == user.employer_id,
                       Candidacy.state != CandidacyState.WITHDRAWN.value,
                       Candidacy.participant_id.in_(linked_participants(
                           OrganisationKind.EMPLOYER, user.employer_id)))
    if Role(user.role) in STAFF:
        return sa.true() if Role(user.role) == Role.ADMIN else _person_scope(
            user, Candidacy.participant_id)
    return sa.false()


def placement_scope(user: User) -> sa.ColumnElement[bool]:
    """The placements this user may see: an employer's own; staff those of their participants."""
    if not user.is_active:
        return sa.false()
    if is_employer(user) and user.employer_id is not None:
        return Placement.employer_id == user.employer_id
    if Role(user.role) in STAFF:
        return sa.true() if Role(user.role) == Role.ADMIN else _person_scope(
            user, Placement.participant_id)
    return sa.false()


def load_vacancy(sess: Session, user: User, vacancy_id: int, permission: str) -> Vacancy:
    """The vacancy if the user may see it: 403 for the wrong role, 404 outside their scope."""
    require(user, permission)
    row = sess.scalar(sa.select(Vacancy).where(Vacancy.id == vacancy_id, vacancy_scope(user)))
    if row is None:
        raise NotFound(_("No such vacancy."))
    return row


def load_candidacy(sess: Session, user: User, candidacy_id: int, permission: str,
                   *, vacancy_id: int | None = None) -> Candidacy:
    """The candidacy if the user may see it (and it is of that vacancy, when given)."""
    require(user, permission)
    where = [Candidacy.id == candidacy_id, candidacy_scope(user)]
    if vacancy_id is not None:
        where.append(Candidacy.vacancy_id == vacancy_id)
    row = sess.scalar(sa.select(Candidacy).where(*where))
    if row is None:
        raise NotFound(_("No such candidate."))
    return row


def load_placement(sess: Session, user: User, placement_id: int, permission: str) -> Placement:
    """The placement if the user may see it."""
    require(user, permission)
    row = sess.scalar(sa.select(Placement).where(Placement.id == placement_id,
                                                 placement_scope(user)))
    if row is None:
        raise NotFound(_("No such placement."))
    return row
