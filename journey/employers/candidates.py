"""Selection: staff present candidates (with the person's consent to share with employers), the
employer sees only what journey.passports.disclosure allows and decides, step by step, each with
a reason from the fixed list. Selecting moves the participant through the continuum's selection
step (with its guards) and opens the placement. Services never commit.

Every step is a CandidacyStep row: the selection's timeline, shown on the pages and, through
`timeline_entries`, on the participant's own timeline.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.continuum.services import apply_transition
from journey.core import audit, links
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _
from journey.core.links import LinkReason, OrganisationKind
from journey.core.versions import Precondition, bump, check_version
from journey.employers.access import candidacy_scope, load_candidacy, load_vacancy
from journey.employers.licences import check_may_recruit, corridor
from journey.employers.models import (
    ACTIVE_CANDIDACY,
    CANDIDACY_STATE_TITLES,
    DECISION_REASON_TITLES,
    Candidacy,
    CandidacyState,
    CandidacyStep,
    DecisionReason,
    Recruiter,
    Vacancy,
    VacancyStatus,
    Verification,
)
from journey.employers.placements import check_no_active_placement, open_placement
from journey.employers.vacancies import fill_if_complete, positions_left
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.passports import disclosure
from journey.programmes.models import Programme
from journey.skillcards.models import SkillCard, SkillForm
from journey.stages import Stage

logger = logging.getLogger(__name__)

# The order of the employer's steps: a decision moves forward (skipping is allowed: an employer
# may select without a formal interview), or rejects from any active state.
_ORDER = (CandidacyState.PRESENTED, CandidacyState.SHORTLISTED, CandidacyState.INTERVIEWED,
          CandidacyState.SELECTED)
# The continuum event that selection is, by the participant's stage.
_REHIRE_FROM = (Stage.REINTEGRATION.value, Stage.CLOSED.value)


def _step(sess: Session, candidacy: Candidacy, state: CandidacyState, actor_id: int | None, *,
          reason: str | None = None, note: str | None = None) -> CandidacyStep:
    step = CandidacyStep(candidacy_id=candidacy.id, state=state.value, reason=reason, note=note,
                         actor_id=actor_id, at=utcnow())
    sess.add(step)
    return step


def _office(sess: Session, participant_id: int) -> int | None:
    return sess.scalar(sa.select(Participant.office_id).where(Participant.id == participant_id))


# --- presenting -----------------------------------------------------------------------------------

def present(sess: Session, actor: User, vacancy_id: int, participant_id: int, *,
            recruiter_id: int | None = None, note: str | None = None) -> Candidacy:
    """Present a participant in the actor's scope to an open vacancy of a verified employer;
    refused (409) without the participant's consent to share with employers, or twice."""
    vacancy = load_vacancy(sess, actor, vacancy_id, "candidates:present")
    if vacancy.status != VacancyStatus.OPEN.value:
        raise Conflict(_("Candidates can be presented to an open vacancy only."),
                       code="vacancy-not-open", extra={"vacancy_status": vacancy.status})
    verification = sess.scalar(sa.select(Employer.verification)
                               .where(Employer.id == vacancy.employer_id))
    if verification != Verification.VERIFIED.value:
        raise Conflict(_("The employer is not verified; candidates are presented to verified "
                         "employers only."), code="employer-not-verified",
                       extra={"verification": verification})
    p = load_participant(sess, actor, participant_id, "candidates:present")
    if not has_consent(sess, p.id, Purpose.SHARE_EMPLOYERS):
        raise Conflict(_("The participant has not consented to share their profile with "
                         "employers."), code="consent-required",
                       extra={"purpose": Purpose.SHARE_EMPLOYERS.value})
    if recruiter_id is not None and sess.get(Recruiter, recruiter_id) is None:
        raise InvalidInput(errors=[{"field": "recruiter_id", "code": "not-found",
                                    "message": _("No such recruiter.")}])
    existing = sess.scalar(sa.select(Candidacy).where(Candidacy.vacancy_id == vacancy.id,
                                                      Candidacy.participant_id == p.id))
    if existing is not None:
        raise Conflict(_("The participant was already presented to this vacancy."),
                       code="already-presented",
                       extra={"candidacy_id": existing.id, "state": existing.state})
    now = utcnow()
    candidacy = Candidacy(vacancy_id=vacancy.id, participant_id=p.id,
                          employer_id=vacancy.employer_id, recruiter_id=recruiter_id,
                          state=CandidacyState.PRESENTED.value, presented_by=actor.id,
                          presented_at=now, updated_at=now)
    sess.add(candidacy)
    sess.flush()
    _step(sess, candidacy, CandidacyState.PRESENTED, actor.id, note=note)
    links.link(sess, actor.id, p.id, OrganisationKind.EMPLOYER, vacancy.employer_id,
               LinkReason.PRESENTED, office_id=p.office_id)
    sess.flush()
    audit.record(sess, "employers:candidacy:present", actor_id=actor.id,
                 object_type="candidacy", object_id=candidacy.id, office_id=p.office_id,
                 participant_id=p.id, vacancy_id=vacancy.id, employer_id=vacancy.employer_id,
                 recruiter_id=recruiter_id)
    logger.info("candidate presented candidacy=%s participant=%s vacancy=%s", candidacy.id, p.id,
                vacancy.id)
    return candidacy


def withdraw_on_consent(sess: Session, actor: User, participant: Participant) -> int:
    """Consent to share with employers was withdrawn: the person's active candidacies are
    withdrawn and no employer keeps them in its scope as presented. Returns how many."""
    active = list(sess.scalars(sa.select(Candidacy).where(
        Candidacy.participant_id == participant.id,
        Candidacy.state.in_([s.value for s in ACTIVE_CANDIDACY]))))
    now = utcnow()
    for candidacy in active:
        candidacy.state, candidacy.updated_at = CandidacyState.WITHDRAWN.value, now
        candidacy.version += 1
        _step(sess, candidacy, CandidacyState.WITHDRAWN, actor.id)
    employers = set(sess.scalars(sa.select(links.ParticipantLink.employer_id).where(
        links.ParticipantLink.participant_id == participant.id,
        links.ParticipantLink.reason == LinkReason.PRESENTED.value,
        links.ParticipantLink.ended_at.is_(None))))
    for employer_id in sorted(employers):
        links.unlink(sess, actor.id, participant.id, OrganisationKind.EMPLOYER, employer_id,
                     LinkReason.PRESENTED, office_id=participant.office_id)
    sess.flush()
    if active:
        audit.record(sess, "employers:candidacy:withdraw", actor_id=actor.id,
                     object_type="participant", object_id=participant.id,
                     office_id=participant.office_id, candidacy_ids=[c.id for c in active],
                     cause="consent-withdrawn")
        logger.info("candidacies withdrawn participant=%s count=%d", participant.id, len(active))
    return len(active)


# --- what the employer sees ----------------------------------------------------------------------

def list_candidates(sess: Session, user: User, vacancy_id: int, *, state: str | None = None,
                    after_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """A page of the vacancy's candidates the user may see, by candidacy id (keyset: pass the
    last candidacy_id as after_id). Each with only what the disclosure service allows for a
    list: the name and a skills summary. The read is audited (ids only)."""
    vacancy = load_vacancy(sess, user, vacancy_id, "candidates:read")
    stmt = (sa.select(Candidacy.id, Candidacy.participant_id, Candidacy.state,
                      Candidacy.presented_at)
            .where(Candidacy.vacancy_id == vacancy.id, candidacy_scope(user)))
    if state is not None:
        stmt = stmt.where(Candidacy.state == CandidacyState(state).value)
    if after_id is not None:
        stmt = stmt.where(Candidacy.id > after_id)
    rows = sess.execute(stmt.order_by(Candidacy.id).limit(limit)).all()
    shown = disclosure.summaries_for_employer(sess, [r.participant_id for r in rows])
    items = [{"candidacy_id": r.id, "participant_id": r.participant_id,
              "name": shown.get(r.participant_id, {}).get("name"), "state": r.state,
              "presented_at": r.presented_at,
              "skills": shown.get(r.participant_id, {}).get("skills")} for r in rows]
    if items:
        audit.record(sess, "employers:candidacy:list", actor_id=user.id, object_type="vacancy",
                     object_id=vacancy.id, employer_id=vacancy.employer_id,
                     candidacy_ids=[r.id for r in rows])
    return items


def _latest_card(sess: Session, participant_id: int) -> dict[str, Any] | None:
    row = sess.execute(
        sa.select(SkillCard.number, SkillCard.issued_at, SkillForm.answers)
        .join(SkillForm, SkillForm.id == SkillCard.form_id)
        .where(SkillCard.participant_id == participant_id, SkillCard.revoked_at.is_(None))
        .order_by(SkillCard.issued_at.desc(), SkillCard.id.desc()).limit(1)).first()
    if row is None:
        return None
    return {"number": row.number, "issued_at": row.issued_at.isoformat(), "answers": row.answers}


def steps(sess: Session, candidacy_id: int) -> list[CandidacyStep]:
    return list(sess.scalars(sa.select(CandidacyStep).where(
        CandidacyStep.candidacy_id == candidacy_id).order_by(CandidacyStep.at, CandidacyStep.id)))


def read_candidate(sess: Session, user: User, vacancy_id: int,
                   candidacy_id: int) -> dict[str, Any]:
    """One candidate of the vacancy as the user may see them: the disclosed view (name,
    passport entries, skill card data) and the selection's steps. 404 for a candidacy of another
    vacancy or employer. The read is audited."""
    vacancy = load_vacancy(sess, user, vacancy_id, "candidates:read")
    candidacy = load_candidacy(sess, user, candidacy_id, "candidates:read", vacancy_id=vacancy.id)
    p = sess.get(Participant, candidacy.participant_id)
    shown = disclosure.for_employer(sess, p, _latest_card(sess, p.id))
    audit.record(sess, "employers:candidacy:read", actor_id=user.id, object_type="candidacy",
                 object_id=candidacy.id, office_id=p.office_id, participant_id=p.id,
                 vacancy_id=vacancy.id, employer_id=candidacy.employer_id,
                 entries=[e["id"] for e in shown["entries"]])
    return {**shown, "candidacy_id": candidacy.id, "vacancy_id": vacancy.id,
            "state": candidacy.state, "presented_at": candidacy.presented_at,
            "version": candidacy.version,
            "steps": [{"state": s.state, "reason": s.reason, "note": s.note, "at": s.at}
                      for s in steps(sess, candidacy.id)]}


# --- the employer's decisions --------------------------------------------------------------------

def _check_move(candidacy: Candidacy, target: CandidacyState) -> None:
    current = CandidacyState(candidacy.state)
    ok = current in ACTIVE_CANDIDACY and (
        target == CandidacyState.REJECTED or _ORDER.index(target) > _ORDER.index(current))
    if not ok:
        raise Conflict(_("This candidate's selection stands at “%(current)s”; it cannot move to "
                         "“%(target)s”.", current=CANDIDACY_STATE_TITLES[current],
                         target=CANDIDACY_STATE_TITLES[target]),
                       code="candidacy-state", extra={"state": current.value})


def _select(sess: Session, user: User, vacancy: Vacancy, candidacy: Candidacy) -> None:
    """Selection's conditions, the continuum's selection step, then the placement."""
    if vacancy.status != VacancyStatus.OPEN.value:
        raise Conflict(_("The vacancy is not open."), code="vacancy-not-open",
                       extra={"vacancy_status": vacancy.status})
    if positions_left(sess, vacancy) < 1:
        raise Conflict(_("Every position of this vacancy is already filled."),
                       code="positions-filled", extra={"positions": vacancy.positions})
    # The placement's refusals first, so that nothing moves before them.
    check_no_active_placement(sess, candidacy.participant_id)
    programme = sess.get(Programme, vacancy.programme_id)
    check_may_recruit(sess, candidacy.recruiter_id, today=utcnow().date(),
                      corridor_code=corridor(programme.origin_country,
                                             programme.destination_country))
    p = sess.get(Participant, candidacy.participant_id)
    event = "rehire" if p.stage in _REHIRE_FROM else "match"
    # The employer holds candidates:decide, not continuum:transition: the move is authorised by
    # the decision, and audited with the employer user as the actor.
    apply_transition(sess, user, p, event, {"employer_id": vacancy.employer_id}, expected=None,
                     authorised_by="candidates:decide")
    open_placement(sess, user, candidacy)


def decide(sess: Session, user: User, vacancy_id: int, candidacy_id: int, *, state: str,
           reason: str | None, note: str | None = None,
           expected: Precondition | None = None) -> Candidacy:
    """The employer's step (shortlisted, interviewed, selected, rejected) with a reason from the
    fixed list and an optional note. Selecting moves the continuum and opens the placement; the
    last position filled fills the vacancy."""
    vacancy = load_vacancy(sess, user, vacancy_id, "candidates:decide")
    candidacy = load_candidacy(sess, user, candidacy_id, "candidates:decide",
                               vacancy_id=vacancy.id)
    try:
        target = CandidacyState(state)
    except ValueError:
        target = None
    if target not in (CandidacyState.SHORTLISTED, CandidacyState.INTERVIEWED,
                      CandidacyState.SELECTED, CandidacyState.REJECTED):
        raise InvalidInput(errors=[{"field": "state", "code": "invalid",
                                    "message": _("Choose shortlisted, interviewed, selected or "
                                                 "rejected.")}])
    if reason not in {r.value for r in DecisionReason}:
        raise InvalidInput(errors=[{"field": "reason", "code": "required",
                                    "message": _("Give a reason from the list.")}])
    check_version(candidacy.version, expected,
                  _("Someone changed this candidacy since you read it; reload and try again."))
    _check_move(candidacy, target)
    if target == CandidacyState.SELECTED:
        _select(sess, user, vacancy, candidacy)
    before = candidacy.state
    now = utcnow()
    candidacy.state, candidacy.decided_at, candidacy.updated_at = target.value, now, now
    bump(sess, candidacy, expected,
         _("Someone changed this candidacy at the same time; reload and try again."))
    _step(sess, candidacy, target, user.id, reason=reason, note=note)
    sess.flush()
    office_id = _office(sess, candidacy.participant_id)
    audit.record(sess, "employers:candidacy:decide", actor_id=user.id, object_type="candidacy",
                 object_id=candidacy.id, office_id=office_id,
                 participant_id=candidacy.participant_id, vacancy_id=vacancy.id,
                 employer_id=candidacy.employer_id, from_state=before, to_state=target.value,
                 reason=reason)
    logger.info("candidacy decided candidacy=%s %s->%s", candidacy.id, before, target.value)
    if target == CandidacyState.SELECTED:
        fill_if_complete(sess, user, vacancy)
    return candidacy


# --- the participant's timeline ------------------------------------------------------------------

TIMELINE_STATES = tuple(CandidacyState)


def timeline_kind(state: str) -> str:
    return f"candidacy_{state}"


def timeline_entries(sess: Session, participant: Any) -> list[dict[str, Any]]:
    """The participant's selection steps as timeline entries (kind candidacy_<state>)."""
    rows = sess.execute(
        sa.select(CandidacyStep.id, CandidacyStep.state, CandidacyStep.reason,
                  CandidacyStep.actor_id, CandidacyStep.at, Candidacy.id.label("candidacy_id"),
                  Candidacy.vacancy_id, Candidacy.employer_id)
        .join(Candidacy, Candidacy.id == CandidacyStep.candidacy_id)
        .where(Candidacy.participant_id == participant.id)
        .order_by(CandidacyStep.at, CandidacyStep.id))
    return [{"id": r.id, "kind": timeline_kind(r.state), "occurred_at": r.at,
             "actor_id": r.actor_id, "stage": None,
             "reason": str(DECISION_REASON_TITLES[DecisionReason(r.reason)]) if r.reason else None,
             "data": {"candidacy_id": r.candidacy_id, "vacancy_id": r.vacancy_id,
                      "employer_id": r.employer_id, "state": r.state}}
            for r in rows]
