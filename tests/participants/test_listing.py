"""Listing: filters, free-text search, sorting and stable pagination with a total."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def office_with_people(factory):
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    people = []
    for i in range(23):
        people.append(factory.participant(
            cw, given_name=f"Person{i:02d}", family_name=["Thapa", "Rai", "Gurung"][i % 3],
            sex=["female", "male", "another"][i % 3],
            sex_self_described="non-binary" if i % 3 == 2 else None,
            date_of_birth=date(1980 + i, 1, 1), phone=f"+97798{50000000 + i:08d}"))
    return cw, people


def test_pages_cover_everyone_once_in_a_stable_order(client, factory, office_with_people):
    cw, people = office_with_people
    h = factory.headers(cw)
    seen = []
    for page in (1, 2, 3):
        resp = client.get(f"/api/v1/participants/?per_page=10&page={page}&sort=family_name", headers=h)
        body = resp.get_json()
        assert body["total"] == 23 and body["pages"] == 3
        assert resp.headers["X-Total-Count"] == "23"
        seen += [i["id"] for i in body["items"]]
    assert sorted(seen) == sorted(p.id for p in people)
    assert len(seen) == len(set(seen))
    # Ties on family_name are broken by id, so the order is the same every time.
    again = client.get("/api/v1/participants/?per_page=23&sort=family_name", headers=h).get_json()
    assert [i["id"] for i in again["items"]] == seen


def test_sort_descending_and_by_several_fields(client, factory, office_with_people):
    cw, _ = office_with_people
    h = factory.headers(cw)
    items = client.get("/api/v1/participants/?per_page=100&sort=-date_of_birth",
                       headers=h).get_json()["items"]
    dobs = [i["date_of_birth"] for i in items]
    assert dobs == sorted(dobs, reverse=True)
    items = client.get("/api/v1/participants/?per_page=100&sort=family_name,-given_name",
                       headers=h).get_json()["items"]
    keys = [(i["family_name"], i["given_name"]) for i in items]
    assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))


def test_filters_by_sex_and_stage(client, factory, office_with_people):
    cw, people = office_with_people
    h = factory.headers(cw)
    body = client.get("/api/v1/participants/?sex=female&sex=another&per_page=100", headers=h).get_json()
    assert body["total"] == sum(1 for p in people if p.sex in ("female", "another"))
    assert {i["sex"] for i in body["items"]} == {"female", "another"}
    assert client.get("/api/v1/participants/?stage=arrival", headers=h).get_json()["total"] == 0
    assert client.get("/api/v1/participants/?stage=intake", headers=h).get_json()["total"] == 23


def test_search_by_name_phone_and_reference(client, factory, office_with_people):
    cw, people = office_with_people
    h = factory.headers(cw)
    target = people[7]
    by_name = client.get("/api/v1/participants/?q=person07", headers=h).get_json()
    assert [i["id"] for i in by_name["items"]] == [target.id]
    by_phone = client.get("/api/v1/participants/?q=%2B977 985 0000007", headers=h).get_json()
    assert [i["id"] for i in by_phone["items"]] == [target.id]
    by_ref = client.get(f"/api/v1/participants/?q={target.reference.lower()}", headers=h).get_json()
    assert [i["id"] for i in by_ref["items"]] == [target.id]
    # LIKE wildcards typed by a user are matched literally.
    assert client.get("/api/v1/participants/?q=%25", headers=h).get_json()["total"] == 0


def test_filters_by_countries_and_programme(client, factory):
    cw = factory.user("caseworker")
    prog = factory.programme()
    a = factory.participant(cw, programme_id=prog.id, destination_country="PT")
    factory.participant(cw, destination_country="MY", origin_country="BD", nationality="BD")
    h = factory.headers(cw)
    assert [i["id"] for i in client.get(f"/api/v1/participants/?programme_id={prog.id}",
                                        headers=h).get_json()["items"]] == [a.id]
    assert client.get("/api/v1/participants/?destination_country=my", headers=h).get_json()["total"] == 1
    assert client.get("/api/v1/participants/?nationality=BD", headers=h).get_json()["total"] == 1


def test_caseworker_lists_only_their_office(client, factory, office_with_people):
    cw, people = office_with_people
    stranger = factory.user("caseworker")
    factory.participant(stranger)
    body = client.get("/api/v1/participants/?per_page=100", headers=factory.headers(cw)).get_json()
    assert body["total"] == 23
    admin = factory.user("admin")
    assert client.get("/api/v1/participants/", headers=factory.headers(admin)).get_json()["total"] >= 24
