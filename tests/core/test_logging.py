"""One log line per request with id, status and duration, and never personal data."""

from __future__ import annotations

import logging


def test_request_log_line_has_no_names_phones_or_search_terms(client, factory, caplog):
    cw = factory.user("caseworker")
    h = factory.headers(cw)
    with caplog.at_level(logging.DEBUG, logger="journey"):
        resp = client.post("/api/v1/participants/", json={
            "given_name": "Bimala", "family_name": "Karki", "date_of_birth": "1991-02-03",
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "phone": "+9779812345670", "email": "bimala@example.org"}, headers=h)
        assert resp.status_code == 201
        client.get("/api/v1/participants/?q=Bimala", headers=h)
        client.post("/api/v1/participants/", json={"given_name": "Bimala", "phone": "+9779"}, headers=h)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("Bimala", "Karki", "9812345670", "bimala@example.org", "1991-02-03"):
        assert secret not in text
    lines = [r.getMessage() for r in caplog.records if r.name == "journey.request"]
    assert len(lines) == 3
    assert f"request_id={resp.headers['X-Request-ID']}" in lines[0]
    assert "route=/api/v1/participants/ status=201 duration_ms=" in lines[0]


def test_incoming_request_id_is_kept_when_well_formed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-12345678"}).headers[
        "X-Request-ID"] == "abc-12345678"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id!"}).headers[
        "X-Request-ID"] != "bad id!"
