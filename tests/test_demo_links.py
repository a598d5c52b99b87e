"""The demo prints its links with the configured base URL, not a hard-coded host (#13)."""

from __future__ import annotations

import re


def test_demo_links_use_the_public_base_url(app, connection, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://mrc.example.org")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"https?://[^\s)]+", result.output)
    assert links, result.output
    assert all(link.startswith("https://mrc.example.org/") for link in links), links
    assert "https://mrc.example.org/login" in links
    assert any("/cards/" in link for link in links)
    assert "127.0.0.1" not in result.output and "localhost" not in result.output
