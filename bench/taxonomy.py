"""Taxonomy benchmark: the full ESCO import, its re-import, and search latency.

    python bench/taxonomy.py                       # SQLite
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/taxonomy.py

What it measures, on fresh migrated databases, one per run and side (SQLite files; or, when
DATABASE_URL is a PostgreSQL URL, new databases on that server, dropped at the end):

* Import: ``import_esco`` of tests/data/esco/occupations.csv (2,942 occupations, 603 groups) in an
  app context, committed, against a BASELINE in plain SQLAlchemy Core: read the same file with
  csv.DictReader, pad the codes and fold the labels, and executemany the same rows into the same
  two tables, committed; no validation, no preloading, no upsert. The two sides alternate run by
  run (B S, S B, ...) and the medians are compared.
* Re-import: ``import_esco`` of the same file into the database it already fills (nothing changes).
* Search: the median and p95 of N ``search_occupations`` calls by words of a title and N
  ``search_groups`` calls by code prefix, on the imported database (page 1, 25 per page, total
  counted).

Under BENCH_QUICK=1 the file is cut to its first 60 occupations. Targets are printed with
PASS/FAIL; the exit code is 0 either way (it reports, it does not gate).
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import platform
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    QUICK,
    ROOT,
    Databases,
    Timings,
    Workspace,
    alternate,
    heading,
    line,
    note,
    sized,
    stopwatch,
    table,
    targets,
    verdict,
)

ESCO_FILE = ROOT / "tests" / "data" / "esco" / "occupations.csv"
RATIO_TARGET = 3.0  # the import, validation and upsert included, within 3x of bare inserts
IMPORT_TARGET_S = 5.0
SEARCH_TARGET_MS = 20.0


# --- the two sides -------------------------------------------------------------------------------

def quick_file(ws: Workspace, rows: int) -> Path:
    """The first `rows` occupations of the ESCO file, for a smoke run (BENCH_QUICK)."""
    path = ws.path / "occupations.csv"
    with ESCO_FILE.open(encoding="utf-8-sig", newline="") as f, path.open("w", newline="") as out:
        out.writelines(itertools.islice(f, rows + 1))
    return path


def occupations_in(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def import_service(app) -> tuple[float, object]:
    """import_esco of the whole file, committed; seconds and the ImportResult."""
    from journey.core.db import db
    from journey.taxonomy.services import import_esco

    with app.app_context():
        sess = db.session
        with stopwatch() as elapsed:
            result = import_esco(sess, ESCO_FILE)
            sess.commit()
        return elapsed(), result


def import_core(engine: sa.Engine) -> tuple[float, int]:
    """The same rows in bare Core: read, pad, fold, executemany, commit; seconds and rows."""
    from journey.taxonomy.files import ESCO_OCCUPATION
    from journey.taxonomy.services import fold

    groups_t, occupations_t = table("isco_groups"), table("esco_occupations")
    with stopwatch() as elapsed:
        groups: dict[str, str] = {}
        occupations = []
        with ESCO_FILE.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                for level in (1, 2, 3, 4):
                    groups.setdefault(row[f"isco_{level}_key"].zfill(level),
                                      row[f"isco_{level}_label"])
                label = row["esco_label"]
                occupations.append({"uri": ESCO_OCCUPATION + row["esco_key"], "label": label,
                                    "label_key": fold(label),
                                    "isco_code": row["isco_4_key"].zfill(4)})
        group_rows = [{"code": c, "level": len(c), "label": lbl, "label_key": fold(lbl),
                       "parent_code": c[:-1] or None}
                      for c, lbl in sorted(groups.items(), key=lambda kv: (len(kv[0]), kv[0]))]
        with engine.begin() as conn:
            conn.execute(groups_t.insert(), group_rows)
            conn.execute(occupations_t.insert(), occupations)
    return elapsed(), len(group_rows) + len(occupations)


# --- searching -----------------------------------------------------------------------------------

def search_terms(engine: sa.Engine, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """n words or word pairs of real titles (some upper-cased, as typed) and n code prefixes."""
    occupations_t, groups_t = table("esco_occupations"), table("isco_groups")
    with engine.connect() as conn:
        labels = conn.scalars(sa.select(occupations_t.c.label)).all()
        codes = conn.scalars(sa.select(groups_t.c.code)).all()
    words = []
    for i in range(n):
        parts = rng.choice(labels).split()
        start = rng.randrange(len(parts))
        term = " ".join(parts[start:start + 1 + i % 2])
        words.append(term.upper() if i % 3 == 0 else term)
    return words, [rng.choice(codes)[:1 + i % 4] for i in range(n)]


def timed_searches(app, calls: list[Callable]) -> Timings:
    from journey.core.db import db

    timings = Timings()
    with app.app_context():
        sess = db.session
        for call in calls:
            with timings.measure():
                page = call(sess)
            assert page["total"] >= 0
            sess.rollback()  # a GET ends its transaction too
    return timings


# --- the run -------------------------------------------------------------------------------------

def run_backend(ws: Workspace, dbs: Databases, backend: str, opts: argparse.Namespace
                ) -> list[tuple[str, bool, str]]:
    """Import, re-import and search on one backend; the targets it met or missed."""
    from journey.taxonomy import services

    results = []
    heading(f"{backend}: full ESCO import into a fresh database, {opts.runs} runs a side")
    last: dict[str, object] = {}

    def service(i: int) -> float:
        last["app"] = ws.app(dbs.fresh(f"svc{i}"))
        seconds, last["result"] = import_service(last["app"])
        return seconds

    def core(i: int) -> float:
        seconds, last["rows"] = import_core(ws.engine(dbs.fresh(f"core{i}")))
        return seconds

    # B S, S B, ...: whatever else runs on the machine slows both sides alike.
    imports = alternate(core, service, opts.runs)
    app, result = last["app"], last["result"]
    imports.show(f"baseline (Core, {last['rows']:,} rows)", "import_esco", lambda v: f"{v:.3f} s",
                 None)
    note(result.summary())
    svc = imports.service_median
    ratio = imports.ratio
    ok = ratio <= RATIO_TARGET
    line("ratio import/baseline", f"{ratio:6.2f}x   target <= {RATIO_TARGET:g}x  {verdict(ok)}")
    results.append((f"{backend}: import within {RATIO_TARGET:g}x of Core", ok, f"{ratio:.2f}x"))
    results.append((f"{backend}: full import under {IMPORT_TARGET_S:g} s", svc < IMPORT_TARGET_S,
                    f"{svc:.3f} s"))

    heading(f"{backend}: re-import into the same database ({opts.runs} runs)")
    again = [import_service(app) for _ in range(opts.runs)]
    unchanged = all(r.occupations_unchanged == opts.occupations and r.groups_created == 0
                    and r.groups_updated == 0 and r.occupations_updated == 0 for _, r in again)
    reimport = statistics.median(seconds for seconds, _ in again)
    line("import_esco, nothing to change", f"median {reimport:6.3f} s  "
         f"({'nothing changed' if unchanged else 'CHANGED ROWS'})")
    results.append((f"{backend}: re-import changes nothing", unchanged, f"{reimport:.3f} s"))

    heading(f"{backend}: search, {opts.searches} calls of each kind (page of 25, total counted)")
    engine = app.extensions["journey_db"].engine
    words, prefixes = search_terms(engine, opts.searches, random.Random(opts.seed))
    label_calls = [functools.partial(services.search_occupations, q=q) for q in words]
    code_calls = [functools.partial(services.search_groups, code=c) for c in prefixes]
    timed_searches(app, label_calls[:20] + code_calls[:20])  # warm up, untimed
    for title, calls in (("occupations by title words", label_calls),
                         ("ISCO groups by code prefix", code_calls)):
        timings = timed_searches(app, calls)
        ok = timings.median_ms < SEARCH_TARGET_MS
        line(title, f"median {timings.median_ms:6.2f} ms  p95 {timings.p95_ms:6.2f} ms  "
             f"target median < {SEARCH_TARGET_MS:g} ms  {verdict(ok)}")
        results.append((f"{backend}: search {title}", ok, f"{timings.median_ms:.2f} ms"))
    return results


def main(argv: list[str] | None = None) -> int:
    global ESCO_FILE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=sized(5, 3), help="imports per side (5)")
    parser.add_argument("--searches", type=int, default=sized(200, 10),
                        help="searches of each kind (200)")
    parser.add_argument("--seed", type=int, default=20261123)
    opts = parser.parse_args(argv)

    import sqlite3

    with Workspace() as ws:
        if QUICK:
            ESCO_FILE = quick_file(ws, 60)
        opts.occupations = occupations_in(ESCO_FILE)
        dbs = Databases.from_env(ws)
        print(f"journey taxonomy benchmark: Python {platform.python_version()}, SQLAlchemy "
              f"{sa.__version__}, SQLite {sqlite3.sqlite_version}; {dbs.backend}; file "
              f"{ESCO_FILE.name} ({opts.occupations:,} occupations), runs={opts.runs} "
              f"searches={opts.searches}", flush=True)
        try:
            results = run_backend(ws, dbs, dbs.backend, opts)
        finally:
            dbs.close()

    return targets(results, width=52)


if __name__ == "__main__":
    sys.exit(main())
