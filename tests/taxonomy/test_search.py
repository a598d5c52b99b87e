"""Searching ISCO groups and ESCO occupations: services, API and CLI."""

from __future__ import annotations

import csv

import sqlalchemy as sa

from journey.taxonomy import services
from journey.taxonomy.models import EscoOccupation, IscoGroup
from tests.taxonomy.test_import import ESCO_FILE, FLEET_COMMANDER

API = "/api/v1/taxonomy"


def _codes(page) -> list[str]:
    return [g.code for g in page["items"]]


def _labels(page) -> list[str]:
    return [o.label for o in page["items"]]


def test_search_finds_the_full_import_by_code_and_by_label(db_session):
    services.import_esco(db_session, ESCO_FILE)

    # A code is a prefix: "22" finds sub-major 22 first, then its minor and unit groups in order.
    page = services.search_groups(db_session, code="22", per_page=100)
    assert _codes(page)[:4] == ["22", "221", "2211", "2212"]
    with ESCO_FILE.open(encoding="utf-8") as f:
        in_file = {r[f"isco_{n}_key"] for r in csv.DictReader(f) for n in (2, 3, 4)}
    assert set(_codes(page)) == {c for c in in_file if c.startswith("22")}
    assert _codes(services.search_groups(db_session, code="22", level=4))[0] == "2211"
    assert _codes(services.search_groups(db_session, q="011")) == ["011", "0110"]
    assert services.search_groups(db_session, level=1)["total"] == 10

    # Labels: any case, accents optional, words in any order; exact titles first.
    cooks = services.search_groups(db_session, q="COOKS")
    assert _codes(cooks)[:2] == ["512", "5120"] and cooks["items"][0].label == "Cooks"
    assert _codes(services.search_groups(db_session, q="forces armed", level=1)) == ["0"]

    fleet = services.search_occupations(db_session, q="Fleet Commander")
    assert [o.uri for o in fleet["items"]] == [FLEET_COMMANDER]
    assert _labels(services.search_occupations(db_session, q="REPETITEUR")) == [
        "répétiteur", "dance répétiteur"]
    assert _labels(services.search_occupations(db_session, q="répétiteur dance")) == [
        "dance répétiteur"]
    # The exact title first, then by title.
    assert _labels(services.search_occupations(db_session, q="cook")) == [
        "cook", "diet cook", "fish cook", "grill cook", "industrial cook"]

    # Under a code: a unit group, or any prefix of one; a code typed as q means the same.
    under = services.search_occupations(db_session, isco="0110", per_page=100)
    assert under["total"] == 12 and "fleet commander" in _labels(under)
    assert services.search_occupations(db_session, isco="0")["total"] == 21
    assert services.search_occupations(db_session, q="0110")["total"] == 12
    assert services.search_occupations(db_session, q="officer", isco="01")["total"] >= 1

    # LIKE wildcards are text, not patterns.
    assert services.search_occupations(db_session, q="%")["total"] == 0
    assert services.search_groups(db_session, q="_")["total"] == 0


def test_lookups_take_exact_codes_and_uris(db_session):
    services.load_base(db_session)
    assert services.isco_group(db_session, "5120").label == "Cooks"
    for bad in ("512O", "05120", "", "5120 "):
        assert services.isco_group(db_session, bad) is None
    cook = db_session.scalars(sa.select(EscoOccupation).where(EscoOccupation.label == "cook")).one()
    assert services.occupation_by_uri(db_session, cook.uri).id == cook.id
    assert services.occupation_by_uri(db_session, cook.uri + "x") is None


def test_every_role_may_search_and_anonymous_may_not(client, factory, db_session):
    services.load_base(db_session)
    for role in ("admin", "supervisor", "caseworker", "employer", "partner"):
        h = factory.headers(factory.user(role))
        for path in ("/isco-groups?q=cook", "/isco-groups/5120", "/occupations?q=waiter"):
            resp = client.get(API + path, headers=h)
            assert resp.status_code == 200, (role, path, resp.get_json())
    for path in ("/isco-groups", "/isco-groups/5120", "/occupations"):
        assert client.get(API + path).status_code == 401


def test_api_lists_groups_and_occupations_paged(client, factory, db_session):
    services.load_base(db_session)
    h = factory.headers(factory.user("caseworker"))

    resp = client.get(f"{API}/isco-groups?code=5&per_page=5&page=2", headers=h)
    body = resp.get_json()
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == str(body["total"])
    # Code order is the tree, depth first: 5, 51, 512, 5120, 513 on page 1; then 5131, ...
    assert [g["code"] for g in body["items"]] == ["5131", "5132", "515", "5151", "52"]
    assert body["items"][0] == {"code": "5131", "level": 4, "label": "Waiters",
                                "parent_code": "513"}
    assert (body["page"], body["per_page"], body["pages"]) == (2, 5, -(-body["total"] // 5))

    subs = client.get(f"{API}/isco-groups?level=2&per_page=100", headers=h).get_json()
    assert subs["total"] == 43

    occ = client.get(f"{API}/occupations?q=Waiter&isco=5131", headers=h).get_json()
    # Titles that start with the words come before those that merely contain them.
    assert [o["label"] for o in occ["items"]] == ["waiter/waitress", "head waiter/head waitress"]
    assert occ["items"][0]["isco_code"] == "5131"
    assert occ["items"][0]["uri"].startswith("http://data.europa.eu/esco/occupation/")
    everything = client.get(f"{API}/occupations?per_page=100", headers=h).get_json()
    assert everything["total"] == db_session.scalar(
        sa.select(sa.func.count()).select_from(EscoOccupation))


def test_api_group_detail_has_parents_children_and_occupations(client, factory, db_session):
    services.load_base(db_session)
    h = factory.headers(factory.user("employer"))

    unit = client.get(f"{API}/isco-groups/5120", headers=h).get_json()
    assert (unit["code"], unit["level"], unit["parent_code"]) == ("5120", 4, "512")
    assert [p["code"] for p in unit["parents"]] == ["5", "51", "512"]
    assert unit["children"] == []
    labels = [o["label"] for o in unit["occupations"]]
    assert "cook" in labels and labels == sorted(labels)

    sub = client.get(f"{API}/isco-groups/51", headers=h).get_json()
    assert [p["code"] for p in sub["parents"]] == ["5"]
    assert [c["code"] for c in sub["children"]] == ["512", "513", "515"]
    assert sub["occupations"] == []
    major = client.get(f"{API}/isco-groups/6", headers=h).get_json()
    assert major["parents"] == [] and "63" in [c["code"] for c in major["children"]]


def test_api_unknown_or_malformed_codes_are_404(client, factory, db_session):
    services.load_base(db_session)
    h = factory.headers(factory.user("partner"))
    for code in ("9999", "110", "abc", "51200", "5%25", "%20"):
        resp = client.get(f"{API}/isco-groups/{code}", headers=h)
        assert resp.status_code == 404, code
        assert resp.content_type == "application/problem+json"
        assert resp.get_json()["code"] == "not-found"


def test_api_bad_parameters_are_422_field_by_field(client, factory):
    h = factory.headers(factory.user("supervisor"))
    resp = client.get(f"{API}/isco-groups?code=5A&level=5&per_page=0&q=%20", headers=h)
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert fields == {"code", "level", "per_page", "q"}
    resp = client.get(f"{API}/occupations?isco=12345&page=0&q=" + "x" * 101, headers=h)
    assert resp.status_code == 422
    assert {e["field"] for e in resp.get_json()["errors"]} == {"isco", "page", "q"}
    nul = client.get(f"{API}/occupations?q=a%00b", headers=h)
    assert nul.status_code == 422 and nul.get_json()["errors"][0]["field"] == "q"


def test_cli_import_prints_counts_and_a_bad_file_exits_non_zero(app, connection, db_session,
                                                               tmp_path):
    runner = app.test_cli_runner()
    base = runner.invoke(args=["taxonomy", "load-base"])
    assert base.exit_code == 0, base.output
    assert "72 created" in base.output

    result = runner.invoke(args=["taxonomy", "import-esco", str(ESCO_FILE)])
    assert result.exit_code == 0, result.output
    assert "now 426 unit groups, 2942 occupations" in result.output
    assert " s)" in result.output  # the time taken
    assert db_session.scalar(sa.select(sa.func.count()).select_from(EscoOccupation)) == 2942

    bad = tmp_path / "bad.csv"
    bad.write_text(ESCO_FILE.read_text(encoding="utf-8").replace(
        "fleet commander,0b1d8dcb-d941-4d79-99bf-fc10c1806c43,Commissioned armed forces officers,110",
        "fleet commander,0b1d8dcb-d941-4d79-99bf-fc10c1806c43,Commissioned armed forces officers,1x0"),
        encoding="utf-8")
    failed = runner.invoke(args=["taxonomy", "import-esco", str(bad)])
    assert failed.exit_code != 0
    assert "line 2: isco_4_key '1x0'" in failed.output and "nothing imported" in failed.output
    missing = runner.invoke(args=["taxonomy", "import-esco", str(tmp_path / "none.csv")])
    assert missing.exit_code != 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(IscoGroup)) == 604
