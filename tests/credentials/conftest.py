"""Passport entries and skill cards for credential tests, written straight to the tables: the
credential code reads the models, not the passport or skill-card services."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator, FormatChecker
from referencing import Registry, Resource

from journey.core.db import utcnow
from journey.passports.models import Passport, PassportEntry
from journey.skillcards.models import SkillCard, SkillForm
from journey.taxonomy.models import IscoGroup

DATA = Path(__file__).resolve().parent.parent / "data" / "openbadges-3.0"
ESCO_COOK = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
ESCO_SKILL = "http://data.europa.eu/esco/skill/0f8a8f1e-7c1a-4c6e-9c3b-5a1d2c3b4a5f"


def _schema(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


@pytest.fixture(scope="session")
def ob_validator() -> Draft201909Validator:
    """The official AchievementCredential schema, resolved offline: its siblings are registered
    under their $id, so no $ref ever reaches the network."""
    schemas = [_schema("achievementcredential.schema.json"), _schema("profile.schema.json")]
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas)
    return Draft201909Validator(schemas[0], registry=registry, format_checker=FormatChecker())


@pytest.fixture(scope="session")
def profile_validator() -> Draft201909Validator:
    return Draft201909Validator(_schema("profile.schema.json"), format_checker=FormatChecker())


class Passports:
    def __init__(self, session) -> None:
        self.session = session

    def _isco(self, code: str) -> None:
        for level in range(1, len(code) + 1):
            part = code[:level]
            if self.session.get(IscoGroup, part) is None:
                self.session.add(IscoGroup(code=part, level=level, label=f"Group {part}",
                                           label_key=f"group {part}",
                                           parent_code=code[:level - 1] or None))
                self.session.flush()

    def entry(self, participant, kind: str = "skill", title: str = "Cooking", **kw: Any
              ) -> PassportEntry:
        if kw.get("isco_code"):
            self._isco(kw["isco_code"])
        now = utcnow()
        e = PassportEntry(participant_id=participant.id, kind=kind, title=title,
                          created_at=now, updated_at=now, **kw)
        self.session.add(e)
        self.session.flush()
        return e

    def full(self, participant, verifier) -> list[PassportEntry]:
        """About a dozen entries of every kind, some verified, some abroad."""
        now = utcnow()
        verified = {"verification": "assessed", "verified_by": verifier.id, "verified_at": now,
                    "evidence": "Practical test"}
        return [
            self.entry(participant, "occupation", "Cook", esco_uri=ESCO_COOK, isco_code="5120"),
            self.entry(participant, "skill", "Prepare fish dishes", esco_uri=ESCO_SKILL, **verified),
            self.entry(participant, "skill", "Bread baking"),
            self.entry(participant, "qualification", "Food hygiene certificate", country="NP",
                       details={"awarding_body": "CTEVT", "level": "EQF 3",
                                "learning_type": "formal"},
                       end_date=date(2021, 6, 1), **verified),
            self.entry(participant, "qualification", "Barista course", country="PT",
                       acquired_abroad=True),
            self.entry(participant, "prior_learning", "Kitchen hygiene (RPL)"),
            self.entry(participant, "experience", "Line cook", country="PT", acquired_abroad=True,
                       isco_code="5120", start_date=date(2019, 1, 1), end_date=date(2022, 5, 1),
                       details={"employer": "Casa Lisboa"}),
            self.entry(participant, "experience", "Kitchen helper", country="NP",
                       start_date=date(2015, 1, 1), end_date=date(2018, 12, 1)),
            self.entry(participant, "language", "Portuguese", language="pt",
                       details={"listening": "B1", "reading": "A2", "speaking": "B1",
                                "writing": "A2"}),
            self.entry(participant, "language", "English", language="en",
                       details={"listening": "B2", "reading": "B2", "speaking": "B1",
                                "writing": "B1"}),
            self.entry(participant, "soft_skill", "Teamwork"),
            self.entry(participant, "training", "Pre-departure orientation", **verified),
        ]

    def disclose(self, participant, *what: str) -> Passport:
        now = utcnow()
        passport = self.session.query(Passport).filter_by(participant_id=participant.id).first()
        if passport is None:
            passport = Passport(participant_id=participant.id, created_at=now, updated_at=now)
            self.session.add(passport)
        passport.disclosure = list(what)
        self.session.flush()
        return passport

    def skill_card(self, participant, entries: list[PassportEntry], number: str = "SC-000123"
                   ) -> SkillCard:
        now = utcnow()
        skill = next(e for e in entries if e.kind == "skill")
        answers = {
            "occupation": {"isco_code": "5120", "esco_uri": ESCO_COOK, "title": "Cook"},
            "sector": "Hospitality", "years_experience_home": 4, "years_experience_abroad": 3.5,
            "last_overseas_employer": "Casa Lisboa", "last_overseas_country": "PT",
            "skills": [{"title": skill.title, "esco_uri": skill.esco_uri, "entry_id": skill.id},
                       {"title": "Grilling"}],
            "certifications": [{"title": "Food hygiene certificate"}],
            "languages": [{"code": "pt", "listening": "B1", "reading": "A2", "speaking": "B1",
                           "writing": "A2"}],
            "preferred_location": "Pokhara", "preferred_sector": "Hospitality",
            "availability_date": (date.today() + timedelta(days=30)).isoformat(),
        }
        form = SkillForm(participant_id=participant.id, status="completed", prefill=answers,
                         answers=answers, created_at=now, updated_at=now, completed_at=now,
                         completed_via="caseworker")
        self.session.add(form)
        self.session.flush()
        card = SkillCard(number=number, participant_id=participant.id, form_id=form.id,
                         public_id=f"pub{form.id:029d}", issued_at=now)
        self.session.add(card)
        self.session.flush()
        return card


@pytest.fixture
def passports(db_session) -> Passports:
    return Passports(db_session)
