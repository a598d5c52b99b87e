"""Privacy export benchmark: the archive of one person with 500 events, against a plain dump.

    python bench/privacy_export.py                 # SQLite, median of 3
    python bench/privacy_export.py --runs 5 --events 2000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/privacy_export.py

What it measures, on a fresh migrated database (a SQLite file; or, when DATABASE_URL is a
PostgreSQL URL, a new database on that server, dropped at the end):

* Service: journey.privacy.export.write_archive for one registered participant with --events
  journey_events rows and --events audit_events rows about them (half on their record, half on
  child objects naming them in details, which the walker finds through a JSON condition), among
  --others participants with --noise audit rows each. The whole archive: every declared table
  walked in batches, data.json, summary.html in the participant's language (with the audit
  readers and their users), ZIP-deflated into memory, and the export's own audit row (rolled
  back after each run, so runs see the same data).
* Baseline: the same rows, one plain SELECT per declared table (the walker's conditions, all rows
  at once), serialised with json.dumps. No archive, no summary, no compression, no audit.

After one uncounted run of each (warm-up), sides alternate (S B, B S, ...), each run in its own
transaction; the median of --runs is reported with the ratio service/baseline, and the
statements each side ran.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    StatementCounter,
    Workspace,
    heading,
    interleave,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
    table,
)

# The export walks about 18 tables, renders a summary and deflates it; a plain dump of the same
# rows is the floor. Four times the floor keeps an export of a busy record well under a second.
RATIO_TARGET = 4.0


def seed(app, engine, events: int, others: int, noise: int) -> int:
    """One participant with `events` journey and audit rows; others with `noise` audit rows."""
    from journey.continuum.intake import register_participant
    from journey.core.audit import append as audit_append
    from journey.core.auth import User
    from journey.core.db import db, utcnow

    ids = seed_reference_data(engine, offices=1)
    office = ids.office_ids[0]
    with app.app_context(), db.job_session() as sess:
        actor = sess.get(User, ids.caseworker_ids[office])
        people = []
        for n in range(others + 1):
            people.append(register_participant(sess, actor, {
                "given_name": f"Bench{n}", "family_name": "Person", "sex": "female",
                "date_of_birth": date(1990, 1, 1 + n % 28),
                "nationality": "NP", "origin_country": "NP", "destination_country": "PT",
                "phone": f"+97798{50000000 + n:08d}", "language": "ne",
                "timezone": "Asia/Kathmandu", "channels": ["sms"], "office_id": office}).id)
    target, rest = people[0], people[1:]
    now = utcnow()
    t_events = table("journey_events")
    with engine.begin() as conn:
        conn.execute(t_events.insert(), [
            {"participant_id": target, "kind": "note", "occurred_at": now, "actor_id": actor.id,
             "stage": "registered", "reason": f"Event {i} of the bench", "data": {"n": i}}
            for i in range(events)])
        audit = []
        for i in range(events):
            on_record = i % 2 == 0
            audit.append({"occurred_at": now, "actor_id": actor.id,
                          "action": "participants:participant:read" if on_record
                          else "passports:entry:read",
                          "object_type": "participant" if on_record else "passport_entry",
                          "object_id": target if on_record else 100000 + i, "office_id": office,
                          "details": {} if on_record else {"participant_id": target}})
        for pid in rest:
            for i in range(noise):
                audit.append({"occurred_at": now, "actor_id": actor.id,
                              "action": "passports:entry:read", "object_type": "passport_entry",
                              "object_id": 200000 + i, "office_id": office,
                              "details": {"participant_id": pid}})
        audit_append(conn, [{**row, "request_id": None} for row in audit])
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=sized(500, 10))
    parser.add_argument("--others", type=int, default=sized(50, 2))
    parser.add_argument("--noise", type=int, default=sized(20, 2))
    args = parser.parse_args()

    from journey.core.db import db
    from journey.participants.models import Participant
    from journey.privacy import export, subjects

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("privacy_export")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            target = seed(app, engine, args.events, args.others, args.noise)
            counter = StatementCounter(engine)
            sizes: dict[str, int] = {}
            statements: dict[str, dict[str, int]] = {}

            def service(runs: int):
                for _ in range(runs):
                    with app.app_context():
                        sess = db.state.session_factory()
                        try:
                            p = sess.get(Participant, target)
                            out = io.BytesIO()
                            counter.reset()
                            with stopwatch() as elapsed:
                                result = export.write_archive(sess, p, out, actor_id=None,
                                                              via="bench")
                            statements["service"] = counter.reset()
                            sizes["archive"], sizes["rows"] = out.tell(), result.total
                        finally:
                            sess.rollback()
                            sess.close()
                    yield elapsed()

            def baseline(runs: int):
                for _ in range(runs):
                    with app.app_context():
                        sess = db.state.session_factory()
                        try:
                            p = sess.get(Participant, target)
                            counter.reset()
                            with stopwatch() as elapsed:
                                dump = {}
                                for item in subjects.declared():
                                    dump[item.name] = [dict(r) for r in sess.execute(
                                        sa.select(item.table).where(
                                            subjects.condition(item, p))).mappings()]
                                text = json.dumps(dump, default=str)
                            statements["baseline"] = counter.reset()
                            sizes["json"] = len(text)
                            sizes["baseline_rows"] = sum(map(len, dump.values()))
                        finally:
                            sess.rollback()
                            sess.close()
                    yield elapsed()

            interleave(service(1), baseline(1))  # warm-up: caches, templates, catalogs
            svc, base = interleave(service(args.runs), baseline(args.runs))
            heading(f"Privacy export of one person, {dbs.backend}, "
                    f"Python {platform.python_version()}")
            note(f"{args.events} journey events and {args.events} audit rows about the person; "
                 f"{args.others} others with {args.noise} audit rows each")
            line("rows exported", f"{sizes['rows']} (baseline {sizes['baseline_rows']})")
            line("archive", f"{sizes['archive'] / 1024:.0f} KiB ZIP "
                            f"(plain JSON {sizes['json'] / 1024:.0f} KiB)")
            line("service: export archive", f"median {svc.median_ms:.1f} ms "
                                            f"({', '.join(f'{s * 1000:.0f}' for s in svc.samples)})")
            line("baseline: SELECT + json.dumps", f"median {base.median_ms:.1f} ms "
                                                 f"({', '.join(f'{s * 1000:.0f}' for s in base.samples)})")
            ratio = svc.median_ms / base.median_ms
            line("ratio service/baseline", f"{ratio:.2f}x (target <= {RATIO_TARGET:.0f}x: "
                                           f"{'PASS' if ratio <= RATIO_TARGET else 'FAIL'})")
            for side, counts in statements.items():
                note(f"{side} statements: {StatementCounter.per(counts, 1)}")
            if sizes["rows"] != sizes["baseline_rows"]:
                print("  FAIL: the export and the baseline saw different rows")
        finally:
            dbs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
