"""Test data for placements and onboarding: a participant placed with an employer (through the
real open_placement), its steps, and an employer contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from journey.consent import services as consent
from journey.core.auth import User
from journey.core.db import utcnow
from journey.employers.models import (
    Candidacy,
    CandidacyState,
    EmployerContact,
    OnboardingStep,
    Placement,
    Recruiter,
    Vacancy,
)
from journey.employers.placements import open_placement
from journey.participants.models import Participant


@dataclass
class Placed:
    placement: Placement
    participant: Participant
    caseworker: User
    employer_user: User
    office_id: int

    def step(self, sess, key: str) -> OnboardingStep:
        return sess.scalar(sa.select(OnboardingStep).where(
            OnboardingStep.placement_id == self.placement.id, OnboardingStep.key == key))


def recruiter(factory, *, expires_on: date | None = None, corridors=("NP-PT",),
              licence: str | None = "LIC-1") -> Recruiter:
    with factory.app.app_context():
        row = Recruiter(name=f"Agency {utcnow().timestamp()}", country="NP",
                        licence_number=licence, issuing_authority="DoFE",
                        licence_expires_on=expires_on or (utcnow().date() + timedelta(days=365)),
                        corridors=list(corridors), created_at=utcnow())
        factory.session.add(row)
        factory.session.flush()
    return row


def contact(factory, employer_id: int, *, email: str | None = "hr@example.pt",
            language: str = "pt", name: str = "Ana Ribeiro") -> EmployerContact:
    row = EmployerContact(employer_id=employer_id, name=name, role="HR", email=email,
                          language=language, created_at=utcnow())
    factory.session.add(row)
    factory.session.flush()
    return row


def place(factory, db_session, *, office=None, caseworker=None, employer_user=None,
          recruiter_id: int | None = None, language: str = "ne", phone: str | None = None,
          email: str | None = None, start: date | None = None, consent_updates: bool = True,
          programme=None) -> Placed:
    """A participant (consenting to updates) selected for a vacancy and placed."""
    office = office or factory.office()
    caseworker = caseworker or factory.user("caseworker", office=office)
    employer_user = employer_user or factory.user("employer")
    programme = programme or factory.programme()
    kw = {"language": language, "channels": ["sms"] + (["email"] if email else [])}
    if phone:
        kw["phone"] = phone
    if email:
        kw["email"] = email
    p = factory.participant(caseworker, office_id=office.id, **kw)
    now = utcnow()
    with factory.app.test_request_context():
        if consent_updates:
            consent.grant(db_session, caseworker, p, purpose="updates", method="signed")
        vacancy = Vacancy(employer_id=employer_user.employer_id, programme_id=programme.id,
                          title="Cook", place="Lisbon", status="open",
                          start_date=start or (now.date() + timedelta(days=30)),
                          created_at=now, updated_at=now)
        db_session.add(vacancy)
        db_session.flush()
        candidacy = Candidacy(vacancy_id=vacancy.id, participant_id=p.id,
                              employer_id=employer_user.employer_id, recruiter_id=recruiter_id,
                              state=CandidacyState.SELECTED.value, presented_at=now,
                              updated_at=now)
        db_session.add(candidacy)
        db_session.flush()
        placement = open_placement(db_session, caseworker, candidacy)
        db_session.flush()
    return Placed(placement, p, caseworker, employer_user, office.id)
