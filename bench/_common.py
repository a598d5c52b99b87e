"""Shared helpers for the benchmarks in bench/: fresh migrated databases, an app, timing, printing.

Every benchmark is a plain script (``python bench/<name>.py`` from the repository root). Import this
module first: it puts the repository root on sys.path so ``journey`` imports without installing.

Conventions every bench follows (tests/test_bench.py runs each ``bench/*.py`` and relies on them):

* **The database is DATABASE_URL's.** Unset (or SQLite), a bench builds SQLite files in a temporary
  directory; a PostgreSQL URL names the *server*: the bench creates fresh databases on it and drops
  them at the end, and never writes to the database the URL names (``Databases.from_env``,
  ``database_url()``). ``make bench`` runs every bench on SQLite, ``make bench-postgres`` on
  PostgreSQL.
* **Baseline and service alternate** (B S, S B, B S, ...) so whatever else loads the machine slows
  both alike, and each printed figure is the **median of at least 3 runs**, with the ratio
  service/baseline (``alternate()``; ``interleave()`` for finer-grained steps within a run).
* **BENCH_QUICK=1 shrinks every size** to a smoke run of a few seconds (``sized(full, quick)``
  for argparse defaults): tests/test_bench.py runs every bench that way on SQLite so none can rot.
  Its figures mean nothing. A bench added later takes its sizes from ``sized`` too, exits 0, and
  finishes in a few seconds under BENCH_QUICK=1.
* It reports; it does not gate: PASS/FAIL lines, exit code 0 (non-zero only when it breaks).
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import math
import os
import pstats
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

# --- conventions ------------------------------------------------------------------------------

QUICK = os.environ.get("BENCH_QUICK", "").strip().lower() not in {"", "0", "false", "no"}
"""BENCH_QUICK=1: a smoke run (tests/test_bench.py), every size shrunk."""


def sized(full: Any, quick: Any) -> Any:
    """``full`` normally, ``quick`` under BENCH_QUICK=1: the default of every size option."""
    return quick if QUICK else full


def database_url() -> str | None:
    """The PostgreSQL server to create fresh databases on (DATABASE_URL), or None for SQLite files
    in a temporary directory (DATABASE_URL unset, or a SQLite URL)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url if url.startswith("postgresql") else None


# --- databases and the app --------------------------------------------------------------------

class Workspace:
    """A temporary directory holding the benchmark's databases and the app's instance folder.

    Each call to ``fresh_database`` gives a new SQLite file built by the real Alembic migrations
    (``command.upgrade(alembic_config(url), "head")``), exactly as the test suite does: the first
    one is migrated, and the rest are copies of it (SQLite's backup API), which is the same file
    made in a fraction of the time. BENCH_SQLITE_TEMPLATE names an already migrated file to copy
    instead (tests/test_bench.py migrates one for all the benches it runs).
    """

    def __init__(self, prefix: str = "journey-bench-") -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self.path = Path(self._tmp.name)
        self.instance = self.path / "instance"
        self.instance.mkdir()
        self._engines: list[sa.Engine] = []
        self._template: Path | None = None
        # One data key for the run (journey.core.crypto): the apps load it from the environment,
        # and Core inserts outside an app context (bulk loads) encrypt with it too.
        import base64

        from journey.core import crypto

        key = ("bench", os.urandom(32))
        os.environ["JOURNEY_DATA_KEYS"] = f"bench:{base64.b64encode(key[1]).decode()}"
        crypto.activate(crypto.Keyring([key]))

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        self._tmp.cleanup()

    def fresh_database(self, name: str) -> str:
        """A new, migrated SQLite database; returns its URL."""
        from alembic import command

        from journey.cli import alembic_config

        if self._template is None:
            given = os.environ.get("BENCH_SQLITE_TEMPLATE")
            if given:
                self._template = Path(given)
            else:
                self._template = self.path / "_migrated.sqlite3"
                command.upgrade(alembic_config(f"sqlite:///{self._template}"), "head")
        path = self.path / (name + ".sqlite3")
        with contextlib.closing(sqlite3.connect(self._template)) as src, \
                contextlib.closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return f"sqlite:///{path}"

    def engine(self, url: str) -> sa.Engine:
        """An engine configured like the app's (same pragmas: WAL, synchronous=NORMAL, BEGIN)."""
        from journey.core.db import make_engine

        engine = make_engine(url)
        self._engines.append(engine)
        return engine

    def app(self, url: str, **config: Any):
        """The real app (testing settings) on the given database."""
        os.environ["JOURNEY_ENV"] = "testing"
        os.environ["JOURNEY_INSTANCE_PATH"] = str(self.instance)
        from journey import create_app

        app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False, "LOG_LEVEL": "WARNING",
                          **config})
        self._engines.append(app.extensions["journey_db"].engine)
        return app


class Databases:
    """Fresh migrated databases: SQLite files in the workspace, or PostgreSQL databases created on
    the server given (and dropped at the end)."""

    def __init__(self, ws: Workspace, pg_url: str | None) -> None:
        self.ws = ws
        self.pg_url = pg_url
        self._made: list[str] = []
        self._template: str | None = None
        self._admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT") if pg_url else None

    @classmethod
    def from_env(cls, ws: Workspace) -> Databases:
        """Per DATABASE_URL: PostgreSQL databases on its server when it is a PostgreSQL URL, else
        (unset, or SQLite) SQLite files in the workspace: a benchmark never writes to the
        database DATABASE_URL names, only beside it on the same server."""
        return cls(ws, database_url())

    @property
    def backend(self) -> str:
        return "SQLite" if self.pg_url is None else "PostgreSQL"

    def fresh(self, name: str, revision: str = "head") -> str:
        """A new migrated database. On PostgreSQL the first call migrates a template database
        (never connected to otherwise) and each call clones it (CREATE DATABASE ... TEMPLATE).
        ``revision`` other than head (PostgreSQL only): an empty database migrated to it."""
        if self._admin is None:
            if revision != "head":
                raise ValueError("a revision other than head needs PostgreSQL")
            return self.ws.fresh_database(name)
        if revision != "head":
            from alembic import command

            from journey.cli import alembic_config

            url = self._url(self._create(""))
            command.upgrade(alembic_config(url), revision)
            return url
        if self._template is None:
            from alembic import command

            from journey.cli import alembic_config

            self._template = self._create("")
            command.upgrade(alembic_config(self._url(self._template)), "head")
        return self._url(self._create(self._template))

    def _create(self, template: str) -> str:
        # BENCH_PG_PREFIX: tests/test_bench.py names its runs' databases, to check they are dropped.
        db_name = f"{os.environ.get('BENCH_PG_PREFIX', 'journey_bench_')}{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"'
                                 + (f' TEMPLATE "{template}"' if template else ""))
        self._made.append(db_name)
        return db_name

    def _url(self, db_name: str) -> str:
        return sa.engine.make_url(self.pg_url).set(database=db_name).render_as_string(
            hide_password=False)

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for db_name in self._made:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": db_name})
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}"')
        self._admin.dispose()


def table(name: str) -> sa.Table:
    """A table of the app's metadata, for Core statements."""
    import journey.models  # noqa: F401  (registers every table)
    from journey.core.db import metadata

    return metadata.tables[name]


_NO_LOGIN = "!"  # not an argon2 hash: no password verifies against it


@dataclass
class Seed:
    office_ids: list[int]
    programme_id: int
    admin_id: int
    caseworker_ids: dict[int, int]  # office id -> caseworker user id


def seed_reference_data(engine: sa.Engine, offices: int = 4) -> Seed:
    """Offices, one programme, an admin and one caseworker per office, inserted with Core.

    Users get an unusable password hash: the benchmarks call services directly and never log in.
    """
    from journey.core.db import utcnow

    now = utcnow()
    t_off, t_prog, t_user = table("offices"), table("programmes"), table("users")
    with engine.begin() as conn:
        office_ids = []
        for i in range(offices):
            res = conn.execute(t_off.insert().values(
                code=f"BO{i + 1}", name=f"Bench office {i + 1}", country="NP",
                timezone="Asia/Kathmandu", created_at=now))
            office_ids.append(res.inserted_primary_key[0])
        programme_id = conn.execute(t_prog.insert().values(
            code="PG-BENCH", name="Bench programme", origin_country="NP",
            destination_country="PT", sector="Hospitality", occupations=["5120"],
            default_language="ne", languages=[], checklist_config={}, created_at=now,
        )).inserted_primary_key[0]

        def user(username: str, role: str, office_id: int | None) -> int:
            return conn.execute(t_user.insert().values(
                username=username, full_name=username.title(), role=role, office_id=office_id,
                language="en", password_hash=_NO_LOGIN, is_active=True, created_at=now,
            )).inserted_primary_key[0]

        admin_id = user("benchadmin", "admin", None)
        caseworkers = {oid: user(f"benchcw{oid}", "caseworker", oid) for oid in office_ids}
    return Seed(office_ids, programme_id, admin_id, caseworkers)


# --- measuring ---------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank on the sorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


@dataclass
class Timings:
    """Per-call wall times, in seconds."""

    samples: list[float] = field(default_factory=list)

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.samples.append(time.perf_counter() - start)

    @property
    def total(self) -> float:
        return sum(self.samples)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000 if self.samples else math.nan

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples, 95) * 1000

    @property
    def per_second(self) -> float:
        return len(self.samples) / self.total if self.total else math.nan


def interleave(*sides: Iterator[float]) -> list[Timings]:
    """Step the sides in turn (A B, B A, A B...), one unit of work each, collecting their times.

    Interleaving makes a comparison fair on a busy machine: whatever else runs slows both sides
    alike, instead of whichever happened to run second.
    """
    timings = [Timings() for _ in sides]
    order = list(range(len(sides)))
    try:
        while True:
            for k in order:
                timings[k].samples.append(next(sides[k]))
            order.reverse()
    except StopIteration:
        pass
    finally:
        for side in sides:
            close = getattr(side, "close", None)
            if close is not None:
                close()
    return timings


@dataclass
class Alternated:
    """Per-run figures of the two sides of alternate(), in the order they ran."""

    baseline: list[float]
    service: list[float]
    order: list[str]

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def service_median(self) -> float:
        return statistics.median(self.service)

    @property
    def ratio(self) -> float:
        """service / baseline, of the medians."""
        return self.service_median / self.baseline_median

    def show(self, baseline_label: str, service_label: str, fmt: Callable[[float], str],
             ratio_label: str | None = "ratio service/baseline") -> None:
        """Print each side's median (and its runs) and the ratio (unless ratio_label is None)."""
        for label, values in ((baseline_label, self.baseline), (service_label, self.service)):
            line(label, f"{fmt(statistics.median(values))}  "
                        f"(median of {len(values)}: {', '.join(fmt(v).strip() for v in values)})")
        if ratio_label:
            line(ratio_label, f"{self.ratio:.2f}x")


def alternate(baseline_fn: Callable[[int], float], service_fn: Callable[[int], float],
              runs: int = 3) -> Alternated:
    """Call ``baseline_fn(i)`` and ``service_fn(i)`` for run i = 0..runs-1, alternating which goes
    first (B S, S B, B S, ...); each returns the run's figure (seconds, ms per call, a rate).

    At least 3 runs (1 is allowed under BENCH_QUICK, for the smoke test): a median of three is
    what stands between one unlucky run and a wrong conclusion.
    """
    if runs < (1 if QUICK else 3):
        raise ValueError("alternate() needs at least 3 runs")
    out = Alternated([], [], [])
    for i in range(runs):
        for side in ("B", "S") if i % 2 == 0 else ("S", "B"):
            if side == "B":
                out.baseline.append(baseline_fn(i))
            else:
                out.service.append(service_fn(i))
            out.order.append(side)
    return out


def drain(side: Iterator[float]) -> Timings:
    """Run one side to the end alone."""
    return Timings(list(side))


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` gives seconds since the block started
    (frozen when it ends)."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


class StatementCounter:
    """Counts SQL statements an engine executes, by kind and table ("SELECT participants").

    An executemany counts once. The listener is cheap, and benchmarks attach it to every engine
    they compare, so it costs each side the same.
    """

    _TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)

    def __init__(self, engine: sa.Engine) -> None:
        self.counts: dict[str, int] = {}
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement: str, *_args: Any) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper()
        found = self._TABLE.search(statement)
        key = f"{kind} {found.group(1)}" if found and kind in self.KINDS else kind
        self.counts[key] = self.counts.get(key, 0) + 1

    KINDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})

    def reset(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts

    @staticmethod
    def per(counts: dict[str, int], n: int, skip: tuple[str, ...] = ("BEGIN", "PRAGMA")) -> str:
        """Counts divided by n, e.g. "2.00 SELECT participants, 1.00 INSERT audit_events"."""
        return ", ".join(f"{v / n:.2f} {k}" for k, v in sorted(counts.items())
                         if k.split()[0] not in skip and v / n >= 0.005)


def profile(fn: Callable[[], Any], *, top: int = 25, sort: str = "cumulative") -> str:
    """Run fn under cProfile; the top functions as text."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        fn()
    finally:
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    return out.getvalue()


# --- printing ----------------------------------------------------------------------------------

def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def line(label: str, text: str) -> None:
    print(f"  {label:<34} {text}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def note(text: str) -> None:
    print(f"  ({text})", flush=True)


def targets(results: list[tuple[str, bool, str]], width: int) -> int:
    """Print each target's verdict and the tally; the exit code is 0 either way (it reports)."""
    heading("Targets")
    for label, ok, figure in results:
        print(f"  {verdict(ok)}  {label:<{width}} {figure}")
    passed = sum(ok for _, ok, _ in results)
    print(f"  {passed}/{len(results)} targets met (exit code is 0 regardless)", flush=True)
    return 0
