"""Programmes: corridor, partners, languages and checklist configuration."""

from __future__ import annotations


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
