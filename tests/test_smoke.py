"""The app starts, the database answers, the OpenAPI document is served."""


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}
    assert resp.headers["X-Request-ID"]


def test_openapi_document_lists_participant_paths(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/participants/" in spec["paths"]
    assert "ProblemSchema" in str(spec) or "Problem" in str(spec["components"])


def test_create_and_read_participant(client, factory):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    resp = client.post("/api/v1/participants/", json={
        "given_name": "Sunita", "family_name": "Gurung", "date_of_birth": "1995-04-02",
        "sex": "female", "nationality": "NP", "origin_country": "NP", "phone": "+977 981-2345678",
        "language": "ne", "timezone": "Asia/Kathmandu",
    }, headers=h)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["phone"] == "+9779812345678"
    assert body["office_id"] == cw.office_id
    resp = client.get(f"/api/v1/participants/{body['id']}", headers=h)
    assert resp.status_code == 200
    assert resp.headers["ETag"] == '"1"'
