"""Concurrency benchmark: the real server under eight caseworkers at once, against one.

    python bench/concurrency.py                       # SQLite, 3 runs a side of 8 s each
    python bench/concurrency.py --seconds 3 --runs 1  # a quick check
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/concurrency.py

What it measures: the real app in a threaded werkzeug server on 127.0.0.1 (a free port), driven
through `requests` by the mixed caseworker workload of the concurrency test (tests/load.py:
register, read, list, update with If-Match, consents, passport entries and their edits).

* Service: --clients (8) clients at once for --seconds (10).
* Baseline: the same workload by one client for the same time.

Each run gets a fresh migrated database (a SQLite file, the embedded default; or, when
DATABASE_URL is a PostgreSQL URL, a new database on that server, dropped at the end) and its own
server; a second of one client warms it up, uncounted. Runs alternate (8 1, 1 8, 8 1, ...), so
load from anything else on the machine hits both sides alike. Per run and as the median of
--runs: requests/s, p50/p95/max latency, 5xx (must be 0), 409 and 412 (expected: a consent given
twice, an If-Match that lost a race) and anything else unexpected; then throughput(8)/throughput(1)
and p95(8)/p95(1).

Clients and server share one Python process (and its GIL), as in the test: eight clients' own work
competes with the server's threads far more than one client's does, so throughput(8)/throughput(1)
counts that cost too (it is below 1 on PostgreSQL as well). Each run is bounded by --seconds and
--max-requests and stops by itself; all traffic is to 127.0.0.1. Targets are printed with
PASS/FAIL; the exit code is 0 either way (it reports).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Workspace,
    heading,
    line,
    note,
    percentile,
    sized,
    targets,
    verdict,
)

from tests.load import Ledger, caseworker_tokens, run_clients, serve  # noqa: E402

USERS = 4  # caseworker accounts; client n signs in as user n % USERS
WARM_UP_SECONDS = sized(1.0, 0.2)
# With one writer at a time (SQLite), 8 clients at best share the 1-client throughput; running
# requests' Python and I/O side by side must not make the whole slower than one client alone.
THROUGHPUT_TARGET = 1.0
# Requests queue for the database: 8 clients served fairly wait behind at most the 7 others, so
# p95 grows at most 8-fold. More means some requests wait unfairly long (e.g. busy-handler sleeps).
P95_TARGET = 8.0


@dataclass
class Run:
    clients: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    server_errors: int
    conflicts: int  # 409
    stale: int  # 412
    unexpected: list[str]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def describe(self) -> str:
        return (f"{self.per_second:7.1f} req/s  p50 {self.p50_ms:6.1f}  p95 {self.p95_ms:6.1f}  "
                f"max {self.max_ms:7.1f} ms  ({self.requests} req; 5xx {self.server_errors}, "
                f"409 {self.conflicts}, 412 {self.stale}, other {len(self.unexpected)})")


def one_run(ws: Workspace, dbs: Databases, name: str, clients: int, opts: argparse.Namespace
            ) -> Run:
    """A fresh database and server; a warm-up; then `clients` clients for opts.seconds."""
    # The cheapest password hashing (the caseworkers are set up, not signed in, during the runs).
    app = ws.app(dbs.fresh(name), PASSWORD_HASH_PROFILE="cheapest")  # noqa: S106 (not a password)
    try:
        tokens = caseworker_tokens(app, USERS)
        with serve(app) as base:
            warm_up = Ledger()
            run_clients(base, tokens, warm_up, 1, WARM_UP_SECONDS, opts.max_requests, tag="w")
            ledger = Ledger()
            seconds = run_clients(base, tokens, ledger, clients, opts.seconds, opts.max_requests)
    finally:
        app.extensions["journey_db"].engine.dispose()
    statuses = ledger.statuses
    # A 5xx, a 409 or 412 where none can be, a stale read, no answer (warm-up included).
    unexpected = [f"warm-up: {f}" for f in warm_up.failures] + ledger.failures
    return Run(
        clients=clients, requests=sum(statuses.values()), seconds=seconds,
        p50_ms=percentile(ledger.latencies, 50) * 1000,
        p95_ms=percentile(ledger.latencies, 95) * 1000,
        max_ms=max(ledger.latencies, default=float("nan")) * 1000,
        server_errors=sum(c for led in (warm_up, ledger) for s, c in led.statuses.items()
                          if s >= 500),
        conflicts=statuses[409], stale=statuses[412], unexpected=unexpected)


def median_of(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=sized(8.0, 0.3),
                        help="seconds of load per run, 0.1..300 (8)")
    parser.add_argument("--runs", type=int, default=sized(3, 1), help="runs per side, 1..15 (3)")
    parser.add_argument("--clients", type=int, default=sized(8, 2), help="concurrent clients, 2..16 (8)")
    parser.add_argument("--max-requests", type=int, default=50_000,
                        help="requests per run at most (50,000)")
    opts = parser.parse_args(argv)
    if not (0.1 <= opts.seconds <= 300 and 1 <= opts.runs <= 15 and 2 <= opts.clients <= 16
            and opts.max_requests >= 1):
        parser.error("out of bounds: --seconds 0.1..300, --runs 1..15, --clients 2..16, "
                     "--max-requests >= 1")

    import sqlite3

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            print(f"journey concurrency benchmark: Python {platform.python_version()}, SQLAlchemy "
                  f"{sa.__version__}, SQLite {sqlite3.sqlite_version}; {dbs.backend}; "
                  f"{opts.clients} clients vs 1, {opts.seconds:g} s a run, {opts.runs} runs a side",
                  flush=True)
            heading(f"{dbs.backend}: runs, alternated")
            sides: dict[int, list[Run]] = {opts.clients: [], 1: []}
            for i in range(opts.runs):
                for clients in (opts.clients, 1) if i % 2 == 0 else (1, opts.clients):
                    run = one_run(ws, dbs, f"run{i}c{clients}", clients, opts)
                    sides[clients].append(run)
                    line(f"run {i + 1}, {clients} client{'s' if clients > 1 else ''}",
                         run.describe())
                    for failure in run.unexpected[:3]:
                        note(failure)
        finally:
            dbs.close()

    many, one = sides[opts.clients], sides[1]
    heading(f"{dbs.backend}: median of {opts.runs} runs")
    for label, runs in (("baseline (1 client)", one), (f"service ({opts.clients} clients)", many)):
        line(label, f"{median_of(runs, 'per_second'):7.1f} req/s  "
             f"p50 {median_of(runs, 'p50_ms'):6.1f}  p95 {median_of(runs, 'p95_ms'):6.1f}  "
             f"max {median_of(runs, 'max_ms'):7.1f} ms")
    throughput = median_of(many, "per_second") / median_of(one, "per_second")
    p95 = median_of(many, "p95_ms") / median_of(one, "p95_ms")
    line(f"throughput({opts.clients})/throughput(1)",
         f"{throughput:6.2f}x   target >= {THROUGHPUT_TARGET:g}x  "
         f"{verdict(throughput >= THROUGHPUT_TARGET)}")
    line(f"p95({opts.clients})/p95(1)",
         f"{p95:6.2f}x   target <= {P95_TARGET:g}x  {verdict(p95 <= P95_TARGET)}")
    errors = sum(r.server_errors for r in many + one)
    unexpected = sum(len(r.unexpected) for r in many + one)
    note(f"{opts.clients} clients: {sum(r.conflicts for r in many)} x 409 and "
         f"{sum(r.stale for r in many)} x 412 in all runs (consents given twice, If-Match races)")

    b = dbs.backend
    return targets([
        (f"{b}: no 5xx in any run", errors == 0, f"{errors}"),
        (f"{b}: no unexpected answer", unexpected == 0, f"{unexpected}"),
        (f"{b}: throughput({opts.clients}) >= {THROUGHPUT_TARGET:g}x throughput(1)",
         throughput >= THROUGHPUT_TARGET, f"{throughput:.2f}x"),
        (f"{b}: p95({opts.clients}) <= {P95_TARGET:g}x p95(1)", p95 <= P95_TARGET, f"{p95:.2f}x"),
    ], width=52)


if __name__ == "__main__":
    sys.exit(main())
