"""Reads first (journey.core.db.reads_first): on SQLite a marked GET runs its reads in a deferred
transaction, so it never waits for a writer, and is promoted to a write transaction (BEGIN
IMMEDIATE) before its first write: its audit event is chained onto the latest head and written
in the same request."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from journey.core import audit
from journey.core import db as dbmod
from journey.core.db import make_engine
from tests.factories import Factory

pytestmark = pytest.mark.skipif(bool(os.environ.get("JOURNEY_TEST_DATABASE_URL")),
                                reason="SQLite's locking (PostgreSQL reads never take a lock)")


@pytest.fixture
def world(own_app):
    """Its own migrated file database and app (not the per-test transaction of `client`)."""
    app = own_app()
    url = app.config["DATABASE_URL"]
    with app.app_context(), dbmod.db.job_session() as sess:
        factory = Factory(app, sess)
        cw = factory.user("caseworker")
        token = factory.token(cw)
        pid = factory.participant(cw).id
    other = make_engine(url)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    # The token's last use is written now, so the reads below write nothing of their own.
    assert client.get("/api/v1/participants/", headers=headers).status_code == 200
    try:
        yield app, client, headers, pid, other
    finally:
        other.dispose()


def test_audit_buffer_key_is_the_one_db_promotes_for():
    assert dbmod._AUDIT_BUFFER == audit._BUFFER


def _statements(app):
    """Every statement the app's connections run (sqlite3's own trace: BEGIN/COMMIT included)."""
    seen: list[str] = []
    engine = app.extensions["journey_db"].engine
    engine.dispose()  # new connections, each traced

    @sa.event.listens_for(engine, "connect")
    def _trace(dbapi, _record):
        dbapi.set_trace_callback(lambda sql: seen.append(sql.split(None, 3)[:3]))

    return seen


@pytest.mark.parametrize("path", ["/api/v1/participants/", "/api/v1/participants/{pid}"])
def test_a_read_runs_deferred_and_takes_the_write_lock_only_for_its_audit_event(world, path):
    app, client, headers, pid, _other = world
    seen = _statements(app)
    assert client.get(path.format(pid=pid), headers=headers).status_code == 200
    begins = [i for i, s in enumerate(seen) if s[0] == "BEGIN"]
    assert [seen[i] for i in begins] == [["BEGIN", "DEFERRED"], ["BEGIN", "IMMEDIATE"]], seen
    reads, writes = seen[begins[0] + 1:begins[1]], seen[begins[1] + 1:]
    # Every read of the request before the write lock; then only the event, its inline seal
    # (the seals' head, read under the lock) and COMMIT.
    assert {s[0] for s in reads} == {"SELECT", "COMMIT"} and reads[-1] == ["COMMIT"]
    assert writes[-1] == ["COMMIT"], writes
    assert {tuple(s[:3]) for s in writes[:-1]} == {
        ("INSERT", "INTO", "audit_events"), ("SELECT", "audit_seals.seq,", "audit_seals.hash"),
        ("INSERT", "INTO", "audit_seals")}, writes


def test_a_write_still_takes_the_lock_at_its_first_statement(world):
    app, client, headers, pid, _other = world
    seen = _statements(app)
    resp = client.patch(f"/api/v1/participants/{pid}", json={"notes": "x", "version": 1},
                        headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert [s for s in seen if s[0] == "BEGIN"] == [["BEGIN", "IMMEDIATE"]]


@pytest.mark.parametrize("path", ["/api/v1/participants/", "/api/v1/participants/{pid}"])
def test_reads_run_while_a_writer_holds_the_lock_and_chain_onto_its_event(world, path):
    """The read's reads run while another connection holds the write lock (before: its BEGIN
    IMMEDIATE queued behind it). Its snapshot predates the writer's commit; its event's seal must
    still chain onto the writer's (the head is read after promotion), written before it answers."""
    app, client, headers, pid, other = world
    engine = app.extensions["journey_db"].engine
    read_done = threading.Event()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _saw(_conn, _cur, statement, *_a):
        if "FROM participants" in statement:
            read_done.set()

    with other.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the lock, before the request starts
        audit.append(conn, [{"occurred_at": dbmod.utcnow(), "actor_id": None,
                             "action": "tests:lock:hold", "object_type": "test", "object_id": None,
                             "office_id": None, "request_id": None, "details": {}}])
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(client.get, path.format(pid=pid), headers=headers)
            assert read_done.wait(20), "the read waited for the writer (no deferred read)"
            conn.commit()
            resp = future.result(timeout=30)
    assert resp.status_code == 200, resp.get_json()
    with other.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT s.seq, e.action, s.prev_hash, s.hash FROM audit_seals s"
            " JOIN audit_events e ON e.id = s.event_id ORDER BY s.seq DESC LIMIT 2")).all()
    (seq, action, prev, _h), (seq0, action0, _p, head) = rows
    assert action0 == "tests:lock:hold"
    assert action in ("participants:participant:read", "participants:participant:list")
    assert seq == seq0 + 1 and prev == head


def test_an_audited_read_fails_when_its_event_cannot_be_written(world, monkeypatch):
    """Never an unaudited read: the response fails with the event's write."""
    app, client, headers, pid, _other = world
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production

    def broken(_conn, _events):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(audit, "append", broken)
    resp = client.get(f"/api/v1/participants/{pid}", headers=headers)
    assert resp.status_code == 500
