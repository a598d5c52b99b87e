"""Message statistics benchmark: GET /messages/stats's service from the rollup, against the full
scan it replaced, and what the triggers cost a status change.

    python bench/message_stats.py                       # SQLite, 200,000 messages, median of 5
    python bench/message_stats.py --messages 50000 --runs 3
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/message_stats.py --explain

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end): 4 offices, --people participants spread over them,
and --messages outbox rows (5% without a participant) in two channels, six languages and the
statuses a busy outbox holds, bulk-loaded with multi-row INSERTs (the triggers count them). The
deltas are then compacted, and --pending status changes made after it, as the outbox sees
between two compactions (the scheduler folds them every 15 s), so the service also sums deltas.

* Reads, for an admin (every office) and a caseworker (one office): the service
  (journey.messaging.services.message_stats: rollup + deltas) against the baseline, the query it
  replaced (GROUP BY over the whole outbox, joined to participants for an office), each through
  the same formatting. Both answers are checked equal first. Sides alternate after a warm-up;
  medians of --runs.
* Writes: --writes single-row status changes, each its own transaction, with the triggers on
  (service) and off (baseline), alternating in rounds: the price of keeping the counts.
* --explain (PostgreSQL): EXPLAIN (ANALYZE, BUFFERS) of the old and the new statements.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
from pathlib import Path
from typing import Any

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

LANGS = ["ne", "hi", "bn", "en", "ar", "fr"]
# A busy outbox: mostly settled messages, some in flight.
STATUSES = (["delivered"] * 60 + ["sent"] * 15 + ["failed"] * 5 + ["undelivered"] * 4
            + ["queued"] * 8 + ["deferred"] * 3 + ["sending"] * 2 + ["skipped"] * 3)
TRIGGER = "message_stats_outbox_updated"


def load(engine: sa.Engine, seed, people: int, messages: int) -> None:
    from datetime import date

    from journey.core.db import utcnow

    rng = random.Random(12)
    now = utcnow()
    t_p = table("participants")
    with engine.begin() as conn:
        conn.execute(t_p.insert(), [dict(
            reference=f"S{i:08d}", office_id=seed.office_ids[i % len(seed.office_ids)],
            programme_id=seed.programme_id, stage="training", stage_entered_at=now, cycle=1,
            given_name=f"Given{i}", family_name="Family", name_key=f"family given{i}",
            search_text=f"given{i}", date_of_birth=date(1990, 1, 1), sex="female",
            nationality="NP", origin_country="NP", destination_country="PT",
            phone=f"+97798{i:08d}", language=LANGS[i % len(LANGS)], timezone="Asia/Kathmandu",
            channels=["sms"], disability="no", created_at=now, updated_at=now, version=1)
            for i in range(people)])
        ids = conn.scalars(sa.select(t_p.c.id)).all()
    # The texts are encrypted at rest: one real ciphertext each, so rows are as wide as real
    # ones, inserted as plain text (encrypting 200,000 copies would only slow the loading).
    from journey.core.crypto import keyring

    body = keyring().encrypt("Reminder: Orientation on 1 Dec at Kathmandu MRC. Reply HELP for "
                             "help.", "outbox_messages.body")
    recipient = keyring().encrypt("+9779800000000", "outbox_messages.recipient")
    columns = ["participant_id", "channel", "template", "language", "recipient", "timezone",
               "body", "urgent", "status", "skip_reason", "not_before", "attempts", "created_at",
               "updated_at"]
    rows = []
    for _ in range(messages):
        status = rng.choice(STATUSES)
        rows.append((None if rng.random() < 0.05 else rng.choice(ids),
                     "email" if rng.random() < 0.2 else "sms", "appointment_reminder",
                     rng.choice(LANGS), recipient, "Asia/Kathmandu", body, False, status,
                     "no_consent" if status == "skipped" else None, now, 1, now, now))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            # COPY: one statement, so the statement trigger counts the whole load at once.
            with cur.copy(f"COPY outbox_messages ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as UTCDateTime stores it
            # The engine's connections run in autocommit (journey.core.db issues BEGIN itself):
            # without one, every row would be a transaction of its own.
            cur.execute("BEGIN")
            # Our own constant column names: nothing from outside reaches the SQL.
            cur.executemany(f"INSERT INTO outbox_messages ({', '.join(columns)}) "  # noqa: S608
                            f"VALUES ({', '.join('?' * len(columns))})",
                            [(*r[:10], stamp, r[11], stamp, stamp) for r in rows])
        raw.commit()
    finally:
        raw.close()


def change_statuses(engine: sa.Engine, ids: list[int], n: int, rng: random.Random) -> float:
    """n single-row status changes, each committed on its own (as workers and callbacks do)."""
    t = table("outbox_messages")
    with stopwatch() as elapsed, engine.connect() as conn:
        for mid in rng.sample(ids, n):
            conn.execute(t.update().where(t.c.id == mid)
                         .values(status=rng.choice(("sent", "delivered", "failed")), skip_reason=None))
            conn.commit()
    return elapsed()


def old_stats(sess, actor) -> list[dict[str, Any]]:
    """The service as it was: a GROUP BY over the whole outbox (the baseline)."""
    from journey.core.policy import office_scope, require

    require(actor, "messages:read")
    t, p = table("outbox_messages"), table("participants")
    stmt = (sa.select(t.c.channel, t.c.language, t.c.status, sa.func.count())
            .group_by(t.c.channel, t.c.language, t.c.status))
    scope = office_scope(actor)
    if scope is not None:
        stmt = stmt.join(p, p.c.id == t.c.participant_id).where(p.c.office_id == scope)
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for channel, language, status, n in sess.execute(stmt):
        entry = totals.setdefault((channel, language), {"channel": channel, "language": language,
                                                        "total": 0, "by_status": {}})
        entry["total"] += n
        entry["by_status"][status] = n
    out = []
    for entry in sorted(totals.values(), key=lambda e: (e["channel"], e["language"])):
        s = entry["by_status"]
        attempted = sum(s.get(k, 0) for k in ("sent", "delivered", "undelivered", "failed"))
        entry["delivery_rate"] = round(s.get("delivered", 0) / attempted, 4) if attempted else None
        out.append(entry)
    return out


def explain(engine: sa.Engine, office_id: int) -> None:
    from notifications import stats

    t, p = table("outbox_messages"), table("participants")
    old = (sa.select(t.c.channel, t.c.language, t.c.status, sa.func.count())
           .join(p, p.c.id == t.c.participant_id).where(p.c.office_id == office_id)
           .group_by(t.c.channel, t.c.language, t.c.status))
    with engine.connect() as conn:
        for label, stmt in (("old: full scan, one office", old),
                            ("new: rollup + deltas, one office",
                             stats.counts_statement(office_id))):
            sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
            heading(f"EXPLAIN (ANALYZE, BUFFERS) {label}")
            for (row,) in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"):
                print("  " + row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=sized(200_000, 2_000))
    parser.add_argument("--people", type=int, default=sized(2_000, 100))
    parser.add_argument("--pending", type=int, default=sized(2_000, 50),
                        help="status changes left uncompacted (2 deltas each)")
    parser.add_argument("--runs", type=int, default=sized(5, 1))
    parser.add_argument("--writes", type=int, default=sized(300, 20), help="status changes per write run")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE (PostgreSQL)")
    args = parser.parse_args()

    from journey.core.auth import User
    from journey.core.db import db
    from journey.messaging.services import message_stats
    from notifications import stats

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("message_stats")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            pg = engine.dialect.name == "postgresql"
            seed = seed_reference_data(engine)
            with stopwatch() as loading:
                load(engine, seed, args.people, args.messages)
            with stopwatch() as compacting:
                folded = stats.compact_job(app)
            rng = random.Random(7)
            with engine.connect() as conn:
                ids = list(conn.scalars(sa.select(table("outbox_messages").c.id)))
            change_statuses(engine, ids, args.pending, rng)
            if pg:
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            with engine.connect() as conn:
                pending = conn.scalar(sa.select(sa.func.count()).select_from(
                    table("message_stat_deltas")))
                keys = conn.scalar(sa.select(sa.func.count()).select_from(table("message_stats")))

            counter = StatementCounter(engine)
            statements: dict[str, dict[str, int]] = {}

            def side(name: str, fn, user_id: int, runs: int):
                for _ in range(runs):
                    with app.app_context():
                        sess = db.state.session_factory()
                        try:
                            actor = sess.get(User, user_id)
                            counter.reset()
                            with stopwatch() as elapsed:
                                fn(sess, actor)
                            statements[name] = counter.reset()
                        finally:
                            sess.rollback()
                            sess.close()
                    yield elapsed()

            office = seed.office_ids[0]
            actors = {"admin (every office)": seed.admin_id,
                      "caseworker (one office)": seed.caseworker_ids[office]}
            heading(f"Message statistics, {dbs.backend}, Python {platform.python_version()}")
            note(f"{args.messages:,} messages, {args.people:,} participants in 4 offices; loaded "
                 f"in {loading():.1f} s; {folded:,} deltas compacted in {compacting():.2f} s into "
                 f"{keys:,} rollup rows; {pending:,} deltas pending")
            for label, user_id in actors.items():
                with app.app_context():
                    sess = db.state.session_factory()
                    actor = sess.get(User, user_id)
                    same = old_stats(sess, actor) == message_stats(sess, actor)
                    sess.close()
                interleave(side("service", message_stats, user_id, 1),
                           side("baseline", old_stats, user_id, 1))  # warm-up
                svc, base = interleave(side("service", message_stats, user_id, args.runs),
                                       side("baseline", old_stats, user_id, args.runs))
                line(f"{label}: service", f"median {svc.median_ms:.2f} ms "
                     f"({', '.join(f'{s * 1000:.2f}' for s in svc.samples)})")
                line(f"{label}: baseline (scan)", f"median {base.median_ms:.2f} ms "
                     f"({', '.join(f'{s * 1000:.1f}' for s in base.samples)})")
                line(f"{label}: service/baseline", f"{svc.median_ms / base.median_ms:.4f}x "
                     f"({base.median_ms / svc.median_ms:,.0f} times faster); same answer: "
                     f"{'yes' if same else 'NO'}")
            for name, counts in statements.items():
                note(f"{name} statements: {StatementCounter.per(counts, 1)}")

            if args.explain and pg:
                explain(engine, office)  # before the write runs add deltas
            elif args.explain:
                note("--explain is for PostgreSQL")

            def writes(enabled: bool, runs: int):
                try:
                    for _ in range(runs):
                        set_trigger(engine, enabled)
                        yield change_statuses(engine, ids, args.writes, rng) / args.writes
                finally:
                    set_trigger(engine, True)

            with_t, without_t = interleave(writes(True, args.runs), writes(False, args.runs))
            line("status change, triggers on", f"median {with_t.median_ms:.3f} ms each")
            line("status change, triggers off", f"median {without_t.median_ms:.3f} ms each")
            line("on/off", f"{with_t.median_ms / without_t.median_ms:.2f}x "
                 f"({args.writes} single-row UPDATE + COMMIT per run)")
        finally:
            dbs.close()
    return 0


_SQLITE_DDL: dict[str, str] = {}


def set_trigger(engine: sa.Engine, enabled: bool) -> None:
    """Turn the status-change trigger on or off (PostgreSQL: ALTER TABLE; SQLite, which cannot
    disable a trigger: drop it and create it again from its stored SQL)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ALTER TABLE outbox_messages {'ENABLE' if enabled else 'DISABLE'}"
                                 f" TRIGGER {TRIGGER}")
            return
        if not _SQLITE_DDL:
            _SQLITE_DDL[TRIGGER] = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                (TRIGGER,)).scalar_one()
        exists = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
                                      "AND name = ?", (TRIGGER,)).first() is not None
        if enabled and not exists:
            conn.exec_driver_sql(_SQLITE_DDL[TRIGGER])
        elif not enabled and exists:
            conn.exec_driver_sql(f"DROP TRIGGER {TRIGGER}")


if __name__ == "__main__":
    sys.exit(main())
