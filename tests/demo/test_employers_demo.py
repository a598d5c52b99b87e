"""The demo's employers (#15): a realistic employer with vacancies, presented candidates, a
placement with its onboarding steps and costs; loading the demo twice adds nothing; the demo
employer user sees exactly the candidates presented to it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journey.consent.services import has_consent
from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict
from journey.costs.models import Cost
from journey.costs.rules import breach_open
from journey.demo.employers import EXPIRED, EXPIRING, LICENSED, SECOND_EMPLOYER
from journey.employers import candidates
from journey.employers.access import candidacy_scope
from journey.employers.licences import LicenceStatus, licence_status
from journey.employers.models import (
    Candidacy,
    CandidacyStep,
    EmployerContact,
    EmployerPaysCommitment,
    OnboardingLink,
    OnboardingStep,
    Placement,
    Recruiter,
    RetentionCheck,
    Vacancy,
)
from journey.employers.placements import open_placement
from journey.grievances.models import Grievance
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme
from tests.web.test_pages import HTML, log_in, text

_COUNTED = (Employer, EmployerContact, EmployerPaysCommitment, Recruiter, Vacancy, Candidacy,
            CandidacyStep, Placement, OnboardingStep, OnboardingLink, RetentionCheck, Cost,
            Grievance)


def _load(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(db_session) -> dict[str, int]:
    return {m.__tablename__: db_session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in _COUNTED}


def _user(db_session, username: str) -> User:
    return db_session.scalars(sa.select(User).where(User.username == username)).one()


def test_the_demo_has_a_realistic_employer_and_loads_twice_without_duplicates(
        app, connection, db_session):
    output = _load(app)
    before = _counts(db_session)
    again = _load(app)
    assert "nothing changed" in again
    assert _counts(db_session) == before

    boss = _user(db_session, "employer")
    hotel = db_session.get(Employer, boss.employer_id)
    assert (hotel.isic_code, hotel.verification) == ("5510", "verified")
    commitment = db_session.scalars(sa.select(EmployerPaysCommitment).where(
        EmployerPaysCommitment.employer_id == hotel.id)).one()
    assert commitment.version == "2026-1" and commitment.signatory_name
    contacts = db_session.scalars(sa.select(EmployerContact).where(
        EmployerContact.employer_id == hotel.id)).all()
    assert len(contacts) == 2 and sum(1 for c in contacts if c.email) == 1
    pending = db_session.scalars(sa.select(Employer).where(
        Employer.name == SECOND_EMPLOYER)).one()
    assert pending.verification == "pending"

    today = utcnow().date()
    statuses = {r.name: licence_status(r, today) for r in db_session.scalars(sa.select(Recruiter))}
    assert statuses[LICENSED] == LicenceStatus.VALID
    assert statuses[EXPIRING] == LicenceStatus.EXPIRING
    assert statuses[EXPIRED] == LicenceStatus.EXPIRED
    programme = db_session.scalars(sa.select(Programme).where(
        Programme.code == "NP-PT-HOSP")).one()
    assert programme.budget_per_hire is not None and programme.budget_currency == "EUR"

    vacancies = {v.status: v for v in db_session.scalars(sa.select(Vacancy).where(
        Vacancy.employer_id == hotel.id))}
    assert set(vacancies) == {"open", "draft", "filled"}
    cooks = vacancies["open"]
    assert cooks.occupation_uri.startswith("http://data.europa.eu/esco/occupation/")
    assert cooks.required_skills and all(s.startswith("http://data.europa.eu/esco/skill/")
                                         for s in cooks.required_skills)
    assert {"language": "pt", "level": "A2"} in cooks.languages
    assert vacancies["draft"].created_by == boss.id and vacancies["draft"].published_at is None
    assert f"/employer/vacancies/{cooks.id}" in output

    # Presented with consent; one shortlisted with a reason; one selected, now matched.
    candidacies = db_session.scalars(sa.select(Candidacy).where(
        Candidacy.vacancy_id == cooks.id)).all()
    assert 3 <= len(candidacies) <= 4
    assert all(has_consent(db_session, c.participant_id, "share_employers") for c in candidacies)
    states = sorted(c.state for c in candidacies)
    assert states.count("selected") == 1 and states.count("shortlisted") == 1
    shortlisted = next(c for c in candidacies if c.state == "shortlisted")
    assert db_session.scalars(sa.select(CandidacyStep.reason).where(
        CandidacyStep.candidacy_id == shortlisted.id,
        CandidacyStep.state == "shortlisted")).one() == "skills_match"
    chosen = next(c for c in candidacies if c.state == "selected")
    # The shortlisted cook came through the agency whose licence expired: no placement.
    expired = db_session.scalars(sa.select(Recruiter).where(Recruiter.name == EXPIRED)).one()
    assert shortlisted.recruiter_id == expired.id
    with pytest.raises(Conflict) as refused:
        open_placement(db_session, _user(db_session, "caseworker"), shortlisted)
    assert refused.value.code == "recruiter-licence-expired"
    assert db_session.get(Participant, chosen.participant_id).stage == Stage.MATCHED.value

    placement = db_session.scalars(sa.select(Placement).where(
        Placement.candidacy_id == chosen.id)).one()
    assert placement.status == "active"
    steps = db_session.scalars(sa.select(OnboardingStep).where(
        OnboardingStep.placement_id == placement.id)).all()
    by_status = {s: [x for x in steps if x.status == s] for s in ("confirmed", "waiting",
                                                                  "contested")}
    assert by_status["confirmed"] and by_status["waiting"] and len(by_status["contested"]) == 1
    contest = db_session.get(Grievance, by_status["contested"][0].contest_grievance_id)
    assert contest.against_employer_id == hotel.id
    assert contest.participant_id == chosen.participant_id
    # She has not travelled yet: her retention checks open on arrival; the waiters' are open.
    assert not db_session.scalars(sa.select(RetentionCheck).where(
        RetentionCheck.placement_id == placement.id)).all()
    waiters = db_session.scalars(sa.select(Placement).where(
        Placement.vacancy_id == vacancies["filled"].id)).all()
    assert waiters and all(w.arrived_on for w in waiters)
    for w in waiters:
        assert sorted(db_session.scalars(sa.select(RetentionCheck.months).where(
            RetentionCheck.placement_id == w.id))) == [3, 6, 12]

    # Costs by several payers; the visa fee she paid is a breach, refunded, history kept.
    costs = db_session.scalars(sa.select(Cost).where(Cost.placement_id == placement.id)).all()
    assert len({c.paid_by for c in costs}) >= 3
    visa = next(c for c in costs if c.category == "visa_fee")
    assert visa.paid_by == "migrant" and visa.should_have_paid == "employer"
    assert visa.refunded_at is not None and visa.refund_amount == visa.amount
    assert db_session.get(Grievance, visa.breach_grievance_id).against_employer_id == hotel.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Cost).where(
        Cost.participant_id == chosen.participant_id, breach_open())) == 0

    # Built through the services, so the audit trail has every step.
    actions = set(db_session.scalars(sa.select(AuditEvent.action)))
    assert {"employers:vacancy:create", "employers:candidacy:present",
            "employers:candidacy:decide", "employers:placement:create",
            "employers:onboarding_step:contest", "employers:onboarding_link:create",
            "costs:breach:open", "costs:cost:refund"} <= actions


def test_the_demo_employer_sees_exactly_the_presented_candidates(app, connection, db_session,
                                                                 client):
    output = _load(app)
    boss = _user(db_session, "employer")
    presented = db_session.scalars(sa.select(Candidacy).where(
        Candidacy.employer_id == boss.employer_id)).all()
    assert len(presented) >= 4
    seen = set(db_session.scalars(sa.select(Candidacy.participant_id).where(
        candidacy_scope(boss))))
    assert seen == {c.participant_id for c in presented}
    cooks = db_session.scalars(sa.select(Vacancy).where(
        Vacancy.employer_id == boss.employer_id, Vacancy.status == "open")).one()
    to_cooks = {c.participant_id for c in presented if c.vacancy_id == cooks.id}
    assert len(to_cooks) == 4
    with app.test_request_context():
        listed = candidates.list_candidates(db_session, boss, cooks.id)
    assert {c["participant_id"] for c in listed} == to_cooks
    assert all(c["name"] for c in listed)

    # Their page shows the names of those presented, and of no one else who agreed to share.
    assert log_in(client, boss, "journey-demo-2026").status_code == 303
    page = text(client.get(f"/employer/vacancies/{cooks.id}/candidates", headers=HTML))
    consenting = [p for p in db_session.scalars(sa.select(Participant).where(
        Participant.stage.in_(["preselection", "training", "matched"])))
        if has_consent(db_session, p.id, "share_employers")]
    assert len(consenting) > len(to_cooks)
    for p in consenting:
        assert (f"{p.given_name} {p.family_name}" in page) == (p.id in to_cooks), p.id
    # The signed onboarding link printed by the demo opens its step without a login.
    chosen = db_session.get(Participant, next(c.participant_id for c in presented
                                              if c.vacancy_id == cooks.id
                                              and c.state == "selected"))
    link = urlsplit(re.search(r"https?://\S+/onboarding/confirm/\S+", output).group(0))
    opened = app.test_client().get(f"{link.path}?{link.query}", headers=HTML)
    assert opened.status_code == 200 and chosen.given_name in text(opened)
