"""Notifications benchmark: enqueueing a large campaign, and dispatch throughput.

    python bench/messages.py                      # 100,000 recipients; 2,000 messages sent
    python bench/messages.py --recipients 20000   # quicker

* Campaign enqueue: --recipients participants (bulk-loaded with Core, with consent, spread over
  six languages) get one campaign through the same code as POST /api/v1/campaigns: select the
  cohort, check consent and opt-outs, render in each participant's language, count segments and
  cost, write the outbox. Target: under 60 s on SQLite. BASELINE: a raw executemany INSERT of the
  same number of outbox rows with a fixed text, in the same run.
* Dispatch: --messages queued SMS sent through the real twilio client to the fake Twilio API
  (tests/fakes/twilio.py, its own process on 127.0.0.1) by 1 and then 4 worker processes, each
  running journey's Dispatcher. Reports messages per second and the scaling from 1 to 4. Uses
  SQLite unless --postgres URL is given (several workers are PostgreSQL's job; SQLite has one
  writer at a time).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    ROOT,
    Workspace,
    heading,
    line,
    note,
    seed_reference_data,
    stopwatch,
    table,
    verdict,
)

LANGS = ["ne", "hi", "bn", "en", "ar", "fr"]
TEMPLATE = "appointment_reminder"
PARAMS = {"what": "Orientation", "place": "Kathmandu MRC", "date": date(2026, 12, 1)}


def load_recipients(engine: sa.Engine, seed, n: int) -> None:
    from journey.core.db import utcnow

    now = utcnow()
    t_p, t_c = table("participants"), table("consent_records")
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(t_p.insert(), [dict(
                reference=f"C{i:08d}", office_id=seed.office_ids[i % len(seed.office_ids)],
                programme_id=seed.programme_id, stage="training", stage_entered_at=now, cycle=1,
                given_name=f"Given{i}", family_name="Family", name_key=f"family given{i}",
                search_text=f"given{i}", date_of_birth=date(1990, 1, 1), sex="female",
                nationality="NP", origin_country="NP", destination_country="PT",
                phone=f"+97798{i:08d}", language=LANGS[i % len(LANGS)],
                timezone="Asia/Kathmandu", channels=["sms"], disability="no", created_at=now,
                updated_at=now, version=1) for i in range(start, min(n, start + 10_000))])
        ids = conn.scalars(sa.select(t_p.c.id)).all()
        for start in range(0, len(ids), 10_000):
            conn.execute(t_c.insert(), [dict(participant_id=pid, purpose="updates", method="sms",
                                             recorded_at=now) for pid in ids[start:start + 10_000]])


def campaign(ws: Workspace, url: str, seed) -> tuple[float, int]:
    from journey.core.auth import User
    from journey.core.db import db
    from journey.messaging.services import _plan
    from notifications.outbox import write_rows

    app = ws.app(url)
    with app.test_request_context():
        sess = db.session
        admin = sess.get(User, seed.admin_id)
        with stopwatch() as elapsed:
            _people, rows, _skipped = _plan(sess, admin, {"template": TEMPLATE, "params": PARAMS,
                                                          "filter": {}}, campaign_id=None)
            written = write_rows(sess, rows)
            sess.commit()
        return elapsed(), written


def raw_insert(ws: Workspace, url: str, n: int) -> float:
    from journey.core.db import utcnow

    engine = ws.engine(url)
    t = table("outbox_messages")
    now = utcnow()
    rows = [dict(participant_id=None, channel="sms", template=TEMPLATE, language="en",
                 recipient=f"+97798{i:08d}", timezone="Asia/Kathmandu",
                 body="Reminder: Orientation on 1 Dec at Kathmandu MRC. Reply HELP.", urgent=False,
                 status="queued", not_before=now, attempts=0, created_at=now, updated_at=now,
                 segments=1, encoding="GSM-7") for i in range(n)]
    with stopwatch() as elapsed, engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(t.insert(), rows[start:start + 5000])
    return elapsed()


# --- dispatch ------------------------------------------------------------------------------------

def _worker(url: str, instance: str, fake_base: str, sid: str, token: str, wid: str,
            out: mp.Queue) -> None:
    os.environ["JOURNEY_ENV"] = "testing"
    os.environ["JOURNEY_INSTANCE_PATH"] = instance
    from journey import create_app
    from notifications.dispatcher import Dispatcher
    from notifications.email import FileEmailSender
    from notifications.sms import TwilioSmsSender

    app = create_app({"DATABASE_URL": url, "SMS_RATE_PER_SECOND": 0, "QUIET_HOURS": "00:00-00:00",
                      "LOG_LEVEL": "WARNING", "LOG_TRACEBACKS": False})
    sms = TwilioSmsSender(sid, token, messaging_service_sid="MG" + "0" * 32,
                          status_callback_base="https://journey.example.org", api_base=fake_base)
    d = Dispatcher(app, sms, FileEmailSender(Path(instance) / "mail"), worker_id=wid, batch=20)
    handled = 0
    while n := d.run_once():
        handled += n
    out.put((wid, handled))


def dispatch(url: str, instance: Path, n: int, workers: int, fake) -> tuple[float, dict]:
    from journey.core.db import make_engine, utcnow

    engine = make_engine(url)
    t = table("outbox_messages")
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(t.delete())
        for start in range(0, n, 5000):
            conn.execute(t.insert(), [dict(
                participant_id=None, channel="sms", template=TEMPLATE, language="en",
                recipient=f"+97798{i:08d}", timezone="UTC", body="Reminder: orientation tomorrow.",
                urgent=False, status="queued", not_before=now, attempts=0, created_at=now,
                updated_at=now) for i in range(start, min(n, start + 5000))])
    engine.dispose()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, str(instance), fake["base"], fake["sid"],
                                               fake["token"], f"w{i}", out))
             for i in range(workers)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    return elapsed, dict(out.get() for _ in procs)


FAKE_SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from tests.fakes.twilio import FakeTwilio
fake = FakeTwilio().start()
print(fake.base_url, fake.account_sid, fake.auth_token, flush=True)
sys.stdin.read()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL URL for the dispatch part")
    args = parser.parse_args()

    with Workspace() as ws:
        heading(f"campaign enqueue: {args.recipients:,} recipients in {len(LANGS)} languages")
        urls = {side: ws.fresh_database(side) for side in ("service", "baseline")}
        seed = seed_reference_data(ws.engine(urls["service"]))
        seed_reference_data(ws.engine(urls["baseline"]))
        load_recipients(ws.engine(urls["service"]), seed, args.recipients)
        base = raw_insert(ws, urls["baseline"], args.recipients)
        took, written = campaign(ws, urls["service"], seed)
        line("raw INSERT baseline", f"{base:.2f} s  ({args.recipients / base:,.0f} rows/s)")
        line("campaign (render, segments, outbox)", f"{took:.2f} s  ({written / took:,.0f} "
             f"messages/s)  [target < 60 s: {verdict(took < 60)}]")
        line("campaign / baseline", f"{took / base:.1f}x")

        heading(f"dispatch: {args.messages:,} SMS to the fake Twilio API, 1 and 4 workers")
        # Our own interpreter running our own fixed script: no untrusted input.
        server = subprocess.Popen([sys.executable, "-c", FAKE_SERVER.format(root=str(ROOT))],  # noqa: S603
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            base_url, sid, token = server.stdout.readline().split()
            fake = {"base": base_url, "sid": sid, "token": token}
            url = args.postgres or ws.fresh_database("dispatch")
            if args.postgres:
                from alembic import command

                from journey.cli import alembic_config

                command.upgrade(alembic_config(url), "head")
            rates = {}
            for workers in (1, 4):
                elapsed, handled = dispatch(url, ws.instance, args.messages, workers, fake)
                rates[workers] = args.messages / elapsed
                line(f"{workers} worker{'s' if workers > 1 else ''}",
                     f"{rates[workers]:,.0f} messages/s  ({elapsed:.1f} s; per worker {handled})")
            line("scaling 1 → 4 workers", f"{rates[4] / rates[1]:.2f}x")
            note("database: " + ("PostgreSQL" if args.postgres else "SQLite (one writer at a "
                                 "time; run with --postgres for the multi-worker case)"))
            note("times include starting each worker process (app start-up, about 1 s)")
        finally:
            server.stdin.close()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
