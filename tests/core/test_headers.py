"""Finding 8 of issue #11: response headers on the API and its documentation page."""

from __future__ import annotations

import pytest

from journey import create_app
from tests.factories import PASSWORD


def test_api_answers_with_personal_data_are_not_stored_or_sniffed(client, factory):
    caseworker = factory.user("caseworker")
    p = factory.participant(caseworker)
    h = factory.headers(caseworker)
    for resp in (client.get(f"/api/v1/participants/{p.id}", headers=h),
                 client.get("/api/v1/participants", headers=h),
                 client.get("/api/v1/participants/999999", headers=h),  # errors too
                 client.get("/api/v1/participants")):
        assert resp.headers["Cache-Control"] == "no-store", resp.request.path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_new_token_is_not_stored(client, factory):
    user = factory.user("caseworker")
    resp = client.post("/api/v1/auth/tokens",
                       json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 201, resp.get_json()
    assert resp.headers["Cache-Control"] == "no-store"


def test_public_impersonal_answers_keep_their_caching(client):
    for path in ("/api/v1/openapi.json", "/api/v1/docs/assets/swagger-ui.css"):
        resp = client.get(path)
        resp.close()  # a file response: its handle is released here
        assert resp.status_code == 200
        assert "no-store" not in resp.headers.get("Cache-Control", ""), path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_page_has_a_strict_csp_and_cannot_be_framed(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    csp = {d.split()[0]: d.split()[1:] for d in resp.headers["Content-Security-Policy"].split("; ")}
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert b"<script>" not in resp.data  # no inline script for the CSP to allow
    assert "Strict-Transport-Security" not in resp.headers  # not outside production


def test_pages_cannot_be_framed(client):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.fixture
def production_app(database_url, instance_dir):
    app = create_app({"DATABASE_URL": database_url, "ENV_NAME": "production"})
    yield app
    app.extensions["journey_db"].engine.dispose()


def test_hsts_in_production_only(production_app, client):
    assert "Strict-Transport-Security" not in client.get("/api/v1/openapi.json").headers
    with production_app.test_client() as prod:
        for path in ("/api/v1/openapi.json", "/login", "/api/v1/participants"):
            hsts = prod.get(path).headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=31536000"), path
