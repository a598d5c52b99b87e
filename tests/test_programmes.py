"""Programmes: corridor, partners, languages and checklist configuration."""

from __future__ import annotations

import pytest


def test_admin_creates_and_updates_a_programme(client, factory):
    admin = factory.user("admin")
    employer = factory.employer()
    trainer = factory.provider(kind="training")
    h = factory.headers(admin)
    resp = client.post("/api/v1/programmes/", headers=h, json={
        "code": "BD-MY-CONS", "name": "Bangladesh → Malaysia construction",
        "origin_country": "BD", "destination_country": "MY", "sector": "Construction",
        "occupations": ["7112", "7115"], "default_language": "bn", "languages": ["en"],
        "employer_ids": [employer.id], "training_provider_id": trainer.id,
        "checklist_config": {"disabled": ["language_course"]}})
    assert resp.status_code == 201, resp.get_json()
    prog = resp.get_json()
    assert prog["employer_ids"] == [employer.id]
    assert prog["checklist_config"]["disabled"] == ["language_course"]
    other = factory.employer()
    upd = client.patch(f"/api/v1/programmes/{prog['id']}", headers=h,
                       json={"employer_ids": [employer.id, other.id],
                             "checklist_config": {"renamed": {"housing": "Dormitory inspected"}}})
    assert upd.status_code == 200, upd.get_json()
    assert upd.get_json()["employer_ids"] == sorted([employer.id, other.id])
    assert upd.get_json()["checklist_config"]["renamed"] == {"housing": "Dormitory inspected"}


def test_programme_validation(client, factory):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={
        "code": "X-1", "name": "Unknown item", "origin_country": "NP", "destination_country": "PT",
        "sector": "Care", "checklist_config": {"disabled": ["no_such_item"]}})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [{
        "field": "checklist_config._schema", "code": "invalid",
        "message": "No default checklist item 'no_such_item'."}]
    same = client.post("/api/v1/programmes/", headers=h, json={
        "code": "X-3", "name": "Same country", "origin_country": "NP", "destination_country": "NP",
        "sector": "Care"})
    assert [e["field"] for e in same.get_json()["errors"]] == ["destination_country"]
    missing_employer = client.post("/api/v1/programmes/", headers=h, json={
        "code": "X-2", "name": "Ok", "origin_country": "NP", "destination_country": "PT",
        "sector": "Care", "employer_ids": [99999]})
    assert missing_employer.status_code == 422
    assert missing_employer.get_json()["errors"][0]["field"] == "employer_ids"


BASE = {"code": "NP-PT-CARE", "name": "Nepal → Portugal care", "origin_country": "NP",
        "destination_country": "PT", "sector": "Care"}


def test_a_taken_code_is_409_with_the_existing_id(client, factory):
    h = factory.headers(factory.user("admin"))
    first = client.post("/api/v1/programmes/", headers=h, json=BASE)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/programmes/", headers=h, json={**BASE, "name": "Another"})
    assert again.status_code == 409
    assert again.get_json()["code"] == "code-taken"
    assert again.get_json()["existing_id"] == first.get_json()["id"]


def test_a_concurrent_create_of_the_same_code_is_409(app, db_session, factory, monkeypatch):
    """Another request commits the code between our check and our insert."""
    from journey.core.auth import User
    from journey.core.errors import Conflict
    from journey.programmes import services

    admin = factory.user("admin")
    existing = factory.programme(code="RACE-1")
    real_scalar, calls = db_session.scalar, []

    def blind_first_check(stmt, *args, **kwargs):
        calls.append(stmt)
        return None if len(calls) == 1 else real_scalar(stmt, *args, **kwargs)

    monkeypatch.setattr(db_session, "scalar", blind_first_check)
    with app.test_request_context(), pytest.raises(Conflict) as raised:
        services.create_programme(db_session, db_session.get(User, admin.id),
                                  {**BASE, "code": "RACE-1"})
    assert raised.value.extra == {"existing_id": existing.id}


@pytest.mark.parametrize("body", [
    {"employer_ids": ["1"]}, {"employer_ids": [1.5]}, {"employer_ids": [2**31]},
    {"employer_ids": [0]}, {"training_provider_id": "1"}, {"training_provider_id": 2**63},
])
def test_ids_in_the_body_are_strict_integers_in_range(client, factory, body):
    h = factory.headers(factory.user("admin"))
    prog = factory.programme()
    field = next(iter(body))
    create = client.post("/api/v1/programmes/", headers=h, json={**BASE, **body})
    update = client.patch(f"/api/v1/programmes/{prog.id}", headers=h, json=body)
    for resp in (create, update):
        assert resp.status_code == 422, resp.get_json()
        assert all(e["field"].startswith(field) for e in resp.get_json()["errors"])


def test_unknown_partners_are_named_field_by_field(client, factory):
    h = factory.headers(factory.user("admin"))
    prog = factory.programme()
    resp = client.patch(f"/api/v1/programmes/{prog.id}", headers=h,
                        json={"employer_ids": [99998], "training_provider_id": 99999})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [
        {"field": "employer_ids", "code": "not-found", "message": "No employer 99998."},
        {"field": "training_provider_id", "code": "not-found",
         "message": "No such service provider."}]
    assert client.get("/api/v1/programmes/99999", headers=h).status_code == 404


def test_schema_messages_are_whole_sentences(client, factory):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={
        **BASE, "occupations": ["cook"], "destination_country": "NP"})
    assert resp.status_code == 422
    assert sorted((e["field"], e["message"]) for e in resp.get_json()["errors"]) == [
        ("occupations.0", "An ISCO-08 code.")]
