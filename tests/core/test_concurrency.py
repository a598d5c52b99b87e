"""Concurrent use of the real server: eight clients reading and writing at once for twenty seconds.

The app runs in a threaded werkzeug server on 127.0.0.1 (a free port) over its own file database,
built by the real migrations (SQLite, or PostgreSQL when JOURNEY_TEST_DATABASE_URL is set). Eight
threads talk to it through `requests` as four caseworkers: they register participants, read and
list them, update them with If-Match (racing each other on shared records), record consents, and
add and edit passport entries. Nothing may answer 5xx, and every acknowledged write must be in the
database afterwards, at the version the server acknowledged.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from journey.consent.models import ConsentRecord
from journey.core.db import make_engine
from journey.participants.models import Participant
from journey.passports.models import PassportEntry
from tests.factories import Factory

THREADS = 8
USERS = 4
DURATION = 20.0  # seconds of load
TIMEOUT = 60.0  # per request: an answer always comes, slow or not


@dataclass
class Ledger:
    """What the server acknowledged, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    participants: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # id -> (v, notes)
    consents: dict[int, set[str]] = field(default_factory=dict)  # participant id -> purposes
    entries: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # id -> (pid, v, title)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def ack_participant(self, pid: int, version: int, notes: str | None) -> None:
        with self.lock:
            known = self.participants.get(pid)
            if known is None or known[0] < version:
                self.participants[pid] = (version, notes)
            elif known[0] == version and known[1] != notes:
                self.failures.append(f"participant {pid}: two writes acknowledged as v{version}")

    def ack_entry(self, eid: int, pid: int, version: int, title: str) -> None:
        with self.lock:
            known = self.entries.get(eid)
            if known is None or known[1] < version:
                self.entries[eid] = (pid, version, title)
            elif known[1] == version and known[2] != title:
                self.failures.append(f"entry {eid}: two writes acknowledged as v{version}")

    def pick_participant(self, rng: random.Random) -> tuple[int, int] | None:
        with self.lock:
            if not self.participants:
                return None
            pid = rng.choice(list(self.participants))
            return pid, self.participants[pid][0]

    def pick_entry(self, rng: random.Random) -> tuple[int, int, int] | None:
        with self.lock:
            if not self.entries:
                return None
            eid = rng.choice(list(self.entries))
            pid, version, _title = self.entries[eid]
            return eid, pid, version


@pytest.fixture
def live_server(fresh_database_url, instance_dir):
    """The real app on its own migrated database, served by threads on a free loopback port."""
    from alembic import command

    from journey import create_app
    from journey.cli import alembic_config
    from journey.core.db import db

    url = fresh_database_url()
    command.upgrade(alembic_config(url), "head")
    os.environ["JOURNEY_ENV"] = "testing"
    os.environ["JOURNEY_INSTANCE_PATH"] = str(instance_dir)
    app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                      "PASSWORD_HASH_PROFILE": "cheapest"})
    with app.app_context(), db.job_session() as sess:
        factory = Factory(app, sess)
        office = factory.office()
        tokens = [factory.token(factory.user("caseworker", office=office)) for _ in range(USERS)]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1", tokens, url
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        app.extensions["journey_db"].engine.dispose()


def _worker(n: int, base: str, token: str, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(n)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    seq = 0

    def call(op: str, method: str, path: str, ok: tuple[int, ...], **kw: Any):
        try:
            resp = http.request(method, base + path, timeout=TIMEOUT, **kw)
        except requests.RequestException as exc:  # an unanswered write could be lost unseen
            with ledger.lock:
                ledger.failures.append(f"{op}: no answer ({type(exc).__name__})")
            return None
        with ledger.lock:
            ledger.statuses[resp.status_code] += 1
            if resp.status_code not in ok:
                ledger.failures.append(f"{op}: {resp.status_code} {resp.text[:200]}")
        return resp if resp.status_code in ok else None

    try:
        while time.monotonic() < deadline:
            seq += 1
            roll = rng.random()
            picked = ledger.pick_participant(rng)
            if picked is None or roll < 0.15:
                resp = call("create", "POST", "/participants/", (201,), json={
                    "given_name": f"Tester{n}", "family_name": f"Load{seq}x{n}",
                    "date_of_birth": f"19{70 + n}-0{1 + seq % 9}-1{seq % 9}", "sex": "female",
                    "nationality": "NP", "origin_country": "NP", "destination_country": "PT",
                    "language": "ne", "timezone": "Asia/Kathmandu", "channels": []})
                if resp is not None:
                    body = resp.json()
                    ledger.ack_participant(body["id"], body["version"], None)
                continue
            pid, version = picked
            if roll < 0.35:
                resp = call("read", "GET", f"/participants/{pid}", (200,))
                if resp is not None and resp.json()["version"] < version:
                    with ledger.lock:
                        ledger.failures.append(f"read {pid}: v{resp.json()['version']} < v{version}")
            elif roll < 0.45:
                call("list", "GET", "/participants/", (200,),
                     params={"q": "Load", "per_page": 10, "sort": "-id"})
            elif roll < 0.65:
                notes = f"thread {n} write {seq}"
                # Threads race on shared participants: a stale If-Match is a 412, never a loss.
                resp = call("update", "PATCH", f"/participants/{pid}", (200, 412),
                            json={"notes": notes}, headers={"If-Match": f'"{version}"'})
                if resp is not None and resp.status_code == 200:
                    ledger.ack_participant(pid, resp.json()["version"], notes)
            elif roll < 0.75:
                purpose = rng.choice(["updates", "monitoring", "share_providers"])
                # Consent already given (by another thread, or earlier) is a 409, and it is there.
                resp = call("consent", "POST", f"/participants/{pid}/consents", (201, 409),
                            json={"purpose": purpose, "method": "verbal"})
                if resp is not None and resp.status_code == 409 \
                        and resp.json()["code"] != "consent-already-given":
                    with ledger.lock:
                        ledger.failures.append(f"consent: 409 {resp.json()['code']}")
                elif resp is not None:
                    with ledger.lock:
                        ledger.consents.setdefault(pid, set()).add(purpose)
            elif roll < 0.8:
                call("read consents", "GET", f"/participants/{pid}/consents", (200,))
            elif roll < 0.88:
                title = f"Skill {n}.{seq}"
                resp = call("add entry", "POST", f"/participants/{pid}/passport/entries", (201,),
                            json={"kind": "soft_skill", "title": title})
                if resp is not None:
                    ledger.ack_entry(resp.json()["id"], pid, resp.json()["version"], title)
            else:
                entry = ledger.pick_entry(rng)
                if entry is None:
                    call("passport", "GET", f"/participants/{pid}/passport", (200,))
                    continue
                eid, epid, eversion = entry
                title = f"Skill {n}.{seq} edited"
                resp = call("edit entry", "PATCH", f"/participants/{epid}/passport/entries/{eid}",
                            (200, 412), json={"title": title},
                            headers={"If-Match": f'"{eversion}"'})
                if resp is not None and resp.status_code == 200:
                    ledger.ack_entry(eid, epid, resp.json()["version"], title)
    finally:
        http.close()


def test_eight_clients_for_twenty_seconds_no_server_error_and_no_lost_write(live_server):
    base, tokens, url = live_server
    ledger = Ledger()
    deadline = time.monotonic() + DURATION
    threads = [threading.Thread(target=_worker, name=f"client-{n}",
                                args=(n, base, tokens[n % USERS], ledger, deadline))
               for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DURATION + 2 * TIMEOUT)
    assert not any(t.is_alive() for t in threads)

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
