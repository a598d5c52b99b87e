"""Building blocks for the vacancy and selection tests (and the privacy helper): a verified
employer with a user, a programme it takes part in, an open vacancy, and consenting candidates
in training, made through the real services where they exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.employers import candidates, vacancies
from journey.employers.models import Vacancy
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme, ProgrammeEmployer
from tests.skillcards.helpers import place

CONSENTS = [{"purpose": "case_management", "method": "signed"},
            {"purpose": "share_employers", "method": "signed"}]


@dataclass
class Setting:
    admin: User
    caseworker: User
    employer_user: User
    employer: Employer
    programme: Programme
    office_id: int


def join(sess: Session, programme: Programme, employer_id: int) -> None:
    sess.add(ProgrammeEmployer(programme_id=programme.id, employer_id=employer_id))
    sess.flush()


def setting(factory, sess: Session, *, verified: bool = True) -> Setting:
    office = factory.office()
    admin = factory.user("admin")
    cw = factory.user("caseworker", office=office)
    emp = factory.user("employer")
    employer = sess.get(Employer, emp.employer_id)
    if verified:
        employer.verification = "verified"
    programme = factory.programme()
    join(sess, programme, employer.id)
    return Setting(admin, cw, emp, employer, programme, office.id)


def vacancy_data(s: Setting, **kw: Any) -> dict[str, Any]:
    return {"title": "Cook", "place": "Lisbon", "programme_id": s.programme.id, "positions": 1,
            "languages": [{"language": "pt", "level": "A2"}], **kw}


def open_vacancy(app: Flask, sess: Session, s: Setting, **kw: Any) -> Vacancy:
    with app.test_request_context():
        v = vacancies.create_vacancy(sess, s.employer_user, vacancy_data(s, **kw))
        return vacancies.publish_vacancy(sess, s.caseworker, v.id)


def candidate(factory, sess: Session, s: Setting, *, stage: Stage = Stage.TRAINING,
              consents=CONSENTS, **kw: Any) -> Participant:
    p = factory.participant(s.admin, office_id=s.office_id, consents=consents, **kw)
    return place(sess, p, stage)


def presented(app: Flask, factory, sess: Session, s: Setting, vacancy: Vacancy, **kw: Any):
    p = candidate(factory, sess, s, **kw)
    with app.test_request_context():
        c = candidates.present(sess, s.caseworker, vacancy.id, p.id)
    return p, c
