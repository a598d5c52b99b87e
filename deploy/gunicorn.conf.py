"""gunicorn settings for journey: `gunicorn -c deploy/gunicorn.conf.py` (what `make serve` and
deploy/journey-web.service run). Every knob comes from the environment, with a default that suits
one machine behind a reverse proxy.

| variable | default | meaning |
| --- | --- | --- |
| JOURNEY_BIND | 127.0.0.1:8000 | address(es) to listen on, comma-separated (unix:PATH, fd://N too) |
| WEB_CONCURRENCY | 2 x cores + 1, at most 8 | worker processes |
| JOURNEY_THREADS | 4 | threads per worker (gthread): requests mostly wait on the database |
| JOURNEY_TIMEOUT | 30 | seconds a silent worker lives before it is killed and replaced |
| JOURNEY_GRACEFUL_TIMEOUT | 30 | seconds in-flight requests get to finish on stop or reload |
| JOURNEY_MAX_REQUESTS | 2000 | a worker is replaced after about this many requests (0: never) |
| JOURNEY_ACCESS_LOG | - (stdout) | access log file; empty turns it off |
| JOURNEY_PRELOAD | 1 | load the app once in the master, then fork (0: each worker loads it) |

Each process holds up to JOURNEY_THREADS database connections (pool of 5 + 10 overflow), so web
workers x threads, plus the message workers and the scheduler, must stay under PostgreSQL's
max_connections (100 by default).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from gunicorn import glogging

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        # SystemExit, not an exception: gunicorn prints it as it is, without a traceback.
        raise SystemExit(f"journey: {name} must be a whole number >= {minimum}, not {raw!r}")
    return value


# --- where and how many ----------------------------------------------------------------------
wsgi_app = "wsgi:app"
pythonpath = str(ROOT)  # wsgi.py sits at the repository root, beside this directory
bind = [b.strip() for b in os.environ.get("JOURNEY_BIND", "127.0.0.1:8000").split(",") if b.strip()]
workers = _int("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8), 1)
worker_class = "gthread"
threads = _int("JOURNEY_THREADS", 4, 1)
proc_name = "journey-web"

# --- lifetimes ---------------------------------------------------------------------------------
timeout = _int("JOURNEY_TIMEOUT", 30, 1)
graceful_timeout = _int("JOURNEY_GRACEFUL_TIMEOUT", 30, 0)
keepalive = 5  # behind a proxy that reuses connections; longer than nothing, shorter than its own
# Replacing workers now and then bounds slow leaks; the jitter keeps them from restarting together.
max_requests = _int("JOURNEY_MAX_REQUESTS", 2000, 0)
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs, so a slow disk cannot stall it (gunicorn makes it with mkstemp:
# private and unique, hence the noqa).
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# The app is loaded once in the master: a bad setting fails there, once, before any fork, and a
# replaced worker starts at once. The app opens no connection while it is built; post_fork below
# still hands every worker a pool of its own, so none ever shares a socket with another.
preload_app = os.environ.get("JOURNEY_PRELOAD", "1").strip().lower() not in {"0", "false", "no", "off"}

# gunicorn 27's runtime control socket defaults to one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl),
# which two servers on one machine would share; journey does not use it.
control_socket_disable = True

# --- proxies -------------------------------------------------------------------------------------
# X-Forwarded-For and -Proto are believed in exactly one place: the app's ProxyFix, for the
# JOURNEY_TRUSTED_PROXIES hops in front of it (journey/__init__.py), which is what login throttling
# counts failures by. gunicorn must not apply them a second time, from any peer: with its
# defaults it would take X-Forwarded-Proto from 127.0.0.1 even when JOURNEY_TRUSTED_PROXIES is 0,
# and a proxy's SCRIPT_NAME/PATH_INFO headers too. So it trusts nobody for them.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""
JOURNEY_TRUSTED_PROXIES = _int("JOURNEY_TRUSTED_PROXIES", 0, 0)  # read here only to validate it

# --- logs: never a query string ------------------------------------------------------------------
# Query strings carry search terms (names, phone numbers: `?q=Sita Gurung`), and so do Referer
# headers of our own pages. The access line names the path only, with the request id that ties it
# to the app's own line (journey.core.requests); no user name, no referrer.
accesslog = os.environ.get("JOURNEY_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("JOURNEY_GUNICORN_LOG_LEVEL", "info")
access_log_format = ('%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms '
                     'rid=%({x-request-id}o)s "%(a)s"')

_QUERY = re.compile(r"\?\S*")


def _no_query(value):
    return _QUERY.sub("", value) if isinstance(value, str) else value


class Logger(glogging.Logger):
    """gunicorn's logger, with query strings taken out of every atom (should the format above be
    changed to the usual `%(r)s`, or name the Referer) and out of "Error handling request URI"."""

    def atoms(self, resp, req, environ, request_time):
        atoms = {k: _no_query(v) for k, v in super().atoms(resp, req, environ, request_time).items()}
        atoms["r"] = f"{atoms['m']} {atoms['U']} {atoms['H']}"
        atoms["q"] = atoms["{query_string}e"] = "-"
        return atoms

    def exception(self, msg, *args, **kwargs):
        super().exception(msg, *map(_no_query, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(msg, *map(_no_query, args), **kwargs)


logger_class = Logger


# --- hooks ---------------------------------------------------------------------------------------
def _engines(app):
    """The database engines of a loaded journey app (none if the app is not loaded yet)."""
    state = getattr(app, "extensions", {}).get("journey_db")
    return [state.engine] if state is not None else []


def post_fork(server, worker):
    """Give the new worker its own connection pool (SQLAlchemy, "Using Connection Pools with
    Multiprocessing or os.fork()"): connections the master may hold stay the master's, and
    close=False leaves them open for it instead of closing them under it."""
    app = getattr(server.app, "callable", None)
    for engine in _engines(app):
        engine.dispose(close=False)


def on_starting(server):
    server.log.info("journey: %d worker(s) x %d thread(s) on %s, preload %s, %s",
                    workers, threads, ", ".join(bind), "on" if preload_app else "off",
                    sys.version.split()[0])
