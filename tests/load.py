"""The caseworkers' mixed workload against the real app on a live loopback server.

Shared by the concurrency test (tests/core/test_concurrency.py: no 5xx, no lost write) and the
concurrency benchmark (bench/concurrency.py: throughput and latency), so both exercise the same
thing. Client threads talk to the server through `requests` as caseworkers: they register
participants, read and list them, update them with If-Match (racing each other on shared records),
record consents, and add and edit passport entries. Every answer's status and latency goes into a
`Ledger`, with what the server acknowledged, so a caller can check it against the database.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from journey.core.db import db
from tests.factories import Factory

TIMEOUT = 60.0  # per request: an answer always comes, slow or not


@dataclass
class Ledger:
    """What the server acknowledged, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    participants: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # id -> (v, notes)
    consents: dict[int, set[str]] = field(default_factory=dict)  # participant id -> purposes
    entries: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # id -> (pid, v, title)
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    failures: list[str] = field(default_factory=list)
    sent: int = 0  # requests sent, answered or not

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


def caseworker_tokens(app: Flask, users: int) -> list[str]:
    """API tokens of `users` new caseworkers of one new office (committed)."""
    with app.app_context(), db.job_session() as sess:
        factory = Factory(app, sess)
        office = factory.office()
        return [factory.token(factory.user("caseworker", office=office)) for _ in range(users)]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args: Any) -> None:  # one stderr line per request is noise (and time)
        pass


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """The app in a threaded werkzeug server on a free 127.0.0.1 port; yields the API's base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def run_clients(base: str, tokens: list[str], ledger: Ledger, clients: int, seconds: float,
                max_requests: int | None = None, tag: str = "") -> float:
    """`clients` threads (client n as tokens[n % len(tokens)]) run the workload for `seconds`, or
    until about `max_requests` were sent; returns the wall time, in seconds, until all stopped.

    The people registered are named after the client and `tag`: give each run on one database
    its own tag, or its registrations are refused as duplicates of the last run's. A client still
    running after its last request's timeout is recorded as a failure."""
    start = time.monotonic()
    deadline = start + seconds
    threads = [threading.Thread(target=client, name=f"client-{n}",
                                args=(n, base, tokens[n % len(tokens)], ledger, deadline,
                                      max_requests, tag))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 2 * TIMEOUT)
    elapsed = time.monotonic() - start
    with ledger.lock:
        ledger.failures += [f"{t.name}: still running" for t in threads if t.is_alive()]
    return elapsed


def client(n: int, base: str, token: str, ledger: Ledger, deadline: float,
           max_requests: int | None = None, tag: str = "") -> None:
    """One caseworker's loop of mixed reads and writes, until the deadline (monotonic clock)."""
    rng = random.Random(n)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    seq = 0

    def call(op: str, method: str, path: str, ok: tuple[int, ...], **kw: Any):
        with ledger.lock:
            ledger.sent += 1
        start = time.perf_counter()
        try:
            resp = http.request(method, base + path, timeout=TIMEOUT, **kw)
        except requests.RequestException as exc:  # an unanswered write could be lost unseen
            with ledger.lock:
                ledger.failures.append(f"{op}: no answer ({type(exc).__name__})")
            return None
        latency = time.perf_counter() - start
        with ledger.lock:
            ledger.statuses[resp.status_code] += 1
            ledger.latencies.append(latency)
            if resp.status_code not in ok:
                ledger.failures.append(f"{op}: {resp.status_code} {resp.text[:200]}")
        return resp if resp.status_code in ok else None

    try:
        while time.monotonic() < deadline and (max_requests is None
                                               or ledger.sent < max_requests):
            seq += 1
            roll = rng.random()
            picked = ledger.pick_participant(rng)
            if picked is None or roll < 0.15:
                resp = call("create", "POST", "/participants/", (201,), json={
                    "given_name": f"Tester{n}", "family_name": f"Load{seq}x{n}{tag}",
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
