"""The directory as Open Referral HSDS 3.0 JSON: the export validates against the HSDS schema
(tests/data/hsds), the import reads it back, twice without a change, and refuses bad records
one by one with their fields."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from journey.organisations.models import ServiceProvider
from journey.referrals import hsds, hsds_import
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
)
from tests.referrals.directory_helpers import SHELTER_ADDRESS, build

DATA = Path(__file__).resolve().parent.parent / "data" / "hsds"


def schemas() -> list[Path]:
    """Every HSDS service schema kept under tests/data/hsds (the subset written from the
    specification, and the specification's compiled service.json when it is there)."""
    found = sorted(p for p in DATA.glob("*.json"))
    assert found, "no HSDS schema under tests/data/hsds"
    return found


@pytest.fixture
def d(app, factory, db_session):
    return build(factory, db_session, app)


def _export(app, sess, user=None):
    with app.test_request_context():
        return hsds.export(sess, user)


def _errors(record: dict) -> dict[str, list]:
    """Per schema file, the record's validation errors (path, message)."""
    found = {}
    for path in schemas():
        schema = json.loads(path.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        found[path.name] = [(list(e.path), e.message) for e in validator.iter_errors(record)]
    return found


def _validate(records: list[dict]) -> None:
    for record in records:
        for name, errors in _errors(record).items():
            assert not errors, (name, record["name"], errors[:5])


def test_the_export_validates_against_the_hsds_schema(app, db_session, d):
    records = [r for r in _export(app, db_session) if r["organization"]["name"]
               == "Associação Solidária"]
    assert len(records) == 4
    _validate(records)
    # The check can fail: a status HSDS does not have, an id that is not a UUID.
    broken = {**records[0], "status": "open", "id": "17"}
    assert all(len(errors) >= 2 for errors in _errors(broken).values())
    legal = next(r for r in records if r["name"] == "Legal advice on wages")
    assert {lang["code"] for lang in legal["languages"]} == {"pt", "ne"}
    assert [a["name"] for a in legal["service_areas"]] == ["Lisboa"]
    assert [s["byday"] for s in legal["schedules"]] == ["MO", "TU", "WE", "TH", "FR"]
    assert legal["schedules"][0]["opens_at"] == "09:00"
    (sal,) = legal["service_at_locations"]
    assert sal["location"]["addresses"][0]["city"] == "Lisboa"
    assert legal["cost_options"][0]["amount"] == 0 and legal["wait_time"] == "7 days"
    codes = {a["taxonomy_term"]["code"] for a in legal["attributes"]}
    assert {"legal_aid", "free_of_charge", "capacity", "waiting_days"} <= codes


def test_partners_export_no_confidential_location(app, db_session, d):
    text = json.dumps(_export(app, db_session, d.partner), ensure_ascii=False)
    assert SHELTER_ADDRESS not in text and "Casa Abrigo" not in text
    assert SHELTER_ADDRESS in json.dumps(_export(app, db_session, d.caseworker),
                                         ensure_ascii=False)


def _counts(sess) -> dict[str, int]:
    return {m.__tablename__: sess.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (ServiceProvider, DirectoryService, DirectoryLocation, ServiceAtLocation,
                      ServiceLanguage, ServiceArea, ServiceSchedule)}


def _comparable(record: dict) -> dict:
    """A record without what differs between two copies of the same directory: ids."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if not (k == "id" or k.endswith("_id") or k in ("link_id", "last_modified"))}
        if isinstance(value, list):
            return sorted((strip(v) for v in value), key=json.dumps)
        return value
    return strip(record)


def test_round_trip_export_import_is_idempotent(app, db_session, d):
    original = [r for r in _export(app, db_session)
                if r["organization"]["name"] == "Associação Solidária"]
    # Importing what was exported changes nothing.
    before = _counts(db_session)
    with app.test_request_context():
        result = hsds_import.import_services(db_session, original)
    assert (result.created, result.updated, result.errors) == (0, 0, [])
    assert result.unchanged == 4 and _counts(db_session) == before
    # A changed organization is updated in place, at a new version.
    described = copy.deepcopy(original[:1])
    described[0]["organization"]["description"] = "Free legal and social help"
    with app.test_request_context():
        assert hsds_import.import_services(db_session, described).unchanged == 1
    assert d.provider.description == "Free legal and social help" and d.provider.version == 2
    # The same records under another organization's name: a copy of the directory.
    copied = copy.deepcopy(original)
    for r in copied:
        r["organization"]["name"] = "Outra Associação"
        r["organization"]["website"] = "https://outra.example.org"
    with app.test_request_context():
        first = hsds_import.import_services(db_session, {"services": copied})
    assert (first.created, first.errors) == (4, [])
    after_first = _counts(db_session)
    with app.test_request_context():
        second = hsds_import.import_services(db_session, {"services": copied})
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert _counts(db_session) == after_first  # twice = the same rows
    other = db_session.scalar(sa.select(ServiceProvider).where(
        ServiceProvider.name == "Outra Associação"))
    assert other.website == "https://outra.example.org" and other.version == 1
    again = [r for r in _export(app, db_session)
             if r["organization"]["name"] == "Outra Associação"]
    _validate(again)
    for r in again + original:
        r["organization"]["name"] = "-"
        r["organization"].pop("website", None)
        r.pop("assured_date")
    assert sorted(map(_comparable, again), key=json.dumps) == \
        sorted(map(_comparable, original), key=json.dumps)
    shelter = db_session.scalar(sa.select(DirectoryLocation).join(ServiceProvider).where(
        ServiceProvider.name == "Outra Associação", DirectoryLocation.confidential.is_(True)))
    assert shelter is not None and shelter.address == SHELTER_ADDRESS


def test_bad_records_are_refused_one_by_one(app, db_session, d):
    good = _export(app, db_session)[0]
    good = {**copy.deepcopy(good), "name": "Fine service"}
    bad_language = {**copy.deepcopy(good), "name": "Bad language",
                    "languages": [{"id": good["id"], "code": "zz"}]}
    no_org = {"name": "Orphan", "status": "active"}
    bad_day = {**copy.deepcopy(good), "name": "Bad day",
               "schedules": [{"id": good["id"], "byday": "XX", "opens_at": "09:00",
                              "closes_at": "10:00"}]}
    with app.test_request_context():
        result = hsds_import.import_services(db_session, [bad_language, no_org, good, bad_day, 42])
    assert result.created == 1
    fields = {e["record"]: e["field"] for e in result.errors}
    assert fields == {0: "languages.0", 1: "organization.name", 3: "schedules.0.byday", 4: ""}
    assert db_session.scalar(sa.select(sa.func.count()).where(
        DirectoryService.name == "Bad language")) == 0
    with pytest.raises(hsds_import.HsdsFileError):
        hsds_import.records_of({"something": "else"})


def test_the_commands_import_and_export(app, db_session, d, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "directory.json"
    result = runner.invoke(args=["directory", "export", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert {"Legal advice on wages", "Emergency shelter"} <= {r["name"] for r in records}
    result = runner.invoke(args=["directory", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 services created" in result.output and "0 refused" in result.output
    records[0]["minimum_age"] = -4
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(records), encoding="utf-8")
    result = runner.invoke(args=["directory", "import", str(bad)])
    assert result.exit_code == 1
    assert "record 0" in result.output and "min_age" in result.output
    assert "Traceback" not in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["directory", "import", str(broken)])
    assert result.exit_code == 1 and "not a JSON file" in result.output
    assert "Traceback" not in result.output
