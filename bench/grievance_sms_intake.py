"""Grievance intake by SMS (issue #14): requests per second of complaints through the signed
Twilio inbound webhook, against the same webhook answering the HELP keyword.

    python bench/grievance_sms_intake.py                  # SQLite, 300 requests a run, median of 3
    python bench/grievance_sms_intake.py --requests 1000 --runs 5
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/grievance_sms_intake.py

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end), --participants participants registered through
the service (Nepali, each with a phone). Half the messages come from their numbers, half from
numbers nobody knows. Each request is POST /webhooks/twilio/inbound through the test client,
the whole stack: the signature check, the retry check, resolving the sender (a blind-index
lookup), the keyword router, storing the inbound text (encrypted), the handler, the commit.

* SERVICE: "उजुरी <text>" from a participant and "شكوى <text>" from a stranger: a grievance opened
  (business-day deadlines from the office calendar, the description encrypted, the tracking
  code hashed, an entry, the audit events, the participant's timeline) and the receipt rendered
  as the reply.
* BASELINE: "HELP" from the same numbers: the same webhook with a reply and nothing else.

Each message has its own MessageSid, signed before the clock starts (Twilio signs, not us).
Baseline and service alternate (B S, S B, B S); every figure is the median of --runs runs.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

from _common import (  # noqa: E402
    Databases,
    StatementCounter,
    Workspace,
    alternate,
    heading,
    line,
    note,
    seed_reference_data,
    sized,
)

TOKEN = "bench-auth-token"  # noqa: S105 (the fake Twilio account of this bench only)
BASE = "https://bench.example.org"
PATH = "/webhooks/twilio/inbound"
TEXT = "मेरो रोजगारदाताले तीन महिनादेखि तलब दिएको छैन र मेरो राहदानी राखेको छ"
TEXT_AR = "لم أستلم راتبي منذ ثلاثة أشهر وصاحب العمل أخذ جواز سفري"


def make_participants(app, caseworker_id: int, count: int) -> list[str]:
    """``count`` participants registered through the service; their phone numbers."""
    from journey.continuum.intake import register_participant
    from journey.core.auth import User
    from journey.core.db import db

    phones = []
    with app.app_context(), db.job_session() as sess:
        cw = sess.get(User, caseworker_id)
        for i in range(count):
            phone = f"+97798{50000000 + i:08d}"
            register_participant(sess, cw, {
                "given_name": f"Sita{i}", "family_name": "Gurung",
                "date_of_birth": date(1995, 1, 1 + i % 28), "sex": "female",
                "nationality": "NP", "origin_country": "NP", "destination_country": "PT",
                "phone": phone, "language": "ne", "timezone": "Asia/Kathmandu",
                "channels": ["sms"]})
            phones.append(phone)
    return phones


def signed_requests(phones: list[str], n: int, complaint: bool) -> list[tuple[dict, dict]]:
    """n inbound messages, half from known numbers and half from strangers, each signed."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    out = []
    for i in range(n):
        known = i % 2 == 0
        sender = phones[i // 2 % len(phones)] if known else f"+96279{1000000 + i:07d}"
        body = ("HELP" if not complaint else f"उजुरी {TEXT} ({i})" if known
                else f"شكوى {TEXT_AR} ({i})")
        sid = "SM" + uuid.uuid4().hex
        form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "0" * 32,
                "From": sender, "To": "+15005550006", "Body": body, "NumMedia": "0"}
        out.append((form, {"X-Twilio-Signature": validator.compute_signature(BASE + PATH, form)}))
    return out


def rate(client, requests: list[tuple[dict, dict]], expect: str) -> float:
    """Requests per second over the whole list; every answer checked."""
    start = time.perf_counter()
    for form, headers in requests:
        resp = client.post(PATH, data=form, headers=headers)
        if resp.status_code != 200 or expect not in resp.get_data(as_text=True):
            raise SystemExit(f"unexpected answer {resp.status_code}: {resp.get_data(as_text=True)}")
    return len(requests) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=sized(300, 6), help="requests per run")
    parser.add_argument("--participants", type=int, default=sized(50, 3))
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    args = parser.parse_args()

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("grievance_sms")
            app = ws.app(url, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=BASE,
                         GRIEVANCE_DEFAULT_OFFICE="BO1")
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine, offices=1)
            phones = make_participants(app, seed.caseworker_ids[seed.office_ids[0]],
                                       args.participants)
            client = app.test_client()
            heading(f"Grievance intake by SMS on {dbs.backend}: POST {PATH}, "
                    f"{args.requests} requests a run, half from {len(phones)} participants")
            # Warm-up (templates, translations, statement caches), then one request of each
            # side counted.
            rate(client, signed_requests(phones, 2, False), "<Message>")
            rate(client, signed_requests(phones, 2, True), "<Message>")
            counter = StatementCounter(engine)
            rate(client, signed_requests(phones, 2, False), "<Message>")
            line("statements per HELP request", StatementCounter.per(counter.reset(), 2))
            rate(client, signed_requests(phones, 2, True), "<Message>")
            line("statements per complaint", StatementCounter.per(counter.reset(), 2))
            batches = {(side, i): signed_requests(phones, args.requests, side == "S")
                       for i in range(args.runs) for side in "BS"}
            result = alternate(lambda i: rate(client, batches["B", i], "<Message>"),
                               lambda i: rate(client, batches["S", i], "<Message>"), args.runs)
            result.show("baseline HELP keyword", "complaint (grievance opened)",
                        lambda v: f"{v:8.1f} req/s")
            line("ms per request (median run)",
                 f"HELP {1000 / result.baseline_median:.2f} ms, "
                 f"complaint {1000 / result.service_median:.2f} ms")
            with engine.connect() as conn:
                import sqlalchemy as sa

                opened = conn.scalar(sa.text("SELECT count(*) FROM grievances"))
            line("grievances opened", str(opened))
            note("ratio < 1: a complaint costs that share of a HELP request's throughput")
            return 0
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
