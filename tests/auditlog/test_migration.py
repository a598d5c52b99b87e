"""Migration 0007 chains the events already in the log, and its downgrade restores 0006."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command

from journey.auditlog.chain import walk
from journey.cli import alembic_config
from journey.core.db import make_engine


def test_upgrade_chains_existing_events_in_id_order_and_downgrade_undoes_it(fresh_database_url):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for i in range(5):
                conn.execute(sa.text(
                    "INSERT INTO audit_events (occurred_at, action, object_type, object_id, "
                    "details) VALUES (:at, 'tests:thing:old', 'thing', :i, :d)"),
                    {"at": f"2026-01-0{i + 1} 10:00:00.12345{i}", "i": i,
                     "d": json.dumps({"n": i, "ids": [i, 2]})})
        command.upgrade(cfg, "0007")
        with engine.connect() as conn:
            report = walk(conn, batch_size=2)
            rows = conn.execute(sa.text("SELECT id, seq FROM audit_events ORDER BY id")).all()
        assert report.intact and report.checked == 5
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        command.downgrade(cfg, "0006")
        with engine.connect() as conn:
            assert "hash" not in {c["name"] for c in sa.inspect(conn).get_columns("audit_events")}
        with engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("DELETE FROM audit_events"))
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert walk(conn).checked == 5
    finally:
        engine.dispose()
