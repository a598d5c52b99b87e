"""Every benchmark still runs: each bench/*.py in its smoke form (BENCH_QUICK=1), so a change to a
service a bench drives breaks here rather than the next time someone measures.

The scripts start together (they spend much of their time importing and waiting), each on copies
of one migrated SQLite file (BENCH_SQLITE_TEMPLATE), and each test waits for its own. In the
PostgreSQL run (JOURNEY_TEST_DATABASE_URL set) they run on that server instead, as
``make bench-postgres`` does: each creates its own databases beside the one the URL names, all
named with this run's prefix (BENCH_PG_PREFIX), and the last test checks every one was dropped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
# Benches that print plans, not a comparison: no ratio to look for.
NO_RATIO = {"explain_participants.py"}
PG_URL = os.environ.get("JOURNEY_TEST_DATABASE_URL", "").strip() or None
PG_PREFIX = f"journey_benchtest_{uuid.uuid4().hex[:6]}_"
TIMEOUT = 240  # seconds, for one script on a busy two-core machine


def source(name: str) -> str:
    """A bench's text, with that of the bench/_*.py modules it runs (bench/http.py is a shim
    over bench/_http_bench.py: its own name shadows the standard library's http package)."""
    text = (BENCH / name).read_text(encoding="utf-8")
    own = re.findall(r"^\s*from (_[a-z]\w*) import", text, flags=re.M)
    return text + "".join((BENCH / f"{m}.py").read_text(encoding="utf-8") for m in own
                          if m != "_common")


def follows_convention(name: str) -> bool:
    return "sized(" in source(name)


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """Every runnable bench, started at once in its smoke form; name -> process."""
    if PG_URL and os.environ.get("CI_SKIP_PG_BENCH_SMOKE"):
        # CI's budget: the SQLite run smoke-tests every bench; `make bench-postgres` runs them on
        # PostgreSQL (this run would take over a minute of CI for the same code paths).
        pytest.skip("CI_SKIP_PG_BENCH_SMOKE: benches smoke-tested in the SQLite run")
    from alembic import command

    from journey.cli import alembic_config

    template = tmp_path_factory.mktemp("bench") / "migrated.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{template}"), "head")
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "JOURNEY_TEST_DATABASE_URL"}}
    env.update(BENCH_QUICK="1", BENCH_SQLITE_TEMPLATE=str(template), PYTHONDONTWRITEBYTECODE="1")
    if PG_URL:
        env.update(DATABASE_URL=PG_URL, BENCH_PG_PREFIX=PG_PREFIX)
    procs = {}
    for name in SCRIPTS:
        if follows_convention(name):
            # Our own interpreter running the repository's own scripts: no untrusted input.
            procs[name] = subprocess.Popen(  # noqa: S603
                [sys.executable, str(BENCH / name)], env=env, cwd=tmp_path_factory.getbasetemp(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_runs_in_its_smoke_form(started, name):
    if name not in started:
        pytest.fail(f"bench/{name} must take its sizes from _common.sized() (see its docstring), "
                    "so BENCH_QUICK=1 runs it in seconds")
    out, err = started[name].communicate(timeout=TIMEOUT)
    assert started[name].returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    # Each prints at least one ratio to its baseline ("1.23x", "ratio 1.23").
    if name not in NO_RATIO:
        assert re.search(r"\d\.\d+x|ratio \d", out), out[-3000:]


def test_every_bench_reads_database_url_through_common():
    """No bench picks its own database: DATABASE_URL, through _common.Databases.from_env."""
    for name in SCRIPTS:
        text = source(name)
        assert "Databases.from_env" in text, f"bench/{name} ignores DATABASE_URL"
        assert "--postgres" not in text, f"bench/{name} has a database option of its own"


def test_benches_drop_the_databases_they_create(started):
    """On PostgreSQL every bench drops the databases it made (after all of them have finished)."""
    if not PG_URL:
        pytest.skip("SQLite run: the benches' files live in temporary directories")
    for proc in started.values():
        if proc.returncode is None:  # not yet waited for by its own test
            proc.communicate(timeout=TIMEOUT)
    import sqlalchemy as sa

    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            left = conn.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                {"p": PG_PREFIX.replace("_", r"\_") + "%"}).all()
    finally:
        engine.dispose()
    assert left == [], f"databases left behind: {left}"
