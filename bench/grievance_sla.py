"""Grievance SLA scan benchmark: journey.grievances.sla.scan over --grievances open grievances,
against a bare SQL UPDATE doing the same marking.

    python bench/grievance_sla.py                      # SQLite, 100,000 open grievances
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/grievance_sla.py

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end): four offices and --grievances open grievances
loaded with Core INSERTs: acknowledgement due 2 to 4 days after receipt, resolution 5, 10, 20 or
28 days after, received so that about one in twenty has run over its governing deadline;
20 % received, 30 % acknowledged, 35 % in review, 15 % waiting (a third of those with the clock
paused). Breaches older than the scan are escalated already
(as earlier scans would have), so the scan escalates none: it measures the marking.

Two situations, each the median of --runs runs alternating with the baseline:
* cold: every status reset to on track before each run (not timed), so every at-risk and
  breached grievance is written: what the first scan after a restore does;
* steady: the statuses already right, as every scan after the first finds them (each side
  first brings them up to date, untimed): only the rows whose status changes are written.
On PostgreSQL the table is vacuumed (untimed) after each reset, so neither side pays for the
dead row versions the reset left. The baseline is one hand-written UPDATE with the same WHERE
(open, clock running, status changing) and the same CASE (interval arithmetic on PostgreSQL,
julianday on SQLite); the scan adds SQLAlchemy, its exact comparison of the at-risk share (whole
microseconds on SQLite), and its two conditional escalation UPDATEs.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Workspace,
    alternate,
    heading,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
    table,
    targets,
)

STATES = ["received"] * 20 + ["acknowledged"] * 30 + ["in_review"] * 35 + ["waiting"] * 15
CATEGORIES = ["wages", "recruitment_fees", "housing", "working_hours", "contract_substitution"]
OPEN = ("received", "acknowledged", "in_review", "waiting")
CHUNK = 5_000


def load(engine: sa.Engine, office_ids: list[int], n: int, now) -> None:
    """n open grievances, with Core (the descriptions and codes encrypted as the app does)."""
    t = table("grievances")
    rnd = random.Random(14)
    rows = []
    with engine.begin() as conn:
        for i in range(1, n + 1):
            state = rnd.choice(STATES)
            ack_days, resolve_days = rnd.randint(2, 4), rnd.choice((5, 10, 20, 28))
            # Most are within their time; about one in twenty has run over it.
            span = ack_days if state == "received" else resolve_days
            received = now - timedelta(seconds=rnd.randint(0, int(span * 86400 * 1.05)))
            ack = received + timedelta(days=ack_days)
            resolve = max(ack, received + timedelta(days=resolve_days))
            paused = state == "waiting" and rnd.random() < 1 / 3
            governing = ack if state == "received" else resolve
            breached = governing < now
            rows.append({
                "reference": f"GR-B-{i:07d}", "tracking_hash": f"{i:064x}",
                "tracking_code": f"BENCH{i:07d}", "office_id": office_ids[i % len(office_ids)],
                "language": "en", "category": rnd.choice(CATEGORIES), "severity": "medium",
                "confidentiality": "standard", "channel": "staff", "state": state,
                "description": "Bench grievance", "received_at": received,
                "acknowledged_at": None if state == "received" else received,
                "ack_due_at": ack, "resolve_due_at": resolve,
                "sla_status": "paused" if paused else "on_track",
                "clock_paused_at": received if paused else None,
                # Earlier scans escalated the breaches already: this one measures the marking.
                "ack_escalated_at": ack if state == "received" and breached else None,
                "resolve_escalated_at": resolve if state != "received" and breached else None,
                "updated_at": now, "version": 1})
            if len(rows) == CHUNK:
                conn.execute(t.insert(), rows)
                rows = []
        if rows:
            conn.execute(t.insert(), rows)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE grievances")
        else:
            conn.exec_driver_sql("ANALYZE")


def bare_update(dialect: str) -> sa.TextClause:
    """The same marking, written by hand for the database."""
    due = "(CASE WHEN state = 'received' THEN ack_due_at ELSE resolve_due_at END)"
    if dialect == "postgresql":
        at_risk = f"({due} - :now) * 4 < ({due} - received_at)"
    else:
        at_risk = (f"(julianday({due}) - julianday(:now)) * 4 "
                   f"< (julianday({due}) - julianday(received_at))")
    status = (f"(CASE WHEN {due} < :now THEN 'breached' WHEN {at_risk} THEN 'at_risk' "
              f"ELSE 'on_track' END)")
    # S608: every piece is a constant of this file; :now is a bound parameter.
    return sa.text(f"UPDATE grievances SET sla_status = {status} WHERE state IN "  # noqa: S608
                   f"('received', 'acknowledged', 'in_review', 'waiting') "
                   f"AND clock_paused_at IS NULL AND sla_status <> {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grievances", type=int, default=sized(100_000, 500))
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    args = parser.parse_args()

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("grievance_sla")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            from journey.core.db import db, utcnow
            from journey.grievances import sla

            seed = seed_reference_data(engine)
            now = utcnow()
            with stopwatch() as loading:
                load(engine, seed.office_ids, args.grievances, now)
            heading(f"SLA scan on {dbs.backend}: {args.grievances:,} open grievances")
            line("loaded in", f"{loading():.1f} s")
            bare = bare_update(engine.dialect.name)
            scanned: dict[str, int] = {}

            def settle() -> None:
                # Each reset rewrites every row: vacuumed (untimed), so no side scans the dead
                # versions the last one left (autovacuum would, at a time of its choosing).
                if engine.dialect.name == "postgresql":
                    with engine.connect() as conn:
                        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                            "VACUUM grievances")

            def reset() -> None:
                with engine.begin() as conn:
                    conn.execute(sa.text(
                        "UPDATE grievances SET sla_status = 'on_track' "
                        "WHERE clock_paused_at IS NULL"))
                settle()

            def statuses() -> dict[str, int]:
                with engine.connect() as conn:
                    return dict(conn.execute(sa.text(
                        "SELECT sla_status, count(*) FROM grievances GROUP BY sla_status")).all())

            def baseline(_i: int = 0, *, cold: bool) -> float:
                if cold:
                    reset()
                with stopwatch() as took, engine.begin() as conn:
                    conn.execute(bare, {"now": now})
                return took()

            def service(_i: int = 0, *, cold: bool) -> float:
                if cold:
                    reset()
                with app.app_context():
                    with stopwatch() as took, db.job_session() as sess:
                        result = sla.scan(sess, now)
                scanned.update(result)
                return took()

            # Both mark alike (checked once, cold).
            baseline(cold=True)
            by_bare = statuses()
            service(cold=True)
            by_scan = statuses()
            same = by_bare == by_scan
            line("statuses after the scan", ", ".join(f"{k} {v:,}" for k, v in
                                                      sorted(by_scan.items())))
            line("escalated by the scan", f"{scanned.get('escalated', 0)}")

            results = [("the scan marks as the bare UPDATE does", same,
                        "same counts" if same else f"{by_bare} vs {by_scan}")]
            heading("cold: every status reset to on track before each run")
            cold = alternate(lambda i: baseline(i, cold=True), lambda i: service(i, cold=True),
                             args.runs)
            cold.show("bare SQL UPDATE", "sla.scan", lambda v: f"{v * 1000:8.1f} ms")
            line("rows written by the scan", f"{scanned.get('marked', 0):,}")
            heading("steady: the statuses already right (every later scan)")
            settle()
            steady = alternate(lambda i: baseline(i, cold=False),
                               lambda i: service(i, cold=False), args.runs)
            steady.show("bare SQL UPDATE", "sla.scan", lambda v: f"{v * 1000:8.1f} ms")
            line("rows written by the scan", f"{scanned.get('marked', 0):,}")
            note("the scan also runs its two conditional escalation UPDATEs (none to escalate)")
            results += [
                ("cold scan within 2x the bare UPDATE", cold.ratio <= 2.0, f"{cold.ratio:.2f}x"),
                ("steady scan within 2x the bare UPDATE", steady.ratio <= 2.0,
                 f"{steady.ratio:.2f}x"),
                ("steady scan under 1 s", steady.service_median < 1.0,
                 f"{steady.service_median * 1000:.0f} ms"),
            ]
            return targets(results, 42)
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
