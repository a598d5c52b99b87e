"""/api/v1/openapi.json is a valid OpenAPI 3 document that tells the truth about the API."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from journey.core.api import PUBLIC_ENDPOINTS
from journey.core.errors import PROBLEM_JSON
from journey.core.ids import MAX_ID

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(app):
    with app.test_client() as c:
        resp = c.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, item, op


def resolve(spec, obj):
    while "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = spec["components"][section][name]
    return obj


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises on any violation of the OpenAPI 3 schema
    assert spec["servers"] and spec["servers"][0]["url"]


def test_every_operation_has_a_unique_operation_id(spec):
    ids = [op.get("operationId") for _, _, _, op in operations(spec)]
    assert all(ids)
    assert len(ids) == len(set(ids))


def test_every_error_response_is_problem_json_with_the_one_problem_schema(spec):
    for path, method, _, op in operations(spec):
        errors = {s: resolve(spec, r) for s, r in op["responses"].items() if int(s) >= 400}
        assert errors, (method, path)
        assert "default" not in op["responses"]
        for status, response in errors.items():
            assert set(response["content"]) == {PROBLEM_JSON}, (method, path, status)
            schema = response["content"][PROBLEM_JSON]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
        if method in {"post", "patch", "put"}:
            assert {"413", "415"} <= set(errors), (method, path)
        if "requestBody" in op:
            assert {"400", "422"} <= set(errors), (method, path)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"title", "status", "code"} <= set(problem["required"])


def test_bearer_security_is_declared_and_required_except_on_public_operations(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    public = set()
    for path, method, _, op in operations(spec):
        if op["security"] == []:
            public.add((method, path))
        else:
            assert op["security"] == [{"bearerAuth": []}], (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    assert public == {("post", "/api/v1/auth/tokens"), ("post", "/api/v1/credentials/verify"),
                      ("get", "/api/v1/credentials/{credential_uuid}/status")}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_security_requirements_tell_the_truth(app, client, spec):
    """Without a token, every secured operation answers 401 and no public one does."""
    for path, method, _, op in operations(spec):
        kwargs = {"json": {}} if method in {"post", "patch", "put"} else {}
        resp = getattr(client, method)(_fill(path), **kwargs)
        if op["security"]:
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.mimetype == PROBLEM_JSON
        else:
            assert resp.status_code != 401, (method, path)
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= PUBLIC_ENDPOINTS


def test_path_ids_are_bounded_integers(spec):
    seen = 0
    for path, item in spec["paths"].items():
        for param in item.get("parameters", []):
            if param["in"] == "path" and param["name"].endswith("_id"):
                seen += 1
                assert param["schema"] == {"type": "integer", "format": "int32", "minimum": 1,
                                           "maximum": MAX_ID}, (path, param)
    assert seen >= 39


def test_headers_are_documented(spec):
    headers = spec["components"]["headers"]
    assert {"ETag", "X-Request-ID"} <= set(headers)
    patch = spec["paths"]["/api/v1/participants/{participant_id}"]["patch"]
    names = {p["name"] for p in patch["parameters"] if p["in"] == "header"}
    assert {"If-Match", "X-Request-ID"} <= names
    assert {"412", "428"} <= set(patch["responses"])
    ok = patch["responses"]["200"]["headers"]
    assert ok["ETag"] == {"$ref": "#/components/headers/ETag"}
    for path, method, _, op in operations(spec):
        for status, response in op["responses"].items():
            assert "X-Request-ID" in resolve(spec, response)["headers"], (method, path, status)


def test_headers_match_what_the_server_sends(client, factory, spec):
    """A documented ETag is sent, and X-Request-ID is echoed when valid."""
    user = factory.user()
    participant = factory.participant(user)
    headers = {**factory.headers(user), "X-Request-ID": "fuzz-abc-123"}
    resp = client.get(f"/api/v1/participants/{participant.id}", headers=headers)
    assert resp.status_code == 200
    assert re.fullmatch(r'"[0-9]+"', resp.headers["ETag"])
    assert resp.headers["X-Request-ID"] == "fuzz-abc-123"


def test_every_property_has_a_type_and_numeric_bounds_are_numbers(spec):
    def check(name, schema):
        for prop, value in schema.get("properties", {}).items():
            assert {"type", "$ref", "oneOf", "anyOf", "allOf"} & set(value), (name, prop)
            for key in ("minimum", "maximum"):
                assert not isinstance(value.get(key), str), (name, prop, key)
            for branch in value.get("oneOf", []):
                for key in ("minimum", "maximum"):
                    assert not isinstance(branch.get(key), str), (name, prop, key)

    for name, schema in spec["components"]["schemas"].items():
        check(name, schema)
    amount = spec["components"]["schemas"]["Cost"]["properties"]["amount"]
    assert {"type": "number", "minimum": 0, "maximum": 1_000_000_000} in amount["oneOf"]


def test_entry_documents_each_kinds_fields(spec):
    entry = spec["components"]["schemas"]["Entry"]
    props = entry["properties"]
    for field in ("esco_uri", "isco_code", "formality", "language", "listening", "hours",
                  "start_date", "awarding_body"):
        assert field in props
    assert "required" not in entry or "formality" not in entry["required"]


@pytest.mark.parametrize("method", ["get", "patch", "post"])
def test_an_id_out_of_range_is_404_whatever_the_method(client, factory, method):
    """werkzeug checks methods before converters: a too-large id once made PATCH a 405."""
    headers = factory.headers(factory.user(role="admin"))
    for path in ("/api/v1/participants/2147483648", "/api/v1/participants/99999999999/permits"):
        resp = getattr(client, method)(path, headers=headers,
                                       **({} if method == "get" else {"json": {}}))
        assert resp.status_code == 404, (method, path, resp.status_code)


def test_the_id_converter_takes_exactly_1_to_max_id():
    from journey.core.ids import IdConverter

    pattern = re.compile(IdConverter.regex)
    for value in (1, 9, 10, 999_999_999, 1_000_000_000, 2_099_999_999, MAX_ID):
        assert pattern.fullmatch(str(value)), value
    for text in ("0", "01", str(MAX_ID + 1), "2200000000", "9999999999", str(MAX_ID * 10)):
        assert not pattern.fullmatch(text), text


def test_the_fuzzers_exclusions_name_real_operations(spec):
    """.ci/fuzz excludes operations by operationId: a renamed one would silently be fuzzed."""
    fuzz = runpy.run_path(str(Path(__file__).resolve().parents[2] / ".ci" / "fuzz"))
    ids = {op["operationId"] for _, _, _, op in operations(spec)}
    assert fuzz["EXCLUDED"] and set(fuzz["EXCLUDED"]) <= ids
