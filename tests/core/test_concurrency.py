"""Concurrent use of the real server: eight clients reading and writing at once for twenty seconds.

The app runs in a threaded werkzeug server on 127.0.0.1 (a free port) over its own file database,
built by the real migrations (SQLite, or PostgreSQL when JOURNEY_TEST_DATABASE_URL is set). Eight
threads talk to it through `requests` as four caseworkers: they register participants, read and
list them, update them with If-Match (racing each other on shared records), record consents, and
add and edit passport entries. Nothing may answer 5xx, and every acknowledged write must be in the
database afterwards, at the version the server acknowledged. The workload and the server are in
tests/load.py, shared with bench/concurrency.py.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from journey.consent.models import ConsentRecord
from journey.core.db import make_engine
from journey.participants.models import Participant
from journey.passports.models import PassportEntry
from tests.load import Ledger, caseworker_tokens, run_clients, serve

THREADS = 8
USERS = 4
DURATION = 20.0  # seconds of load


@pytest.fixture
def live_server(fresh_database_url, instance_dir):
    """The real app on its own migrated database, served by threads on a free loopback port."""
    from alembic import command

    from journey import create_app
    from journey.cli import alembic_config

    url = fresh_database_url()
    command.upgrade(alembic_config(url), "head")
    os.environ["JOURNEY_ENV"] = "testing"
    os.environ["JOURNEY_INSTANCE_PATH"] = str(instance_dir)
    app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                      "PASSWORD_HASH_PROFILE": "cheapest"})
    tokens = caseworker_tokens(app, USERS)
    try:
        with serve(app) as base:
            yield base, tokens, url
    finally:
        app.extensions["journey_db"].engine.dispose()


def test_eight_clients_for_twenty_seconds_no_server_error_and_no_lost_write(live_server):
    base, tokens, url = live_server
    ledger = Ledger()
    run_clients(base, tokens, ledger, THREADS, DURATION)  # a client still running is a failure

    server_errors = {s: c for s, c in ledger.statuses.items() if s >= 500}
    assert not server_errors, (server_errors, ledger.failures[:10])
    assert not ledger.failures, ledger.failures[:10]
    # The load was real: both kinds of write were acknowledged many times, by every thread.
    assert sum(ledger.statuses.values()) >= 200, ledger.statuses
    assert len(ledger.participants) >= 20 and len(ledger.entries) >= 5, ledger.statuses

    # Every acknowledged write is in the database, at the version acknowledged (read afterwards,
    # on a connection of its own, so nothing the server's sessions held can hide a loss).
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            people = {row.id: (row.version, row.notes) for row in conn.execute(
                sa.select(Participant.id, Participant.version, Participant.notes))}
            entries = {row.id: (row.participant_id, row.version, row.title) for row in conn.execute(
                sa.select(PassportEntry.id, PassportEntry.participant_id, PassportEntry.version,
                          PassportEntry.title))}
            consents = {(row.participant_id, row.purpose) for row in conn.execute(
                sa.select(ConsentRecord.participant_id, ConsentRecord.purpose)
                .where(ConsentRecord.withdrawn_at.is_(None)))}
    finally:
        engine.dispose()
    assert {pid: people.get(pid) for pid in ledger.participants} == ledger.participants
    assert {eid: entries.get(eid) for eid in ledger.entries} == ledger.entries
    assert {(pid, p) for pid, purposes in ledger.consents.items() for p in purposes} <= consents
