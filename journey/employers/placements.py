"""Placements: opened when an employer selects a candidate, one active per participant, through
a licensed recruiter only. Services never commit."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit, links
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict
from journey.core.i18n import _
from journey.core.links import LinkReason, OrganisationKind
from journey.core.unique import insert_unique
from journey.employers.licences import check_may_recruit, corridor
from journey.employers.models import Candidacy, Placement, PlacementStatus, Vacancy
from journey.employers.onboarding import open_steps
from journey.participants.models import Participant
from journey.programmes.models import Programme

logger = logging.getLogger(__name__)


def active_placement(sess: Session, participant_id: int) -> Placement | None:
    return sess.scalar(sa.select(Placement).where(
        Placement.participant_id == participant_id,
        Placement.status == PlacementStatus.ACTIVE.value))


def check_no_active_placement(sess: Session, participant_id: int) -> None:
    """409 placement-active while the participant holds an active placement."""
    current = active_placement(sess, participant_id)
    if current is not None:
        raise Conflict(_("The participant already holds an active placement; end it first."),
                       code="placement-active", extra={"placement_id": current.id})


def open_placement(sess: Session, actor: User, candidacy: Candidacy, *,
                   today: date | None = None) -> Placement:
    """The placement of a selected candidate: refused (409) while the participant holds another
    active one or when the recruiter may not place on the programme's corridor. Opens the
    programme's onboarding steps and links the participant to the employer as placed."""
    today = today or utcnow().date()
    vacancy = sess.get(Vacancy, candidacy.vacancy_id)
    programme = sess.get(Programme, vacancy.programme_id) if vacancy else None
    check_no_active_placement(sess, candidacy.participant_id)
    code = (corridor(programme.origin_country, programme.destination_country)
            if programme is not None else None)
    check_may_recruit(sess, candidacy.recruiter_id, corridor_code=code, today=today)
    previous = sess.scalar(sa.select(Placement.id).where(
        Placement.participant_id == candidacy.participant_id,
        Placement.employer_id == candidacy.employer_id,
        Placement.status == PlacementStatus.ENDED.value).order_by(Placement.id.desc()).limit(1))
    placement = Placement(
        participant_id=candidacy.participant_id, employer_id=candidacy.employer_id,
        vacancy_id=candidacy.vacancy_id, candidacy_id=candidacy.id,
        recruiter_id=candidacy.recruiter_id, programme_id=programme.id if programme else None,
        contract_start=vacancy.start_date if vacancy else None, rehire_of_id=previous,
        created_by=actor.id, created_at=utcnow())
    # A concurrent selection of the same participant that slipped past the check above meets
    # the partial unique index (one active placement) here: a 409, not a 500.
    winner = insert_unique(sess, placement, sa.select(Placement.id).where(
        Placement.participant_id == candidacy.participant_id,
        Placement.status == PlacementStatus.ACTIVE.value))
    if winner is not None:
        raise Conflict(_("The participant already holds an active placement; end it first."),
                       code="placement-active", extra={"placement_id": winner})
    open_steps(sess, placement, programme, placement.contract_start)
    office_id = sess.scalar(sa.select(Participant.office_id)
                            .where(Participant.id == candidacy.participant_id))
    links.link(sess, actor.id, candidacy.participant_id, OrganisationKind.EMPLOYER,
               candidacy.employer_id, LinkReason.PLACED, office_id=office_id)
    audit.record(sess, "employers:placement:create", actor_id=actor.id,
                 object_type="placement", object_id=placement.id, office_id=office_id,
                 participant_id=candidacy.participant_id, employer_id=candidacy.employer_id,
                 vacancy_id=candidacy.vacancy_id, recruiter_id=candidacy.recruiter_id,
                 rehire_of_id=previous)
    logger.info("placement opened placement=%s participant=%s employer=%s", placement.id,
                candidacy.participant_id, candidacy.employer_id)
    return placement
