"""Passport fixtures: the few ISCO groups and ESCO occupations the tests need, a caseworker with
a participant, and helpers for the passport API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from journey.taxonomy.models import EscoOccupation, IscoGroup

COOK_URI = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
SOMMELIER_URI = "http://data.europa.eu/esco/occupation/499f80e3-860c-48ef-8286-be929a93e254"
# A well-formed ESCO occupation URI that is not in the test taxonomy.
UNKNOWN_URI = "http://data.europa.eu/esco/occupation/00000000-0000-4000-8000-000000000000"
SKILL_URI = "http://data.europa.eu/esco/skill/a8e1d8b1-1d0f-4a0a-8d6b-2b1f2b5e3c11"

_GROUPS = [
    ("5", None, "Service and sales workers"),
    ("51", "5", "Personal service workers"),
    ("512", "51", "Cooks"),
    ("5120", "512", "Cooks"),
    ("513", "51", "Waiters and bartenders"),
    ("5131", "513", "Waiters"),
]


@pytest.fixture
def taxonomy(db_session):
    """ISCO 5 → 51 → 512/513 → 5120/5131, with the ESCO cook and sommelier."""
    for code, parent, label in _GROUPS:
        db_session.add(IscoGroup(code=code, level=len(code), label=label, label_key=label.lower(),
                                 parent_code=parent))
        db_session.flush()
    db_session.add(EscoOccupation(uri=COOK_URI, label="cook", label_key="cook", isco_code="5120"))
    db_session.add(EscoOccupation(uri=SOMMELIER_URI, label="sommelier", label_key="sommelier",
                                  isco_code="5131"))
    db_session.flush()


@dataclass
class Case:
    """A caseworker, their token headers and a participant of their office (from Nepal)."""

    user: object
    headers: dict
    participant: object

    @property
    def base(self) -> str:
        return f"/api/v1/participants/{self.participant.id}"


@pytest.fixture
def case(factory, taxonomy) -> Case:
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    p = factory.participant(cw, office_id=office.id, language="fr",
                            consents=[{"purpose": "share_employers", "method": "signed"}])
    return Case(cw, factory.headers(cw), p)


def add(client, case: Case, body: dict, status: int = 201) -> dict:
    resp = client.post(f"{case.base}/passport/entries", json=body, headers=case.headers)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def fields_in_error(resp) -> set[str]:
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    return {e["field"] for e in resp.get_json()["errors"]}
