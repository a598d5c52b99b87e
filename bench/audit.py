"""Audit chain benchmark: what the audit log (events, their seals) costs an audited transaction.

    python bench/audit.py                  # SQLite files in a temporary directory
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/audit.py

* One writer: --transactions transactions of --per-txn events each, committed one by one, through
  ``journey.core.audit.record`` and a session commit (buffer, flush, INSERT; on SQLite the seal
  too, inline), against a BASELINE inserting the same rows with plain Core into a copy of the
  audit table without triggers (``bench_audit_plain``, made by this script). On PostgreSQL a
  sealer thread runs beside the service's writers all along, every --seal-every seconds (the
  scheduler's job runs every 5 s), and what it has not sealed when the writers stop is sealed
  and timed apart ("left to seal"). Baseline and service alternate run by run; each figure is
  the median of --runs runs.
* Four writers at once (threads, each committing its own transactions): the same comparison.
* Sealing (PostgreSQL): events per second the sealer chains, from a backlog.
* Verification: ``journey audit verify``'s walk over every event written, in events per second.

Each side has a database of its own, fresh and migrated (SQLite files, or databases created on
DATABASE_URL's PostgreSQL server and dropped at the end).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Workspace,
    heading,
    line,
    note,
    seed_reference_data,
    sized,
)


def plain_table(metadata: sa.MetaData) -> sa.Table:
    """audit_events as it was before the chain: same columns, indexes and keys, nothing else."""
    from journey.core.db import UTCDateTime

    return sa.Table(
        "bench_audit_plain", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("action", sa.String(80), nullable=False, index=True),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.Integer),
        sa.Column("office_id", sa.Integer, sa.ForeignKey("offices.id")),
        sa.Column("request_id", sa.String(64)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Index("ix_bench_audit_plain_object", "object_type", "object_id"),
        sa.Index("ix_bench_audit_plain_office_occurred", "office_id", "occurred_at"),
    )


def event_fields(seed, i: int) -> dict:
    office = seed.office_ids[i % len(seed.office_ids)]
    return {"actor_id": seed.caseworker_ids[office], "action": "participants:participant:read",
            "object_type": "participant", "object_id": 1000 + i, "office_id": office,
            "details": {"fields": ["phone", "notes"], "count": i % 7}}


def baseline_writer(engine: sa.Engine, plain: sa.Table, seed) -> Callable[[int, int], None]:
    from journey.core.db import utcnow

    insert = plain.insert()

    def write(start: int, per_txn: int) -> None:
        with engine.begin() as conn:
            conn.execute(insert, [{**event_fields(seed, i), "occurred_at": utcnow(),
                                   "request_id": None} for i in range(start, start + per_txn)])
    return write


def service_writer(engine: sa.Engine, seed) -> Callable[[int, int], None]:
    from sqlalchemy.orm import sessionmaker

    from journey.core import audit

    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def write(start: int, per_txn: int) -> None:
        with factory() as sess:
            for i in range(start, start + per_txn):
                f = event_fields(seed, i)
                audit.record(sess, f.pop("action"), **f.pop("details"), **f)
            sess.commit()
    return write


class Sealer:
    """The scheduler's sealing job, in a thread, every `every` seconds while writers run."""

    def __init__(self, engine: sa.Engine, every: float) -> None:
        self.engine, self.every = engine, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.failures: list[BaseException] = []

    def _run(self) -> None:
        from journey.core import audit

        try:
            while not self.stop.wait(self.every):
                audit.seal_pending(self.engine, audit.RECENT)
        except BaseException as err:  # noqa: BLE001  (re-raised by finish)
            self.failures.append(err)

    def __enter__(self) -> Sealer:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join()
        if self.failures:
            raise self.failures[0]


def timed_run(write: Callable[[int, int], None], transactions: int, per_txn: int,
              writers: int, offset: int) -> float:
    """Seconds for `writers` threads to commit `transactions` transactions between them."""
    share = transactions // writers
    start = threading.Barrier(writers + 1)
    failures: list[BaseException] = []

    def work(w: int) -> None:
        try:
            start.wait()
            base = offset + w * share * per_txn
            for t in range(share):
                write(base + t * per_txn, per_txn)
        except BaseException as err:  # noqa: BLE001  (re-raised below)
            failures.append(err)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise failures[0]
    return elapsed


SERVICE = "audited (record + commit)"
BASELINE = "baseline (plain INSERT)"


def compare(label: str, sides: dict[str, Callable[[int, int], None]], opts, writers: int,
            offsets: dict[str, int], service_engine: sa.Engine) -> float:
    """Alternate the sides run by run; print each side's median and the ratio."""
    from journey.core import audit

    times: dict[str, list[float]] = {name: [] for name in sides}
    left: list[float] = []
    order = list(sides)
    postgres = service_engine.dialect.name == "postgresql"
    for _run in range(opts.runs):
        for name in order:
            if name == SERVICE and postgres:
                with Sealer(service_engine, opts.seal_every):
                    times[name].append(timed_run(sides[name], opts.transactions, opts.per_txn,
                                                 writers, offsets[name]))
                started = time.perf_counter()
                audit.seal_pending(service_engine, audit.ALL)
                left.append(time.perf_counter() - started)
            else:
                times[name].append(timed_run(sides[name], opts.transactions, opts.per_txn,
                                             writers, offsets[name]))
            offsets[name] += opts.transactions * opts.per_txn
        order.reverse()
    events = opts.transactions * opts.per_txn
    heading(f"{label}: {opts.transactions:,} transactions x {opts.per_txn} events, "
            f"{writers} writer(s), median of {opts.runs}")
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, median in medians.items():
        line(name, f"{median:.3f} s  {events / median:,.0f} events/s  "
                   f"{median / opts.transactions * 1e6:,.0f} us/transaction  "
                   f"(runs: {', '.join(f'{t:.3f}' for t in times[name])})")
    if left:
        line("left to seal when writers stop", f"{statistics.median(left):.3f} s "
                                               f"(runs: {', '.join(f'{t:.3f}' for t in left)})")
    ratio = medians[SERVICE] / medians[BASELINE]
    line("ratio audited / baseline", f"{ratio:.2f}x the time")
    return ratio


def sealing_rate(engine: sa.Engine, seed, opts, offset: int) -> None:
    """Events per second the sealer chains from a backlog (PostgreSQL: SQLite seals inline)."""
    from journey.core import audit
    from journey.core.db import utcnow

    if engine.dialect.name != "postgresql":
        return
    n = opts.transactions * opts.per_txn
    rates = []
    for run in range(opts.runs):
        with engine.begin() as conn:
            audit.append(conn, [{**event_fields(seed, i), "occurred_at": utcnow(),
                                 "request_id": None}
                                for i in range(offset + run * n, offset + (run + 1) * n)])
        started = time.perf_counter()
        sealed = audit.seal_pending(engine, audit.ALL)
        took = time.perf_counter() - started
        if sealed != n:
            raise RuntimeError(f"sealed {sealed} of {n}")
        rates.append(n / took)
    heading(f"Sealing a backlog of {n:,} events, median of {opts.runs}")
    line("audit.seal (ALL)", f"{statistics.median(rates):,.0f} events/s  "
                             f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=sized(2000, 40))
    parser.add_argument("--per-txn", type=int, default=1, help="Events per transaction.")
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    parser.add_argument("--writers", type=int, default=sized(4, 2))
    parser.add_argument("--seal-every", type=float, default=sized(1.0, 0.1),
                        help="Seconds between the sealer thread's passes (PostgreSQL).")
    opts = parser.parse_args()

    from journey.auditlog.chain import verify
    from journey.core.db import make_engine

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            urls = {"baseline": dbs.fresh("audit_baseline"), "chained": dbs.fresh("audit_chained")}
            engines = {k: make_engine(u, pool_size=opts.writers + 2) if not u.startswith("sqlite")
                       else make_engine(u) for k, u in urls.items()}
            seeds = {k: seed_reference_data(e) for k, e in engines.items()}
            metadata = sa.MetaData()
            sa.Table("users", metadata, autoload_with=engines["baseline"])
            sa.Table("offices", metadata, autoload_with=engines["baseline"])
            plain = plain_table(metadata)
            plain.create(engines["baseline"])
            sides = {BASELINE: baseline_writer(engines["baseline"], plain, seeds["baseline"]),
                     SERVICE: service_writer(engines["chained"], seeds["chained"])}
            offsets = dict.fromkeys(sides, 0)
            print(f"backend: {dbs.backend}")
            one = compare("One writer", sides, opts, 1, offsets, engines["chained"])
            many = compare(f"{opts.writers} concurrent writers", sides, opts, opts.writers,
                           offsets, engines["chained"])
            sealing_rate(engines["chained"], seeds["chained"], opts, offsets[SERVICE])

            heading("Verification")
            started = time.perf_counter()
            report = verify(engines["chained"])
            took = time.perf_counter() - started
            line("journey audit verify", f"{report.checked:,} events in {took:.3f} s "
                                         f"({report.checked / took:,.0f} events/s), "
                                         f"intact={report.intact}")
            expected = (2 + (dbs.backend == "PostgreSQL")) * opts.runs * opts.transactions \
                * opts.per_txn
            if not report.intact or report.checked != expected:
                print(f"  CHAIN WRONG: expected {expected} intact events", flush=True)
                return 1
            note(f"ratios: one writer {one:.2f}x, {opts.writers} writers {many:.2f}x")
            for e in engines.values():
                e.dispose()
        finally:
            dbs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
