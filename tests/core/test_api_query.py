"""Query strings on the API: an unknown parameter is a 422 naming it, and the documented
pagination parameters are the ones accepted."""

from __future__ import annotations

import re
import uuid

import pytest

from journey.core.errors import PROBLEM_JSON

METHODS = {"get", "post", "put", "patch", "delete"}
# Values that get past each path's URL converter; the query is checked before the view runs,
# so the ids need not exist.
PATH_VALUES = {"role": "caseworker", "code": "2", "credential_uuid": str(uuid.uuid4())}


@pytest.fixture(scope="module")
def spec(app):
    with app.test_client() as c:
        return c.get("/api/v1/openapi.json").get_json()


def _fill(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def _operations(spec, methods=METHODS):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in methods:
                yield path, method, op


def _query_names(op) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def test_every_operation_refuses_an_unknown_query_parameter(client, factory, spec):
    admin = factory.user("admin")
    # Some operations are an employer user's own (GET /employer/me): the role is checked first.
    employer = factory.user("employer")
    checked = 0
    for path, method, op in _operations(spec):
        headers = factory.headers(admin) if op["security"] else {}
        kwargs = {"json": {}} if method in {"post", "put", "patch"} else {}
        resp = getattr(client, method)(_fill(path) + "?no_such_parameter=1", headers=headers,
                                       **kwargs)
        if resp.status_code == 403 and op["security"]:
            resp = getattr(client, method)(_fill(path) + "?no_such_parameter=1",
                                           headers=factory.headers(employer), **kwargs)
        assert resp.status_code == 422, (method, path, resp.status_code)
        assert resp.mimetype == PROBLEM_JSON
        body = resp.get_json()
        assert body["errors"] == [{"field": "no_such_parameter", "code": "unknown-field",
                                   "message": "Unknown field."}], (method, path)
        assert "422" in op["responses"], (method, path)
        checked += 1
    assert checked >= 80


def test_a_declared_parameter_is_accepted_and_an_unknown_one_beside_it_is_named(
        client, factory, spec):
    admin = factory.user("admin")
    gets = [(p, op) for p, _, op in _operations(spec, {"get"}) if _query_names(op)]
    assert len(gets) >= 5
    for path, op in gets:
        name = sorted(_query_names(op))[0]
        url = _fill(path)
        resp = client.get(url, query_string={name: "", "Page": "1", "per-page": "2"},
                          headers=factory.headers(admin))
        assert resp.status_code == 422, path
        fields = {e["field"] for e in resp.get_json()["errors"]}
        assert {"Page", "per-page"} <= fields, (path, fields)
        assert name not in fields, path


def test_the_unknown_parameter_is_refused_after_authentication(client, spec):
    resp = client.get("/api/v1/participants/?no_such_parameter=1")
    assert resp.status_code == 401


def test_a_parameter_with_a_nul_is_named_with_an_escape(client, factory):
    admin = factory.user("admin")
    resp = client.get("/api/v1/offices", query_string={"a\x00b": "1"},
                      headers=factory.headers(admin))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "a\\u0000b"


def test_the_refusal_is_in_the_callers_language(client, factory):
    admin = factory.user("admin", language="fr")
    resp = client.get("/api/v1/offices?x=1", headers=factory.headers(admin))
    assert resp.status_code == 422
    error = resp.get_json()["errors"][0]
    assert error["code"] == "unknown-field"
    assert error["field"] == "x"


def test_pages_are_not_api_routes_and_ignore_extra_parameters(client):
    assert client.get("/login?utm_source=sms").status_code == 200


def _paginated(spec):
    return [(path, op) for path, _, op in _operations(spec, {"get"})
            if {"page", "per_page"} <= _query_names(op)]


def test_the_paginated_endpoints_are_the_expected_ones(spec):
    assert {path for path, _ in _paginated(spec)} >= {
        "/api/v1/participants/", "/api/v1/audit-events/", "/api/v1/taxonomy/isco-groups",
        "/api/v1/taxonomy/occupations"}
    for path, op in _paginated(spec):
        ok = op["responses"]["200"]
        schema = ok["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[-1]
        props = spec["components"]["schemas"][name]["properties"]
        assert {"items", "total", "page", "per_page", "pages"} <= set(props), path


def test_every_paginated_endpoint_accepts_its_documented_parameters(client, factory, spec):
    admin = factory.user("admin")
    caseworker = factory.user("caseworker")
    for _ in range(3):
        factory.participant(caseworker)
    headers = factory.headers(admin)
    for path, op in _paginated(spec):
        params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        maximum = params["per_page"]["schema"]["maximum"]
        first = client.get(path, query_string={"page": 1, "per_page": 1}, headers=headers)
        assert first.status_code == 200, (path, first.get_json())
        body = first.get_json()
        assert body["page"] == 1 and body["per_page"] == 1, path
        assert len(body["items"]) == min(1, body["total"]), path
        # The X-Total-Count header is documented exactly where it is sent.
        if "X-Total-Count" in op["responses"]["200"]["headers"]:
            assert first.headers["X-Total-Count"] == str(body["total"]), path
        else:
            assert "X-Total-Count" not in first.headers, path
        assert body["pages"] == body["total"], path
        if body["total"] >= 2:
            second = client.get(path, query_string={"page": 2, "per_page": 1},
                                headers=headers).get_json()
            assert second["page"] == 2 and second["items"] != body["items"], path
        for bad in ({"per_page": 0}, {"per_page": maximum + 1}, {"page": 0},
                    {"per_page": "ten"}):
            resp = client.get(path, query_string=bad, headers=headers)
            assert resp.status_code == 422, (path, bad)
            assert [e["field"] for e in resp.get_json()["errors"]] == list(bad), (path, bad)
        # The names other APIs use are not silently ignored.
        for other in ("page_size", "limit", "offset", "pageSize"):
            resp = client.get(path, query_string={other: 1}, headers=headers)
            assert resp.status_code == 422, (path, other)
