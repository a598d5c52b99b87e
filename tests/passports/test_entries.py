"""Passport entries: each kind's fields, validated strictly and field by field; codes checked
against the taxonomy; defaults for titles and "acquired abroad"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from journey.core.audit import AuditEvent
from journey.passports.models import PassportEntry
from tests.passports.conftest import COOK_URI, SKILL_URI, UNKNOWN_URI, add, fields_in_error

GOOD = {
    "occupation": {"esco_uri": COOK_URI, "years": 4},
    "skill": {"title": "Food hygiene", "esco_uri": SKILL_URI},
    "qualification": {"title": "Diploma in culinary arts", "awarding_body": "CTEVT",
                      "country": "NP", "level": {"framework": "EQF", "level": 4},
                      "awarded_on": "2019-06-30", "formality": "formal"},
    "prior_learning": {"title": "Kitchen practice", "assessed_by": "NSTB", "method": "practical test",
                       "outcome": "passed", "date": "2024-02-01"},
    "experience": {"employer": "Hotel Doha", "country": "QA", "occupation": {"isco_code": "5120"},
                   "start_date": "2020-01-15", "end_date": "2023-03-31"},
    "language": {"language": "en", "listening": "B2", "reading": "B1", "speaking": "B1",
                 "writing": "A2"},
    "soft_skill": {"title": "Teamwork"},
    "training": {"title": "Portuguese for hospitality", "provider": "IEFP",
                 "completed_on": "2025-05-20", "hours": 60},
}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_kind_round_trips_its_fields(client, case, kind):
    created = add(client, case, {"kind": kind, **GOOD[kind]})
    assert created["kind"] == kind and created["version"] == 1
    assert created["verification"] == "self_declared"
    assert created["verification_title"] == "Self-declared"
    for name, value in GOOD[kind].items():
        assert created[name] == value, name
    again = client.get(f"{case.base}/passport/entries/{created['id']}", headers=case.headers)
    assert again.status_code == 200 and again.headers["ETag"] == '"1"'
    assert again.get_json() == created


def test_searchable_fields_live_in_columns(client, case, db_session):
    exp = add(client, case, {"kind": "experience", **GOOD["experience"]})
    q = add(client, case, {"kind": "qualification", **GOOD["qualification"]})
    row = db_session.get(PassportEntry, exp["id"])
    assert (row.country, row.isco_code, str(row.start_date), str(row.end_date)) == (
        "QA", "5120", "2020-01-15", "2023-03-31")
    assert row.details == {"employer": "Hotel Doha"}
    row = db_session.get(PassportEntry, q["id"])
    assert (row.country, str(row.end_date)) == ("NP", "2019-06-30")
    assert row.details["level"] == {"framework": "EQF", "level": 4}


def test_occupation_title_and_isco_come_from_esco(client, case):
    created = add(client, case, {"kind": "occupation", "esco_uri": COOK_URI})
    assert (created["title"], created["isco_code"]) == ("cook", "5120")
    by_group = add(client, case, {"kind": "occupation", "isco_code": "5131"})
    assert by_group["title"] == "Waiters"
    minor = add(client, case, {"kind": "occupation", "isco_code": "512", "title": "Cook (any)"})
    assert (minor["title"], minor["isco_code"]) == ("Cook (any)", "512")


@pytest.mark.parametrize("body, field, code", [
    ({"esco_uri": UNKNOWN_URI}, "esco_uri", "not-found"),
    ({"isco_code": "9999"}, "isco_code", "not-found"),
    ({"esco_uri": COOK_URI, "isco_code": "5131"}, "isco_code", "mismatch"),
    ({"esco_uri": "http://example.com/cook"}, "esco_uri", "invalid"),
    ({"isco_code": "51A"}, "isco_code", "invalid"),
    ({}, "title", "invalid"),
])
def test_unknown_or_malformed_occupation_codes_are_refused(client, case, db_session, body, field,
                                                           code):
    resp = client.post(f"{case.base}/passport/entries", json={"kind": "occupation", **body},
                       headers=case.headers)
    assert fields_in_error(resp) == {field}
    assert resp.get_json()["errors"][0]["code"] == code
    assert db_session.scalars(select(PassportEntry)).all() == []


def test_experience_occupation_is_checked_and_names_the_entry(client, case):
    resp = client.post(f"{case.base}/passport/entries", headers=case.headers, json={
        "kind": "experience", "country": "QA", "start_date": "2020-01-01",
        "occupation": {"esco_uri": UNKNOWN_URI}})
    assert fields_in_error(resp) == {"occupation.esco_uri"}
    ok = add(client, case, {"kind": "experience", "country": "QA", "start_date": "2020-01-01",
                            "occupation": {"esco_uri": COOK_URI}})
    assert ok["title"] == "cook" and ok["occupation"] == {"esco_uri": COOK_URI, "isco_code": "5120"}
    assert ok["end_date"] is None  # still working there


def test_experience_abroad_defaults_from_the_participants_origin(client, case):
    abroad = add(client, case, {"kind": "experience", "title": "Cook", "country": "QA",
                                "start_date": "2020-01-01"})
    home = add(client, case, {"kind": "experience", "title": "Cook", "country": "NP",
                              "start_date": "2015-01-01", "end_date": "2019-12-31"})
    told = add(client, case, {"kind": "experience", "title": "Cook", "country": "NP",
                              "start_date": "2014-01-01", "acquired_abroad": True})
    assert (abroad["acquired_abroad"], home["acquired_abroad"], told["acquired_abroad"]) == (
        True, False, True)


@pytest.mark.parametrize("kind, body, fields", [
    ("experience", {"title": "Cook", "country": "QA", "start_date": "2022-01-01",
                    "end_date": "2021-01-01"}, {"end_date"}),
    ("experience", {"country": "QA", "start_date": "2022-01-01"}, {"title"}),
    ("experience", {"title": "Cook", "country": "XX"}, {"country", "start_date"}),
    ("language", {"language": "en", "listening": "B2"}, {"reading", "speaking", "writing"}),
    ("language", {"language": "zz", "mother_tongue": True}, {"language"}),
    ("language", {"language": "en", "listening": "D1", "reading": "B1", "speaking": "B1",
                  "writing": "B1"}, {"listening"}),
    ("qualification", {"title": "Diploma"}, {"formality"}),
    ("qualification", {"title": "Diploma", "formality": "formal",
                       "level": {"framework": "EQF", "level": 9}}, {"level.level"}),
    ("qualification", {"title": "Diploma", "formality": "formal",
                       "level": {"framework": "national", "level": "L2"}}, {"level.name"}),
    ("qualification", {"title": "Diploma", "formality": "sometimes", "country": "Nepal"},
     {"formality", "country"}),
    ("skill", {"esco_uri": "http://data.europa.eu/esco/occupation/not-a-skill"}, {"esco_uri"}),
    ("skill", {"title": "Knife skills", "colour": "red"}, {"colour"}),
    ("soft_skill", {"title": "  "}, {"title"}),
    ("training", {"title": "Course", "hours": -3, "completed_on": "yesterday"},
     {"hours", "completed_on"}),
    ("prior_learning", {"assessed_by": "NSTB"}, {"title"}),
])
def test_bad_input_is_a_422_field_by_field(client, case, kind, body, fields):
    resp = client.post(f"{case.base}/passport/entries", json={"kind": kind, **body},
                       headers=case.headers)
    assert fields_in_error(resp) == fields


def test_unknown_kind_is_a_422(client, case):
    resp = client.post(f"{case.base}/passport/entries", json={"kind": "hobby", "title": "Chess"},
                       headers=case.headers)
    assert fields_in_error(resp) == {"kind"}


def test_languages_mother_tongue_iso_639_3_and_default_title(client, case):
    ne = add(client, case, {"kind": "language", "language": "nep", "mother_tongue": True})
    assert (ne["language"], ne["title"], ne["listening"]) == ("ne", "Nepali", None)
    # A language with no two-letter code keeps its 639-3 code.
    mai = add(client, case, {"kind": "language", "language": "mai", "mother_tongue": True})
    assert (mai["language"], mai["title"]) == ("mai", "Maithili")


def test_national_framework_level_and_qualification_abroad(client, case):
    q = add(client, case, {"kind": "qualification", "title": "Food safety certificate",
                           "country": "QA", "formality": "non_formal",
                           "level": {"framework": "national", "name": "QNQF", "level": "Level 2"}})
    assert q["level"] == {"framework": "national", "name": "QNQF", "level": "Level 2"}
    assert q["acquired_abroad"] is True


def test_skill_without_title_is_named_by_its_uri(client, case):
    s = add(client, case, {"kind": "skill", "esco_uri": SKILL_URI, "acquired_abroad": True})
    assert s["title"] == SKILL_URI and s["acquired_abroad"] is True


def test_writes_are_audited_with_ids_only(client, case, db_session):
    created = add(client, case, {"kind": "soft_skill", "title": "Teamwork",
                                 "evidence": "Reference letter"})
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:entry:create")).one()
    assert (event.actor_id, event.object_id, event.office_id) == (
        case.user.id, created["id"], case.participant.office_id)
    assert event.details == {"participant_id": case.participant.id, "kind": "soft_skill"}
