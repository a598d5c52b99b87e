"""A route's declared permission is checked before its body is read, and documents as before."""

from __future__ import annotations


def test_a_role_without_the_permission_is_refused_before_the_body_is_parsed(client, factory):
    caseworker = factory.user("caseworker")
    resp = client.post("/api/v1/offices", json={"code": 12, "unknown": "x"},
                       headers=factory.headers(caseworker))
    assert resp.status_code == 403

    resp = client.post("/api/v1/offices", json={"code": 12, "unknown": "x"})
    assert resp.status_code == 401

    admin = factory.user("admin")
    resp = client.post("/api/v1/offices", json={"code": 12, "unknown": "x"},
                       headers=factory.headers(admin))
    assert resp.status_code == 422


def test_a_permission_route_keeps_its_documentation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/offices"]["post"]
    assert post["summary"] == "Open an office (admins)."
    assert set(post["responses"]) >= {"201", "409", "422"}
