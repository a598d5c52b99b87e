"""EXPLAIN ANALYZE of the participant list's SQL on PostgreSQL with 100,000 participants.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/explain_participants.py
    ... python bench/explain_participants.py --revision 0013   # the schema before migration 0015

A new database is created on the server DATABASE_URL names (and dropped at the end), migrated to
--revision (head), loaded with --n participants (bench/registry.py's bulk_load) and ANALYZEd.
Then ``search_participants`` runs as an admin (no office filter) for each case below; every SQL
statement it sends that reads participants is captured with its parameters and run again under
``EXPLAIN (ANALYZE, BUFFERS)``, so the plans are those of the statements the service really sends.

Cases: the default sort (-created_at) page 1 and page 200 (50 a page), and free-text search for a
family name and for part of a reference. --full prints whole plans; by default the lines that
matter (scans, sorts, limits, timings).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Workspace,
    heading,
    note,
    seed_reference_data,
    sized,
    table,
)
from registry import bulk_load  # noqa: E402

_KEEP = re.compile(r"Scan|Sort|Limit|Aggregate|Recheck|Heap Blocks|Execution Time|Planning Time|"
                   r"Filter|Index Cond|Rows Removed|Gather|BitmapOr")


def cases(reference: str) -> list[tuple[str, dict]]:
    base = {"per_page": 50, "sort": [("created_at", True)]}
    return [
        ("list, sort -created_at, page 1", {**base, "page": 1}),
        ("list, sort -created_at, page 200", {**base, "page": 200}),
        ("search q=gurung (a family name), page 1", {**base, "page": 1, "q": "gurung"}),
        (f"search q={reference[:4].lower()} (part of a reference), page 1",
         {**base, "page": 1, "q": reference[:4].lower()}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=sized(100_000, 500))
    parser.add_argument("--revision", default="head", help="migrate to this revision (head)")
    parser.add_argument("--full", action="store_true", help="print whole plans")
    opts = parser.parse_args(argv)

    with Workspace(prefix="journey-explain-") as ws:
        dbs = Databases.from_env(ws)
        try:
            if dbs.pg_url is None:
                # `make bench` runs every script on SQLite too: there is nothing to explain there.
                note("explain_participants: nothing to explain on SQLite (PostgreSQL only: set "
                     "DATABASE_URL to a PostgreSQL server; a database is created beside it)")
                return 0
            url = dbs.fresh("explain", revision=opts.revision)
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine)
            seconds = bulk_load(engine, seed, opts.n, rng_seed=20261130)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                version = conn.exec_driver_sql("SHOW server_version").scalar()
                work_mem = conn.exec_driver_sql("SHOW work_mem").scalar()
                t = table("participants")
                # A reference with letters in its first four symbols (all digits would also be
                # tried as a phone number).
                reference = next(r for r in conn.scalars(sa.select(t.c.reference).order_by(t.c.id)
                                                         .offset(min(54321, opts.n // 2)).limit(100))
                                 if not r[:4].isdigit())
            print(f"PostgreSQL {version}, work_mem {work_mem}; {opts.n:,} participants loaded in "
                  f"{seconds:.1f} s; schema at revision {opts.revision}")
            explain(app, engine, seed.admin_id, cases(reference), opts.full)
        finally:
            dbs.close()
    return 0


def explain(app, engine: sa.Engine, admin_id: int, todo: list[tuple[str, dict]], full: bool) -> None:
    from journey.core.auth import User
    from journey.core.db import db
    from journey.participants.services import search_participants

    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "participants" in statement:
            captured.append((statement, parameters))

    with app.app_context():
        sess = db.session
        admin = sess.get(User, admin_id)
        for title, args in todo:
            captured.clear()
            sa.event.listen(engine, "before_cursor_execute", capture)
            try:
                page = search_participants(sess, admin, dict(args))
            finally:
                sa.event.remove(engine, "before_cursor_execute", capture)
            sess.rollback()
            heading(f"{title}: total {page['total']:,}, {len(page['items'])} rows, "
                    f"{len(captured)} statement(s) on participants")
            for statement, params in captured:
                kind = "count" if re.match(r"\s*SELECT count", statement, re.I) else "page"
                with engine.connect() as conn:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                                params).scalars().all()
                print(f"  -- {kind}")
                for row in plan:
                    if full or _KEEP.search(row):
                        print(f"  {row}")
            if not captured:
                note("no statement read participants")


if __name__ == "__main__":
    sys.exit(main())
