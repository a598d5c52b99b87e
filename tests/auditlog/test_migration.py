"""Migration 0007 chains the events already in the log; 0016 turns that chain into seals (same
hashes, so heads noted before still verify); their downgrades restore what was."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command

from journey.auditlog.chain import walk
from journey.cli import alembic_config
from journey.core.db import make_engine


def _columns(conn, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(conn).get_columns(table)}


def test_upgrade_chains_existing_events_then_seals_them_and_downgrades_undo_it(
        fresh_database_url):
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
            chained = conn.execute(sa.text("SELECT id, seq, prev_hash, hash FROM audit_events "
                                           "ORDER BY id")).all()
        assert [r.seq for r in chained] == [1, 2, 3, 4, 5]

        command.upgrade(cfg, "0016")
        with engine.connect() as conn:
            report = walk(conn, batch_size=2)
            seals = conn.execute(sa.text("SELECT event_id, seq, prev_hash, hash FROM audit_seals "
                                         "ORDER BY seq")).all()
            assert not {"seq", "prev_hash", "hash"} & _columns(conn, "audit_events")
        assert report.intact and report.checked == 5
        assert [tuple(s) for s in seals] == [tuple(r) for r in chained]
        assert (report.head_seq, report.head_hash) == (5, chained[-1].hash)

        # One event the sealer never saw: the downgrade seals it before moving the chain back.
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO audit_events (occurred_at, action, object_type, details) "
                "VALUES ('2026-02-01 10:00:00', 'tests:thing:late', 'thing', '{}')"))
        command.downgrade(cfg, "0015")
        with engine.connect() as conn:
            assert "audit_seals" not in sa.inspect(conn).get_table_names()
            rows = conn.execute(sa.text("SELECT seq, hash FROM audit_events ORDER BY seq")).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
        assert [r.hash for r in rows[:5]] == [r.hash for r in chained]
        with engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("UPDATE audit_events SET details = '{}'"))

        command.downgrade(cfg, "0006")
        with engine.connect() as conn:
            assert "hash" not in _columns(conn, "audit_events")
        with engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("DELETE FROM audit_events"))
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            report = walk(conn)
        assert report.intact and report.checked == 6
        with engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("DELETE FROM audit_seals"))
    finally:
        engine.dispose()
