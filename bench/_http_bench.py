"""HTTP benchmark: the participant list and one participant, against gunicorn, as ratios of a bare
Flask JSON endpoint served by the same app, server and workers (issue #12, items 5 and 7).
Run it as bench/http.py (this module is its body: see there why).

    python bench/http.py                      # SQLite in a temporary directory
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/http.py
    python bench/http.py --profile            # also cProfile the two reads in-process

What it does:

* a fresh database (SQLite in a temporary directory, or a new database on the PostgreSQL server
  DATABASE_URL names, dropped at the end), migrated with ``journey db upgrade``;
* 10,000 participants (--n) bulk-loaded with Core (bench/registry.py's ``bulk_load``: the same
  encrypted columns and blind indexes the app writes), four offices, an admin with an API token;
* gunicorn (2 sync workers, --workers) serving bench/_http_wsgi.py: the real app plus
  ``/bench/bare``, a JSON endpoint that does nothing (it exists only in that wrapper);
* wrk (Debian's ``wrk``; a Python load generator when it is absent) for --seconds against, in
  turn, the bare endpoint, ``GET /api/v1/participants/?per_page=50`` (page 1, default sort
  ``-created_at``: the admin sees all 10,000, so the count and the sort run over the whole table)
  and ``GET /api/v1/participants/<id>`` (a random id per request; an audited read). The order
  alternates from round to round (A B C, C B A, ...), --rounds rounds (at least 3);
* each figure is the median of its rounds; the ratios are service/bare.

Every request must answer 200: a run with any other status is reported and fails the target.
Targets: the list at least 0.25x the bare endpoint, one participant at least 0.5x.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from _common import (
    ROOT,
    Databases,
    Workspace,
    heading,
    line,
    note,
    profile,
    seed_reference_data,
    sized,
    table,
    targets,
    verdict,
)
from registry import bulk_load

_BENCH = Path(__file__).resolve().parent
LIST_TARGET = 0.25
ONE_TARGET = 0.5
LIST_PATH = "/api/v1/participants/?per_page=50"
BARE_PATH = "/bench/bare"
WRK = shutil.which("wrk")


# --- the database --------------------------------------------------------------------------------

@contextlib.contextmanager
def fresh_database(ws: Workspace) -> Iterator[str]:
    """A new migrated database per DATABASE_URL (_common.Databases): a SQLite file in the
    workspace, or a database created beside the one the URL names and dropped at the end."""
    dbs = Databases.from_env(ws)
    try:
        yield dbs.fresh("http")
    finally:
        dbs.close()


_SECRET_KEY = secrets.token_hex(32)


def server_env(ws: Workspace, url: str) -> dict[str, str]:
    """The environment of a production deployment on this database (the data key is the one
    Workspace made, so the bulk load's ciphertexts decrypt)."""
    # Not bench/ on PYTHONPATH: this file would shadow the standard library's http package.
    return {**os.environ, "JOURNEY_ENV": "production", "SECRET_KEY": _SECRET_KEY,
            "DATABASE_URL": url, "JOURNEY_INSTANCE_PATH": str(ws.instance),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ws.path)])}


def seed(url: str, n: int) -> tuple[str, list[int], float]:
    """n participants and an admin's API token; returns the token, the ids and the load time."""
    from journey.core.auth import TOKEN_PREFIX, token_digest
    from journey.core.db import make_engine, utcnow

    engine = make_engine(url)
    try:
        ref = seed_reference_data(engine)
        seconds = bulk_load(engine, ref, n, rng_seed=20261130)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        t = table("participants")
        with engine.begin() as conn:
            conn.execute(table("api_tokens").insert().values(
                user_id=ref.admin_id, name="bench", token_hash=token_digest(token), created_at=now,
                expires_at=now + timedelta(days=1)))
            ids = list(conn.scalars(sa.select(t.c.id)))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        return token, ids, seconds
    finally:
        engine.dispose()


# --- the server ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(ws: Workspace, url: str, workers: int) -> Iterator[str]:
    """gunicorn serving bench/_http_wsgi.py; yields its base URL."""
    port = _free_port()
    # The wrapper is copied beside the database: bench/ itself cannot go on the server's path.
    shutil.copy(_BENCH / "_http_wsgi.py", ws.path / "bench_wsgi.py")
    log = (ws.path / "gunicorn.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603  (our own interpreter and flags, no shell)
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--worker-class", "sync", "--log-level", "warning", "bench_wsgi:app"],
        env=server_env(ws, url), cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", BARE_PATH)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {ws.path / 'gunicorn.log'}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- load ----------------------------------------------------------------------------------------

@dataclass
class Run:
    per_second: float
    bad: int  # responses that were not 2xx/3xx, or errors


_LUA = """
local ids = {%(ids)s}
local headers = {["Authorization"] = "Bearer %(token)s"}
request = function()
  return wrk.format("GET", "/api/v1/participants/" .. ids[math.random(#ids)], headers)
end
"""


def wrk_run(base: str, path: str | None, token: str | None, seconds: float, connections: int,
            script: Path | None) -> Run:
    cmd = [WRK, "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, base + (path or "/")], check=True,  # noqa: S603  (wrk, no shell)
                         capture_output=True,
                         text=True).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    bad = sum(int(m) for m in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    # Sync gunicorn workers close each connection: wrk counts that as a read error, harmlessly.
    bad += sum(int(errors.group(k)) for k in (1, 3, 4)) if errors else 0
    return Run(rate, bad)


def python_run(base: str, paths: list[str], token: str | None, seconds: float,
               connections: int) -> Run:
    """A small closed-loop load generator: `connections` threads, one request at a time each."""
    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    done, bad = [0] * connections, [0] * connections
    stop = time.perf_counter() + seconds

    def worker(k: int) -> None:
        rng = random.Random(k)
        while time.perf_counter() < stop:
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                conn.request("GET", rng.choice(paths), headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = 200 <= resp.status < 400
            except OSError:
                ok = False
            finally:
                conn.close()
            done[k] += 1
            bad[k] += not ok

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(sum(done) / (time.perf_counter() - start), sum(bad))


# --- in-process profile ----------------------------------------------------------------------

def profile_in_process(url: str, token: str, ids: list[int], ws: Workspace, reps: int) -> None:
    """cProfile each read through the app's test client (no server, no network)."""
    os.environ.update({k: v for k, v in server_env(ws, url).items() if k.startswith("JOURNEY_")
                       or k in ("SECRET_KEY",)})
    from journey import create_app

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    client = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    for title, paths in (("list", [LIST_PATH]),
                         ("one participant", [f"/api/v1/participants/{i}" for i in ids[:reps]])):
        def go(paths: list[str] = paths) -> None:
            for k in range(reps):
                resp = client.get(paths[k % len(paths)], headers=h)
                assert resp.status_code == 200, resp.status_code

        go()  # warm
        heading(f"cProfile: {reps} x {title} (in-process test client)")
        print(profile(go, top=35, sort="cumulative"))
    app.extensions["journey_db"].engine.dispose()


# --- the run -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=sized(10_000, 200), help="participants (10000)")
    parser.add_argument("--seconds", type=float, default=sized(5.0, 1.0),
                        help="length of each run in whole seconds, as wrk takes it (5)")
    parser.add_argument("--rounds", type=int, default=sized(3, 1), help="runs of each side (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (4)")
    parser.add_argument("--python-load", action="store_true",
                        help="use the Python load generator even when wrk is installed")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile both reads in-process, after the runs")
    opts = parser.parse_args(argv)
    opts.rounds = max(sized(3, 1), opts.rounds)
    use_wrk = WRK is not None and not opts.python_load

    with Workspace(prefix="journey-http-") as ws:
        # Workspace put its data key in the environment; gunicorn inherits it.
        assert base64.b64decode(os.environ["JOURNEY_DATA_KEYS"].split(":", 1)[1])
        with fresh_database(ws) as url:
            backend = sa.engine.make_url(url).get_backend_name()
            print(f"journey HTTP benchmark: Python {platform.python_version()}, {backend}, "
                  f"{opts.n:,} participants, gunicorn {opts.workers} sync workers, "
                  f"{'wrk' if use_wrk else 'Python load generator'} -c {opts.connections}, "
                  f"{opts.rounds} rounds of {opts.seconds:g} s per side, {os.cpu_count()} CPUs",
                  flush=True)
            if not use_wrk:
                note("wrk not found (apt-get install wrk): the Python load generator is slower "
                     "than the server, so the ratios understate the gap less reliably")
            token, ids, load_s = seed(url, opts.n)
            line("bulk load (Core executemany)", f"{load_s:6.2f} s")
            script = ws.path / "one.lua"
            sample = random.Random(7).sample(ids, min(len(ids), 1000))
            script.write_text(_LUA % {"ids": ",".join(map(str, sample)), "token": token})
            sides = {
                "bare": (BARE_PATH, None, None, [BARE_PATH]),
                "list": (LIST_PATH, token, None, [LIST_PATH]),
                "one": (None, token, script, [f"/api/v1/participants/{i}" for i in sample]),
            }

            def run(name: str, seconds: float) -> Run:
                path, tok, lua, paths = sides[name]
                if use_wrk:
                    return wrk_run(base, path, tok, seconds, opts.connections, lua)
                return python_run(base, paths, tok, seconds, opts.connections)

            results: dict[str, list[Run]] = {name: [] for name in sides}
            with gunicorn(ws, url, opts.workers) as base:
                for name in sides:  # warm every worker's caches, untimed
                    run(name, 1)
                order = list(sides)
                for k in range(opts.rounds):
                    for name in order:
                        results[name].append(run(name, opts.seconds))
                    order.reverse()
                    note(f"round {k + 1}: " + ", ".join(
                        f"{n} {results[n][-1].per_second:,.0f}/s" for n in sides))

    heading("Requests per second (median of the rounds)")
    medians = {name: statistics.median(r.per_second for r in runs) for name, runs in results.items()}
    bad = {name: sum(r.bad for r in runs) for name, runs in results.items()}
    labels = {"bare": "bare JSON endpoint (baseline)", "list": "list, 50 a page",
              "one": "one participant (audited)"}
    for name, label in labels.items():
        line(label, f"{medians[name]:9,.0f} req/s   "
             f"runs: {', '.join(f'{r.per_second:,.0f}' for r in results[name])}"
             + (f"   {bad[name]} FAILED requests" if bad[name] else ""))
    rows = []
    for name, target in (("list", LIST_TARGET), ("one", ONE_TARGET)):
        ratio = medians[name] / medians["bare"]
        ok = ratio >= target and bad[name] == 0
        line(f"ratio {name}/bare", f"{ratio:9.3f}x   target >= {target:g}x  {verdict(ok)}")
        rows.append((f"{labels[name]} >= {target:g}x bare ({backend})", ok, f"{ratio:.3f}x"))
    if opts.profile:
        with Workspace(prefix="journey-http-prof-") as ws, fresh_database(ws) as url:
            token, ids, _ = seed(url, opts.n)
            profile_in_process(url, token, ids, ws, reps=200)
    return targets(rows, width=52)


if __name__ == "__main__":
    sys.exit(main())
