"""Links between a participant and an outside organisation: the records employer and partner
users may see.

An employer user sees the participants linked to their employer (presented to it, shared with it,
placed with it); a partner user those referred to their service provider. Employers, referrals and
matching create and end links through link() and unlink(); journey.core.policy.participant_scope
reads them. A link is never deleted: ending it keeps who linked whom, and when.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, select

from journey.core import audit
from journey.core.db import UTCDateTime, enum_check, utcnow

logger = logging.getLogger(__name__)


class OrganisationKind(enum.StrEnum):
    EMPLOYER = "employer"
    SERVICE_PROVIDER = "service_provider"


class LinkReason(enum.StrEnum):
    PRESENTED = "presented"  # put forward to an employer as a candidate
    SHARED = "shared"        # a passport shared with the employer
    PLACED = "placed"        # working for the employer
    REFERRED = "referred"    # referred to a service provider


REASONS_BY_KIND = {
    OrganisationKind.EMPLOYER: frozenset({LinkReason.PRESENTED, LinkReason.SHARED,
                                          LinkReason.PLACED}),
    OrganisationKind.SERVICE_PROVIDER: frozenset({LinkReason.REFERRED}),
}


class ParticipantLink(SQLModel, table=True):
    __tablename__ = "participant_links"
    __table_args__ = (
        enum_check("kind", OrganisationKind),
        enum_check("reason", LinkReason),
        # Exactly the organisation of the link's kind, and a reason that fits that kind.
        sa.CheckConstraint(
            "(kind = 'employer' AND employer_id IS NOT NULL AND service_provider_id IS NULL"
            " AND reason IN ('presented', 'shared', 'placed'))"
            " OR (kind = 'service_provider' AND service_provider_id IS NOT NULL"
            " AND employer_id IS NULL AND reason = 'referred')",
            name="organisation_matches_kind",
        ),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= created_at", name="ends_after_start"),
        sa.Index("ix_participant_links_employer_id", "employer_id", "ended_at"),
        sa.Index("ix_participant_links_service_provider_id", "service_provider_id", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    kind: str = Field(max_length=20)
    employer_id: int | None = Field(default=None, foreign_key="employers.id")
    service_provider_id: int | None = Field(default=None, foreign_key="service_providers.id")
    reason: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: int | None = Field(default=None, foreign_key="users.id")


def _organisation(kind: OrganisationKind, organisation_id: int) -> dict[str, int | None]:
    if kind == OrganisationKind.EMPLOYER:
        return {"employer_id": organisation_id, "service_provider_id": None}
    return {"employer_id": None, "service_provider_id": organisation_id}


def _open(sess: Session, participant_id: int, kind: OrganisationKind, organisation_id: int,
          reason: LinkReason) -> ParticipantLink | None:
    where = [ParticipantLink.participant_id == participant_id, ParticipantLink.kind == kind.value,
             ParticipantLink.reason == reason.value, ParticipantLink.ended_at.is_(None)]
    for column, value in _organisation(kind, organisation_id).items():
        if value is not None:
            where.append(getattr(ParticipantLink, column) == value)
    return sess.scalar(select(ParticipantLink).where(*where).limit(1))


def link(sess: Session, actor_id: int | None, participant_id: int, kind: OrganisationKind | str,
         organisation_id: int, reason: LinkReason | str, *,
         office_id: int | None = None) -> ParticipantLink:
    """Link a participant to an employer or service provider; an open link of the same reason is
    reused, so calling twice links once."""
    kind, reason = OrganisationKind(kind), LinkReason(reason)
    if reason not in REASONS_BY_KIND[kind]:
        raise ValueError(f"a {kind.value} link cannot be {reason.value!r}")
    existing = _open(sess, participant_id, kind, organisation_id, reason)
    if existing is not None:
        return existing
    row = ParticipantLink(participant_id=participant_id, kind=kind.value, reason=reason.value,
                          created_at=utcnow(), created_by=actor_id,
                          **_organisation(kind, organisation_id))
    sess.add(row)
    sess.flush()
    audit.record(sess, "participants:link:create", actor_id=actor_id, object_type="participant",
                 object_id=participant_id, office_id=office_id, kind=kind.value,
                 organisation_id=organisation_id, reason=reason.value, link_id=row.id)
    logger.info("participant linked participant=%s kind=%s org=%s reason=%s",
                participant_id, kind.value, organisation_id, reason.value)
    return row


def unlink(sess: Session, actor_id: int | None, participant_id: int, kind: OrganisationKind | str,
           organisation_id: int, reason: LinkReason | str, *,
           office_id: int | None = None) -> ParticipantLink | None:
    """End the open link of this reason, if any; the participant stays in the organisation's
    scope while another reason still links them."""
    kind, reason = OrganisationKind(kind), LinkReason(reason)
    row = _open(sess, participant_id, kind, organisation_id, reason)
    if row is None:
        return None
    row.ended_at, row.ended_by = utcnow(), actor_id
    sess.flush()
    audit.record(sess, "participants:link:end", actor_id=actor_id, object_type="participant",
                 object_id=participant_id, office_id=office_id, kind=kind.value,
                 organisation_id=organisation_id, reason=reason.value, link_id=row.id)
    return row


def end_all(sess: Session, participant, actor_id: int | None) -> int:
    """End every open link of the participant (erasure: no outside organisation keeps them in
    its scope); the rows stay, with who ended them and when. Returns how many were ended."""
    t = ParticipantLink.__table__
    return sess.connection().execute(
        t.update().where(t.c.participant_id == participant.id, t.c.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_by=actor_id)).rowcount


def linked_participants(kind: OrganisationKind, organisation_id: int) -> sa.Select:
    """The ids of the participants an organisation is linked to now (for an IN clause)."""
    column = (ParticipantLink.employer_id if kind == OrganisationKind.EMPLOYER
              else ParticipantLink.service_provider_id)
    return select(ParticipantLink.participant_id).where(
        ParticipantLink.kind == kind.value, column == organisation_id,
        ParticipantLink.ended_at.is_(None))
