"""Record page benchmark: GET /participants/<id>, the staff page of one participant with 100
timeline entries, against a bare endpoint (GET /healthz). Target: under 150 ms (issue #13).

    python bench/record_page.py                  # SQLite, 100 entries, median of 3
    python bench/record_page.py --entries 300 --calls 30
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/record_page.py

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end): a participant registered through the service (so
with the intake checklist and the welcome message), then filled up to --entries timeline entries
(journey.core.timeline.entries counts them): outbox messages in every status (messaging's
timeline provider lists them), replies from the migrant, and checklist updates recorded through
continuum; a permit too. The page is requested by the office's caseworker through the test
client with a browser session cookie, so every section the domains declare at the time renders:
the bench needs no change when a section is added.

Each run is the median of --calls requests; baseline and page alternate, median of --runs runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

from _common import (  # noqa: E402
    Databases,
    StatementCounter,
    Workspace,
    alternate,
    heading,
    line,
    seed_reference_data,
    sized,
    targets,
)

TARGET_MS = 150
STATUSES = ("delivered", "sent", "failed", "skipped", "undelivered", "queued")


def make_participant(app, caseworker_id: int, entries: int) -> tuple[int, int, str]:
    """The participant with ``entries`` timeline entries; (id, entries, session secret)."""
    from journey.continuum.intake import register_participant
    from journey.continuum.models import EventKind, Permit
    from journey.continuum.services import record_event
    from journey.core import timeline
    from journey.core.auth import User, start_session
    from journey.core.db import db, utcnow
    from notifications.models import InboundMessage, OutboxMessage

    with app.app_context(), db.job_session() as sess:
        cw = sess.get(User, caseworker_id)
        p = register_participant(sess, cw, {
            "given_name": "Lucía", "family_name": "Gurung", "date_of_birth": date(1996, 5, 17),
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "destination_country": "PT", "phone": "+9779812345678", "language": "ne",
            "timezone": "Asia/Kathmandu", "channels": ["sms"]})
        now = utcnow()
        sess.add(Permit(participant_id=p.id, type="work_permit", issuing_country="PT",
                        status="granted", expires_on=now.date() + timedelta(days=25),
                        created_at=now, updated_at=now))
        have = len(timeline.entries(sess, p))
        missing = max(0, entries - have)
        for i in range(missing):
            at = now - timedelta(hours=missing - i)
            if i % 3 == 0:
                status = STATUSES[i % len(STATUSES)]
                sess.add(OutboxMessage(
                    participant_id=p.id, channel="sms", template="appointment_reminder",
                    language="ne", recipient="+9779812345678", timezone="Asia/Kathmandu",
                    body="Reminder: orientation on 1 Dec at the Kathmandu centre.", status=status,
                    skip_reason="no_consent" if status == "skipped" else None,
                    last_error_code="30003" if status == "failed" else None,
                    not_before=at, created_at=at, updated_at=at, segments=1))
            elif i % 3 == 1 and i % 9 == 1:
                sess.add(InboundMessage(sender="+9779812345678", participant_id=p.id,
                                        body="I have not received my contract yet, please call.",
                                        needs_attention=True, received_at=at))
                record_event(sess, p, EventKind.CHECKLIST_UPDATED, actor_id=cw.id, at=at,
                             item_id=None, key="contract_signed", from_status="pending",
                             to_status="in_progress")
            else:
                record_event(sess, p, EventKind.CHECKLIST_UPDATED, actor_id=cw.id, at=at,
                             item_id=None, key="documents_collected", from_status="pending",
                             to_status="done")
        sess.flush()
        count = len(timeline.entries(sess, p))
        _row, secret = start_session(sess, cw)
        return p.id, count, secret


def per_call(client, path: str, calls: int) -> float:
    """The median time of one request, in ms."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        resp = client.get(path)
        times.append(time.perf_counter() - start)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: {resp.status_code}")
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=sized(100, 100),
                        help="timeline entries of the participant")
    parser.add_argument("--calls", type=int, default=sized(20, 2), help="requests per run")
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    args = parser.parse_args()

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            app = ws.app(dbs.fresh("record_page"))
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine, offices=1)
            pid, count, secret = make_participant(
                app, seed.caseworker_ids[seed.office_ids[0]], args.entries)
            client = app.test_client()
            with client.session_transaction() as s:
                s["sid"] = secret
            path = f"/participants/{pid}"
            heading(f"Record page on {dbs.backend}: GET {path}, {count} timeline entries")
            per_call(client, path, 1)  # warm-up (templates, statement caches)
            counter = StatementCounter(engine)
            page = client.get(path)
            line("page size", f"{len(page.data) / 1024:.1f} KB")
            line("statements per request", StatementCounter.per(counter.reset(), 1))
            result = alternate(lambda _i: per_call(client, "/healthz", args.calls),
                               lambda _i: per_call(client, path, args.calls), args.runs)
            result.show("baseline GET /healthz", "GET /participants/<id>",
                        lambda v: f"{v:7.2f} ms")
            return targets([(f"record page of {count} entries under {TARGET_MS} ms",
                             result.service_median < TARGET_MS,
                             f"{result.service_median:.1f} ms")], 44)
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
