"""Fixtures: two offices with staff, a returnee with a passport, and the ISCO groups it names."""

from __future__ import annotations

from datetime import date

import pytest

from journey.continuum import services as continuum
from journey.continuum.stages import Stage
from journey.core.versions import Precondition
from journey.passports.models import EntryKind, Verification
from tests.skillcards.helpers import ensure_isco, entry, place

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def kit(app, factory, db_session):
    """Staff of office A and B, a programme, and a way to build returnees with passports."""

    class Kit:
        office = factory.office()
        other_office = factory.office()
        caseworker = factory.user("caseworker", office=office)
        supervisor = factory.user("supervisor", office=office)
        other_supervisor = factory.user("supervisor", office=other_office)
        admin = factory.user("admin")
        employer_user = factory.user("employer")
        employer = factory.employer(name="Hotel Atlântico", country="PT")
        programme = factory.programme(sector="Hospitality")

        def __init__(self):
            with app.app_context():
                ensure_isco(db_session, "5120", "Cooks")
                ensure_isco(db_session, "5131", "Waiters")
                ensure_isco(db_session, "7112", "Bricklayers and related workers")

        def participant(self, stage: Stage = Stage.STAY, **kw):
            kw.setdefault("programme_id", self.programme.id)
            p = factory.participant(self.caseworker, office_id=self.office.id, **kw)
            if stage != Stage.INTAKE:
                place(db_session, p, stage, employer_id=self.employer.id,
                      arrival_date=date(2023, 3, 1))
            return p

        def passport(self, p):
            """A passport with one of every kind the form reads, and a retired entry."""
            e = {}
            with app.app_context():
                e["cook"] = entry(db_session, p, EntryKind.OCCUPATION, "Cook", isco_code="5120",
                                  esco_uri="http://data.europa.eu/esco/occupation/"
                                           "90f75f67-495d-49fa-ab57-2f320e251d7e",
                                  verification=Verification.CERTIFIED,
                                  verified_by=self.caseworker.id)
                e["waiter"] = entry(db_session, p, EntryKind.OCCUPATION, "Waiter",
                                    isco_code="5131")
                e["home"] = entry(db_session, p, EntryKind.EXPERIENCE, "Cook at home",
                                  country="NP", start_date=date(2015, 1, 1),
                                  end_date=date(2017, 1, 1), details={"employer": "Hotel Yak"})
                # Two overlapping jobs abroad: 2018-01-01 to 2021-07-01 is 3.5 years, once.
                e["abroad1"] = entry(db_session, p, EntryKind.EXPERIENCE, "Cook abroad",
                                     country="PT", acquired_abroad=True,
                                     start_date=date(2018, 1, 1), end_date=date(2021, 1, 1),
                                     details={"employer": "Hotel Lisboa"})
                e["abroad2"] = entry(db_session, p, EntryKind.EXPERIENCE, "Cook abroad, again",
                                     country="ES", acquired_abroad=True,
                                     start_date=date(2020, 1, 1), end_date=date(2021, 7, 1),
                                     details={"employer": "Hotel Sevilla"})
                e["knife"] = entry(db_session, p, EntryKind.SKILL, "Knife skills")
                e["team"] = entry(db_session, p, EntryKind.SOFT_SKILL, "Teamwork")
                e["haccp"] = entry(db_session, p, EntryKind.QUALIFICATION, "HACCP level 2",
                                   details={"awarding_body": "CTEVT", "formality": "formal"})
                e["course"] = entry(db_session, p, EntryKind.TRAINING, "Portuguese kitchen course")
                e["pt"] = entry(db_session, p, EntryKind.LANGUAGE, "Portuguese", language="pt",
                                details={"listening": "B1", "reading": "A2", "speaking": "B1",
                                         "writing": "A2"})
                old = entry(db_session, p, EntryKind.SKILL, "Retired skill")
                old.retired_at, old.retired_by = old.created_at, self.caseworker.id
                db_session.flush()
            return e

        def move(self, p, event, **data):
            """Move through the real continuum service, as the API does."""
            with app.test_request_context():
                continuum.apply_transition(db_session, self.caseworker, p, event, data,
                                           expected=Precondition(body=p.version),
                                           today=date(2026, 11, 23))
                db_session.flush()
            return p

    return Kit()
