"""Erasure benchmark: anonymising one person who has 500 timeline events and 500 messages.

    python bench/privacy_erase.py                  # SQLite, median of 3 runs a side
    python bench/privacy_erase.py --runs 5 --rows 1000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/privacy_erase.py

What it measures, on a fresh migrated database (a SQLite file; or, when DATABASE_URL is a
PostgreSQL URL, a new database on that server, dropped at the end) holding 50 other people with
the same history, so every statement has rows to skip:

* Service: ``journey.privacy.erasure.erase`` in one transaction (committed): every declared table
  walked, its erase hook and erase_columns applied, the participant's identifiers replaced, the
  audit event written. The instance/ message files do not exist here (no purge I/O).
* Baseline: deleting the same person's rows with plain SQL (timeline events, outbox and inbound
  messages, consents, checklist items, the participant) in one transaction: the cheapest way to
  make the data go, which erasure does not take because the counts must stay.

Each run builds a new person (--rows events and --rows messages, --rows // 10 inbound texts);
one uncounted run a side warms up; the sides alternate (S B B S S B ...), so load from anything
else on the machine hits both alike; the median of --runs per side is reported, with the ratio
service / baseline. The target: erasing one person stays interactive, under a second.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Workspace,
    heading,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
    table,
    targets,
)

TARGET_SECONDS = 1.0
OTHERS = sized(50, 2)


def make_person(app, office_id: int, user_id: int, rows: int, n: int) -> int:
    """A participant with ``rows`` timeline events and outbox messages, rows // 10 inbound texts,
    two consents and a checklist, inserted with Core; returns the id."""
    from journey.continuum.intake import register_participant
    from journey.core.auth import User
    from journey.core.db import db, utcnow

    now = utcnow()
    with app.app_context(), db.job_session() as sess:
        actor = sess.get(User, user_id)
        p = register_participant(sess, actor, {
            "given_name": f"Bench{n}", "family_name": "Person", "date_of_birth": date(1990, 1, 1),
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "destination_country": "PT", "phone": f"+97798{50000000 + n:08d}",
            "email": f"bench{n}@example.org", "language": "ne", "timezone": "Asia/Kathmandu",
            "channels": ["sms"], "office_id": office_id, "notes": "Bench notes",
            "consents": [{"purpose": "case_management", "method": "signed", "note": "seen"},
                         {"purpose": "updates", "method": "verbal"}]})
        pid = p.id
        conn = sess.connection()
        conn.execute(table("journey_events").insert(), [
            {"participant_id": pid, "kind": "checklist_updated", "occurred_at": now,
             "actor_id": user_id, "stage": "intake", "reason": f"reason {i} for Bench{n}",
             "data": {"item_id": i}} for i in range(rows)])
        conn.execute(table("outbox_messages").insert(), [
            {"participant_id": pid, "channel": "sms", "template": "stage_entered.intake",
             "language": "ne", "recipient": p.phone, "timezone": "Asia/Kathmandu",
             "body": f"Hello Bench{n}, message {i}", "status": "delivered",
             "not_before": now - timedelta(days=1), "attempts": 1, "created_at": now,
             "updated_at": now, "segments": 1, "encoding": "GSM-7"} for i in range(rows)])
        inbound = table("inbound_messages")
        conn.execute(inbound.insert(), [
            {"sender": p.phone, "sender_index": inbound.c.sender_index.type.compute(p.phone),
             "body": f"Reply {i} from Bench{n}", "participant_id": pid,
             "needs_attention": False, "received_at": now} for i in range(max(1, rows // 10))])
    return pid


def erase_service(app, pid: int, actor_id: int) -> float:
    from journey.core.db import db
    from journey.participants.models import Participant
    from journey.privacy import erasure

    with app.app_context(), stopwatch() as elapsed:
        with db.job_session() as sess:
            erasure.erase(sess, sess.get(Participant, pid), actor_id=actor_id,
                          reason="subject_request")
    return elapsed()


def delete_baseline(engine: sa.Engine, pid: int) -> float:
    with stopwatch() as elapsed:
        with engine.begin() as conn:
            for name in ("journey_events", "outbox_messages", "inbound_messages",
                         "consent_records", "checklist_items"):
                t = table(name)
                conn.execute(t.delete().where(t.c.participant_id == pid))
            t = table("participants")
            conn.execute(t.delete().where(t.c.id == pid))
    return elapsed()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=sized(500, 10))
    args = parser.parse_args()

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("erase")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine, offices=1)
            office = seed.office_ids[0]
            actor = seed.caseworker_ids[office]
            heading(f"Erasing one person with {args.rows} events and {args.rows} messages "
                    f"({dbs.backend}, Python {platform.python_version()})")
            for n in range(OTHERS):
                make_person(app, office, actor, args.rows // 10, 10_000 + n)
            # One uncounted run a side: imports and statement caches warm up on the first.
            erase_service(app, make_person(app, office, actor, args.rows, 900), seed.admin_id)
            delete_baseline(engine, make_person(app, office, actor, args.rows, 901))
            service: list[float] = []
            baseline: list[float] = []
            order = []
            for i in range(args.runs):
                order += ["S", "B"] if i % 2 == 0 else ["B", "S"]
            for n, side in enumerate(order):
                pid = make_person(app, office, actor, args.rows, n)
                if side == "S":
                    service.append(erase_service(app, pid, seed.admin_id))
                else:
                    baseline.append(delete_baseline(engine, pid))
            s, b = statistics.median(service), statistics.median(baseline)
            line("order", " ".join(order))
            line("service (erase), per run", ", ".join(f"{t * 1000:.0f} ms" for t in service))
            line("baseline (DELETE), per run", ", ".join(f"{t * 1000:.0f} ms" for t in baseline))
            line("service median", f"{s * 1000:.0f} ms")
            line("baseline median", f"{b * 1000:.0f} ms")
            line("service / baseline", f"{s / b:.2f}x")
            note("erasure updates every declared table and keeps the rows; the baseline only "
                 "deletes the five largest tables' rows")
            return targets([(f"erasing one person takes under {TARGET_SECONDS:.0f} s",
                             s < TARGET_SECONDS, f"{s * 1000:.0f} ms")], 40)
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
