"""An employer's record: its contact people, its Employer Pays commitments, its users, and its
verification (pending, verified, suspended). The services never commit.

Staff (employers:read) read any employer's record; an employer user (employers:own) reads only
their own employer's, and any other reads as missing (404). Admins keep the contacts and record
the commitments (employers:manage) and verify or suspend (employers:verify), each audited with
ids only. The employer row itself (name, country, sector, ISIC code) is created and edited
through journey.organisations.services.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, NotFound
from journey.core.policy import STAFF, Role, require
from journey.core.unique import insert_unique
from journey.core.versions import Precondition, bump, check_version
from journey.employers.models import EmployerContact, EmployerPaysCommitment, Verification
from journey.organisations.models import Employer

logger = logging.getLogger(__name__)


def _stale() -> str:
    return _("Someone changed this employer since you read it; reload and try again.")


def _staff(user: User) -> bool:
    return user.is_active and Role(user.role) in STAFF


def load_employer(sess: Session, user: User, employer_id: int,
                  permission: str = "employers:read") -> Employer:
    """The employer if this user may see it: staff with the permission any; an employer user
    their own (employers:own) and no other (404); anyone else 403."""
    if Role(user.role) == Role.EMPLOYER and permission == "employers:read":
        require(user, "employers:own")
        if user.employer_id != employer_id:
            raise NotFound(_("No such employer."))
    else:
        require(user, permission)
    employer = sess.get(Employer, employer_id)
    if employer is None:
        raise NotFound(_("No such employer."))
    return employer


def contacts(sess: Session, employer_id: int) -> list[EmployerContact]:
    """The employer's current contact people (removed ones are kept, but not listed)."""
    return list(sess.scalars(
        sa.select(EmployerContact).where(EmployerContact.employer_id == employer_id,
                                         EmployerContact.removed_at.is_(None))
        .order_by(EmployerContact.name, EmployerContact.id)))


def commitments(sess: Session, employer_id: int) -> list[EmployerPaysCommitment]:
    """Every commitment the employer signed, the one that counts (the latest) first."""
    return list(sess.scalars(
        sa.select(EmployerPaysCommitment).where(EmployerPaysCommitment.employer_id == employer_id)
        .order_by(EmployerPaysCommitment.signed_on.desc(), EmployerPaysCommitment.id.desc())))


def latest_commitment(sess: Session, employer_id: int) -> EmployerPaysCommitment | None:
    """The Employer Pays commitment that counts: the latest signed, or None."""
    return sess.scalars(
        sa.select(EmployerPaysCommitment).where(EmployerPaysCommitment.employer_id == employer_id)
        .order_by(EmployerPaysCommitment.signed_on.desc(), EmployerPaysCommitment.id.desc())
        .limit(1)).first()


def employer_users(sess: Session, employer_id: int) -> list[User]:
    """The users acting for this employer (role employer), active ones first."""
    return list(sess.scalars(
        sa.select(User).where(User.employer_id == employer_id, User.role == Role.EMPLOYER.value)
        .order_by(User.is_active.desc(), User.full_name, User.id)))


def read_employer(sess: Session, user: User, employer_id: int) -> dict[str, Any]:
    """An employer's full record: the employer, its contacts, its commitments (the latest
    first, and the one that counts apart) and, for staff, its users. The read is audited."""
    employer = load_employer(sess, user, employer_id)
    found = {
        "employer": employer, "contacts": contacts(sess, employer.id),
        "commitments": commitments(sess, employer.id),
        "users": employer_users(sess, employer.id) if _staff(user) else [],
    }
    found["commitment"] = found["commitments"][0] if found["commitments"] else None
    audit.record(sess, "employers:employer:read", actor_id=user.id, object_type="employer",
                 object_id=employer.id)
    return found


def own_employer(sess: Session, user: User) -> dict[str, Any]:
    """The record of the employer this employer user acts for (404 when they have none)."""
    require(user, "employers:own")
    if user.employer_id is None:
        raise NotFound(_("No such employer."))
    return read_employer(sess, user, user.employer_id)


def list_employers(sess: Session, user: User, *, verification: str | None = None
                   ) -> list[dict[str, Any]]:
    """Every employer by name, with its verification, the commitment that counts (or None) and
    how many users and contacts it has: the staff list."""
    require(user, "employers:read")
    query = sa.select(Employer).order_by(Employer.name, Employer.id)
    if verification is not None:
        query = query.where(Employer.verification == verification)
    rows = list(sess.scalars(query))
    ids = [e.id for e in rows]
    latest: dict[int, EmployerPaysCommitment] = {}
    if ids:
        for c in sess.scalars(sa.select(EmployerPaysCommitment)
                              .where(EmployerPaysCommitment.employer_id.in_(ids))
                              .order_by(EmployerPaysCommitment.signed_on,
                                        EmployerPaysCommitment.id)):
            latest[c.employer_id] = c  # ordered: the last one seen is the latest
    users = dict(sess.execute(
        sa.select(User.employer_id, sa.func.count()).where(
            User.employer_id.is_not(None), User.role == Role.EMPLOYER.value,
            User.is_active.is_(True)).group_by(User.employer_id)).all())
    return [{"employer": e, "commitment": latest.get(e.id), "users": users.get(e.id, 0)}
            for e in rows]


# -- contacts --------------------------------------------------------------------------------

_CONTACT_FIELDS = ("name", "role", "email", "phone", "language")


def load_contact(sess: Session, employer: Employer, contact_id: int) -> EmployerContact:
    """A current contact person of this employer, or 404."""
    contact = sess.get(EmployerContact, contact_id)
    if contact is None or contact.employer_id != employer.id or contact.removed_at is not None:
        raise NotFound(_("No such contact."))
    return contact


def add_contact(sess: Session, user: User, employer_id: int, data: dict[str, Any]
                ) -> EmployerContact:
    """Add a contact person to the employer (admins)."""
    employer = load_employer(sess, user, employer_id, "employers:manage")
    contact = EmployerContact(employer_id=employer.id, created_at=utcnow(),
                              **{k: data[k] for k in _CONTACT_FIELDS if data.get(k) is not None})
    sess.add(contact)
    sess.flush()
    audit.record(sess, "employers:contact:create", actor_id=user.id, object_type="employer_contact",
                 object_id=contact.id, employer_id=employer.id)
    logger.info("employer contact added id=%s employer=%s", contact.id, employer.id)
    return contact


def update_contact(sess: Session, user: User, employer_id: int, contact_id: int,
                   data: dict[str, Any]) -> EmployerContact:
    """Change a contact person's details (admins)."""
    employer = load_employer(sess, user, employer_id, "employers:manage")
    contact = load_contact(sess, employer, contact_id)
    changed = sorted(k for k in _CONTACT_FIELDS if k in data and getattr(contact, k) != data[k])
    if not changed:
        return contact
    for key in changed:
        setattr(contact, key, data[key])
    sess.flush()
    audit.record(sess, "employers:contact:update", actor_id=user.id,
                 object_type="employer_contact", object_id=contact.id, employer_id=employer.id,
                 fields=changed)
    return contact


def remove_contact(sess: Session, user: User, employer_id: int, contact_id: int) -> None:
    """Remove a contact person (admins). The row stays, marked removed: a link once sent to
    them still names whom it went to."""
    employer = load_employer(sess, user, employer_id, "employers:manage")
    contact = load_contact(sess, employer, contact_id)
    contact.removed_at = utcnow()
    sess.flush()
    audit.record(sess, "employers:contact:remove", actor_id=user.id,
                 object_type="employer_contact", object_id=contact.id, employer_id=employer.id)


# -- Employer Pays commitments ---------------------------------------------------------------

def record_commitment(sess: Session, user: User, employer_id: int, data: dict[str, Any]
                      ) -> EmployerPaysCommitment:
    """Record a signed Employer Pays commitment (admins); 409 if that version is recorded."""
    employer = load_employer(sess, user, employer_id, "employers:manage")
    row = EmployerPaysCommitment(
        employer_id=employer.id, version=data["version"], signed_on=data["signed_on"],
        signatory_name=data["signatory_name"], signatory_title=data.get("signatory_title"),
        recorded_by=user.id, recorded_at=utcnow())
    existing = insert_unique(sess, row, sa.select(EmployerPaysCommitment.id).where(
        EmployerPaysCommitment.employer_id == employer.id,
        EmployerPaysCommitment.version == data["version"]))
    if existing is not None:
        raise Conflict(_("This version of the commitment is already recorded for this employer."),
                       code="commitment-version-taken", extra={"existing_id": existing})
    audit.record(sess, "employers:commitment:create", actor_id=user.id,
                 object_type="employer_pays_commitment", object_id=row.id,
                 employer_id=employer.id, version=row.version,
                 signed_on=row.signed_on.isoformat())
    logger.info("employer pays commitment recorded id=%s employer=%s", row.id, employer.id)
    return row


# -- verification ----------------------------------------------------------------------------

def verify(sess: Session, user: User, employer_id: int, status: str, *,
           expected: Precondition | None = None, now: datetime | None = None) -> Employer:
    """Set the employer's verification (admins), audited. Verifying needs an Employer Pays
    commitment on record (409 commitment-missing): a verified employer gets candidates, and
    must have promised that no migrant pays to be recruited."""
    employer = load_employer(sess, user, employer_id, "employers:verify")
    status = Verification(status).value
    check_version(employer.version, expected, _stale())
    if employer.verification == status:
        return employer
    if status == Verification.VERIFIED.value and latest_commitment(sess, employer.id) is None:
        raise Conflict(_("Record the employer's signed Employer Pays commitment before verifying "
                         "it."), code="commitment-missing")
    previous = employer.verification
    bump(sess, employer, expected, _stale())
    employer.verification = status
    if status == Verification.VERIFIED.value:
        employer.verified_at = now or utcnow()
    sess.flush()
    audit.record(sess, "employers:employer:verify", actor_id=user.id, object_type="employer",
                 object_id=employer.id, from_status=previous, to_status=status,
                 version=employer.version)
    logger.info("employer verification id=%s %s->%s", employer.id, previous, status)
    return employer
