"""The small reads of the employer's own pages that no other service gives: the home page's
figures, the choices of the vacancy form, the names shown beside placements (as disclosed) and
their retention checks. Every read is within the employer's own rows (journey.employers.access).
Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.employers.access import employer_id_of
from journey.employers.models import (
    Candidacy,
    CandidacyState,
    EmployerPaysCommitment,
    OnboardingStep,
    Placement,
    PlacementStatus,
    RetentionCheck,
    StepStatus,
    Vacancy,
    VacancyStatus,
)
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme, ProgrammeEmployer
from journey.taxonomy.models import EscoOccupation

MAX_CHOICES = 300  # occupations offered in the vacancy form's list


def _employer_id(user: User) -> int:
    employer_id = employer_id_of(user)
    if employer_id is None:  # the pages require employers:own; this is a second lock
        raise ValueError("not an employer user")
    return employer_id


def home_figures(sess: Session, user: User, *, today: date | None = None) -> dict[str, Any]:
    """The counts on an employer's home page: vacancies by status, open vacancies with
    candidates waiting for a first decision, onboarding steps waiting (and overdue), active
    placements and retention checks due; the verification status and the signed commitment."""
    employer_id = _employer_id(user)
    today = today or utcnow().date()
    employer = sess.get(Employer, employer_id)
    by_status = dict(sess.execute(
        sa.select(Vacancy.status, sa.func.count()).where(Vacancy.employer_id == employer_id)
        .group_by(Vacancy.status)).all())
    new_candidates = sess.execute(
        sa.select(Vacancy.id, Vacancy.title, sa.func.count(Candidacy.id))
        .join(Candidacy, Candidacy.vacancy_id == Vacancy.id)
        .where(Vacancy.employer_id == employer_id, Vacancy.status == VacancyStatus.OPEN.value,
               Candidacy.employer_id == employer_id,
               Candidacy.state == CandidacyState.PRESENTED.value)
        .group_by(Vacancy.id, Vacancy.title).order_by(Vacancy.id)).all()
    active = (Placement.employer_id == employer_id,
              Placement.status == PlacementStatus.ACTIVE.value)
    waiting = sa.select(sa.func.count(), sa.func.count(sa.case(
        (OnboardingStep.due_on < today, 1)))).join(
        Placement, Placement.id == OnboardingStep.placement_id).where(
        *active, OnboardingStep.status == StepStatus.WAITING.value)
    steps_waiting, steps_overdue = sess.execute(waiting).one()
    placements = sess.scalar(sa.select(sa.func.count()).select_from(Placement).where(*active))
    retention_due = sess.scalar(
        sa.select(sa.func.count()).select_from(RetentionCheck)
        .join(Placement, Placement.id == RetentionCheck.placement_id)
        .where(Placement.employer_id == employer_id, RetentionCheck.recorded_at.is_(None),
               RetentionCheck.due_on <= today))
    commitment = sess.scalar(
        sa.select(EmployerPaysCommitment).where(EmployerPaysCommitment.employer_id == employer_id)
        .order_by(EmployerPaysCommitment.signed_on.desc(), EmployerPaysCommitment.id.desc())
        .limit(1))
    return {"employer": employer, "vacancies": {s.value: by_status.get(s.value, 0)
                                                for s in VacancyStatus},
            "new_candidates": [{"vacancy_id": vid, "title": title, "count": n}
                               for vid, title, n in new_candidates],
            "steps_waiting": steps_waiting, "steps_overdue": steps_overdue,
            "placements": placements, "retention_due": retention_due, "commitment": commitment}


def programme_choices(sess: Session, user: User) -> list[tuple[int, str]]:
    """The programmes the employer takes part in, for the vacancy form."""
    rows = sess.execute(
        sa.select(Programme.id, Programme.name).join(
            ProgrammeEmployer, ProgrammeEmployer.programme_id == Programme.id)
        .where(ProgrammeEmployer.employer_id == _employer_id(user)).order_by(Programme.name))
    return [(pid, name) for pid, name in rows]


def occupation_choices(sess: Session, user: User) -> list[tuple[str, str]]:
    """ESCO occupations of the ISCO groups the employer's programmes recruit for (every one
    when the programmes name none), for the vacancy form's list."""
    codes: set[str] = set()
    for occupations in sess.scalars(
            sa.select(Programme.occupations).join(
                ProgrammeEmployer, ProgrammeEmployer.programme_id == Programme.id)
            .where(ProgrammeEmployer.employer_id == _employer_id(user))):
        codes.update(str(c) for c in occupations or [])
    stmt = sa.select(EscoOccupation.uri, EscoOccupation.label, EscoOccupation.isco_code)
    if codes:
        stmt = stmt.where(EscoOccupation.isco_code.in_(sorted(codes)))
    rows = sess.execute(stmt.order_by(EscoOccupation.label).limit(MAX_CHOICES))
    return [(uri, f"{label} ({isco})") for uri, label, isco in rows]


def occupation_label(sess: Session, occupation_uri: str | None) -> str | None:
    """The ESCO label of an occupation (as the taxonomy holds it, in English)."""
    if not occupation_uri:
        return None
    return sess.scalar(sa.select(EscoOccupation.label)
                       .where(EscoOccupation.uri == occupation_uri))


def skills_used(sess: Session, user: User, *, limit: int = 60) -> list[str]:
    """The ESCO skills the employer named in its vacancies so far: the form offers them again."""
    found: list[str] = []
    rows = sess.execute(sa.select(Vacancy.required_skills, Vacancy.optional_skills)
                        .where(Vacancy.employer_id == _employer_id(user))
                        .order_by(Vacancy.id.desc()).limit(200))
    for required, optional in rows:
        for uri in [*(required or []), *(optional or [])]:
            if uri not in found:
                found.append(uri)
    return found[:limit]


def disclosed_names(sess: Session, user: User, participant_ids: Iterable[int]) -> dict[int, str]:
    """The names of workers the employer may know: those presented to it with their consent to
    share with employers (a candidacy not withdrawn) or placed with it, as the candidate page
    shows them (journey.passports.disclosure.for_employer). Anyone else is left out. The read is
    audited (ids only)."""
    employer_id = _employer_id(user)
    wanted = sorted(set(participant_ids))
    if not wanted:
        return {}
    presented = sa.select(Candidacy.participant_id).where(
        Candidacy.employer_id == employer_id, Candidacy.participant_id.in_(wanted),
        Candidacy.state != CandidacyState.WITHDRAWN.value)
    placed = sa.select(Placement.participant_id).where(
        Placement.employer_id == employer_id, Placement.participant_id.in_(wanted))
    rows = sess.execute(sa.select(Participant.id, Participant.given_name, Participant.family_name)
                        .where(Participant.id.in_(presented.union(placed))))
    names = {pid: f"{given} {family}".strip() for pid, given, family in rows}
    if names:
        audit.record(sess, "employers:worker:read_names", actor_id=user.id,
                     object_type="employer", object_id=employer_id, ids=sorted(names))
    return names


def retention_by_placement(sess: Session, placement_ids: Iterable[int]
                           ) -> dict[int, dict[int, RetentionCheck]]:
    """The retention checks of these placements (already in the user's scope), by months."""
    ids = sorted(set(placement_ids))
    out: dict[int, dict[int, RetentionCheck]] = {pid: {} for pid in ids}
    if ids:
        for row in sess.scalars(sa.select(RetentionCheck)
                                .where(RetentionCheck.placement_id.in_(ids))):
            out[row.placement_id][row.months] = row
    return out


def candidate_counts(sess: Session, user: User, vacancy_ids: Iterable[int]
                     ) -> dict[int, dict[str, int]]:
    """For each of the employer's vacancies: its candidates by state, and in all."""
    ids = sorted(set(vacancy_ids))
    out: dict[int, dict[str, int]] = {vid: {"total": 0} for vid in ids}
    if not ids:
        return out
    rows = sess.execute(sa.select(Candidacy.vacancy_id, Candidacy.state, sa.func.count())
                        .where(Candidacy.employer_id == _employer_id(user),
                               Candidacy.vacancy_id.in_(ids))
                        .group_by(Candidacy.vacancy_id, Candidacy.state))
    for vid, state, n in rows:
        out[vid][state] = n
        out[vid]["total"] += n
    return out
