"""The production server: gunicorn with deploy/gunicorn.conf.py serves the app, logs no query
string, gives each worker its own connection pool, and deploy/preflight.py refuses a bad
environment in one line."""

from __future__ import annotations

import http.client
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATA_KEYS

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SECRET = "0f9c2b7e4d1a8f3c6b5e2d9a7c4f1e8b3d6a9c2f5e8b1d4a7c0f3e6b9d2a5c8f"  # noqa: S105 (test only)
PERSONAL = "Sita+Gurung"


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "WEB_"))}
    env.update(JOURNEY_ENV="production", SECRET_KEY=SECRET, JOURNEY_DATA_KEYS=TEST_DATA_KEYS,
               JOURNEY_INSTANCE_PATH=str(tmp_path / "instance"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'journey.sqlite3'}")
    env.update(extra)
    return env


def _load_conf():
    spec = importlib.util.spec_from_file_location("journey_gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_serves_health_and_logs_no_query_string(tmp_path):
    # The test binds the port and hands gunicorn the socket (fd://): no free-port race, and a
    # request made before the workers are up waits in the listen queue instead of failing.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port, fd = listener.getsockname()[1], listener.fileno()
    access_log = tmp_path / "access.log"
    env = _production_env(tmp_path, JOURNEY_BIND=f"fd://{fd}", WEB_CONCURRENCY="2",
                          JOURNEY_THREADS="2", JOURNEY_ACCESS_LOG=str(access_log),
                          JOURNEY_GRACEFUL_TIMEOUT="10")
    # Our own gunicorn, our own config file: no untrusted input.
    server = subprocess.Popen([str(GUNICORN), "-c", str(CONF)], env=env, cwd=tmp_path,  # noqa: S603
                              pass_fds=(fd,), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    listener.close()
    try:
        answers = []
        for path in (f"/healthz?q={PERSONAL}&phone=%2B9779841000001",
                     f"/api/v1/participants/?q={PERSONAL}"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers={"Referer": f"http://127.0.0.1/participants?q={PERSONAL}"})
            resp = conn.getresponse()
            answers.append((resp.status, resp.getheader("X-Request-ID"), resp.read()))
            conn.close()
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: the access lines are written before exit
        output, _ = server.communicate(timeout=60)

    assert server.returncode == 0, output
    (health_status, health_rid, health_body), (list_status, _rid, _body) = answers
    assert health_status == 200 and b'"status":"ok"' in health_body
    assert list_status == 401  # no token; it still reached the app through gunicorn
    log = access_log.read_text()
    lines = log.splitlines()
    assert any('"GET /healthz HTTP/1.1" 200' in ln and f"rid={health_rid}" in ln for ln in lines), log
    assert any('"GET /api/v1/participants/ HTTP/1.1" 401' in ln for ln in lines), log
    for text in (log, output):
        assert "Sita" not in text and "Gurung" not in text and "q=" not in text
        assert "9841000001" not in text
    assert "?" not in log
    assert "Booting worker" in output and "preload on" in output


def test_the_logger_strips_query_strings_from_every_atom():
    from gunicorn.config import Config

    logger = _load_conf().Logger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/v1/participants/?q={PERSONAL}",
               "PATH_INFO": "/api/v1/participants/", "QUERY_STRING": f"q={PERSONAL}",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_REFERER": f"http://x/participants?q={PERSONAL}"}
    req = SimpleNamespace(headers=[("REFERER", f"http://x/participants?q={PERSONAL}")])
    resp = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    assert atoms["r"] == "GET /api/v1/participants/ HTTP/1.1"
    assert atoms["f"] == "http://x/participants"
    assert PERSONAL not in repr(atoms)


def test_post_fork_gives_a_preloaded_worker_its_own_pool(tmp_path, monkeypatch):
    """A connection the master holds is not handed to a worker, and stays usable by the master."""
    monkeypatch.setenv("JOURNEY_ENV", "testing")
    monkeypatch.setenv("JOURNEY_INSTANCE_PATH", str(tmp_path / "instance"))
    from journey import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fork.sqlite3'}"})
    engine = app.extensions["journey_db"].engine
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert engine.pool.checkedin() == 1  # the master now holds a pooled connection
    post_fork = _load_conf().post_fork
    server = SimpleNamespace(app=SimpleNamespace(callable=app))

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            post_fork(server, None)
            os.write(write, str(engine.pool.checkedin()).encode())
        finally:
            os._exit(0)
    os.close(write)
    in_worker = os.read(read, 16).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert in_worker == "0"
    assert engine.pool.checkedin() == 1
    with engine.connect() as conn:  # dispose(close=False) left the master's connection intact
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()


def _preflight():
    spec = importlib.util.spec_from_file_location("journey_preflight", ROOT / "deploy" / "preflight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("unset", "message"), [
    ("SECRET_KEY", "SECRET_KEY must be set in production"),
    ("DATABASE_URL", "DATABASE_URL must be set in production"),
    ("JOURNEY_DATA_KEYS", "production needs a data key"),
])
def test_preflight_names_what_a_production_start_lacks(tmp_path, unset, message):
    env = _production_env(tmp_path)
    assert _preflight().problems(env)[0] == []
    del env[unset]
    errors, _warnings = _preflight().problems(env)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_preflight_names_a_database_that_does_not_answer(tmp_path):
    env = _production_env(tmp_path, DATABASE_URL="postgresql+psycopg://journey:hunter2@127.0.0.1:1/journey")
    (error,), _warnings = _preflight().problems(env)
    assert error.startswith("the database at postgresql+psycopg://journey:***@127.0.0.1:1/journey "
                            "does not answer"), error
    assert "hunter2" not in error


def test_preflight_refuses_in_one_line_without_a_traceback(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    # Our own interpreter and script: no untrusted input.
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "preflight.py")], env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "journey: cannot start: SECRET_KEY must be set in production\n"
