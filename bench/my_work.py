"""My work benchmark: GET /work and GET /api/v1/my-work with a realistic caseload, against a bare
endpoint (GET /healthz), through the app's test client.

    python bench/my_work.py                      # SQLite, 2,000 participants in the office
    python bench/my_work.py --people 5000 --assigned 400 --calls 20
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/my_work.py

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end): --people participants in the measured office, of
whom --assigned are the bench caseworker's, the rest spread over nine colleagues and a tenth
unassigned; half as many again in three other offices. Each has --items checklist items (due
from 60 days ago to 60 days ahead, in every status), 40% a permit (expiring from 30 days ago to
400 days ahead), 5% a reply from the migrant, three outbox messages (some failed or skipped).
Loaded with Core INSERTs.

Measured, each the median of --runs runs of --calls requests, alternating with the baseline:
the caseworker's page and API answer, and the supervisor's page (the whole office, by
caseworker). The SQL statements per request are counted too: they must not grow with the
caseload (a supervisor's page reads ten times the caseworker's participants in as many).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
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
    stopwatch,
    table,
    targets,
)

ITEM_STATUSES = ["pending"] * 10 + ["done"] * 6 + ["in_progress"] * 2 + ["not_applicable", "blocked"]
PERMIT_STATUSES = ["granted", "issued", "applied"]
NO_LOGIN = "!"  # not an argon2 hash: no password verifies against it (requests use sessions)
MESSAGE_STATUSES = ["delivered"] * 8 + ["failed", "skipped"]


def load(engine: sa.Engine, seed, people: int, assigned: int, items: int) -> dict[str, int]:
    """The caseload; returns the user ids the requests are made as."""
    from datetime import date

    from journey.core.db import utcnow

    rng = random.Random(13)
    now = utcnow()
    today = now.date()
    office = seed.office_ids[0]
    t_u, t_p = table("users"), table("participants")
    with engine.begin() as conn:
        def user(name: str, role: str) -> int:
            return conn.execute(t_u.insert().values(
                username=name, full_name=name.title(), role=role, office_id=office, language="en",
                password_hash=NO_LOGIN, is_active=True, created_at=now)).inserted_primary_key[0]

        supervisor = user("benchsup", "supervisor")
        colleagues = [user(f"benchcolleague{i}", "caseworker") for i in range(9)]
        me = seed.caseworker_ids[office]
        rows = []
        others = people // 2
        for i in range(people + others):
            if i < people:
                office_id = office
                cw = (me if i < assigned else
                      None if i % 10 == 0 else colleagues[i % len(colleagues)])
            else:
                office_id = seed.office_ids[1 + i % (len(seed.office_ids) - 1)]
                cw = seed.caseworker_ids[office_id]
            rows.append(dict(
                reference=f"W{i:08d}", office_id=office_id, programme_id=seed.programme_id,
                stage="training", stage_entered_at=now, cycle=1, caseworker_id=cw,
                given_name=f"Given{i}", family_name="Family", name_key=f"family given{i}",
                search_text=f"given{i}", date_of_birth=date(1990, 1, 1), sex="female",
                nationality="NP", origin_country="NP", destination_country="PT",
                phone=f"+97798{i:08d}", language="ne", timezone="Asia/Kathmandu",
                channels=["sms"], disability="no", created_at=now, updated_at=now, version=1))
        conn.execute(t_p.insert(), rows)
        ids = list(conn.scalars(sa.select(t_p.c.id).order_by(t_p.c.id)))
        checklist, permits, inbound, outbox = [], [], [], []
        for pid in ids:
            for k in range(items):
                status = rng.choice(ITEM_STATUSES)
                checklist.append(dict(
                    participant_id=pid, stage="training", cycle=1, key=f"k{k}", title=f"Task {k}",
                    required=True, status=status,
                    due_date=today + timedelta(days=rng.randint(-60, 60)),
                    completed_at=now if status == "done" else None, updated_at=now, version=1))
            if rng.random() < 0.4:
                permits.append(dict(
                    participant_id=pid, type="work_permit", issuing_country="PT",
                    status=rng.choice(PERMIT_STATUSES), employer_tied=False,
                    expires_on=today + timedelta(days=rng.randint(-30, 400)),
                    created_at=now, updated_at=now, version=1))
            if rng.random() < 0.05:
                inbound.append(dict(sender=f"+97798{pid:08d}", participant_id=pid,
                                    body="I have not received my contract yet, please call.",
                                    needs_attention=rng.random() < 0.6, received_at=now))
            for _ in range(3):
                status = rng.choice(MESSAGE_STATUSES)
                outbox.append(dict(
                    participant_id=pid, channel="sms", template="appointment_reminder",
                    language="ne", recipient="+9779800000000", timezone="Asia/Kathmandu",
                    body="Reminder: orientation on 1 Dec at the Kathmandu centre.", urgent=False,
                    status=status, skip_reason="no_consent" if status == "skipped" else None,
                    last_error_code="30003" if status == "failed" else None,
                    not_before=now, attempts=1, created_at=now, updated_at=now))
        conn.execute(table("checklist_items").insert(), checklist)
        if permits:
            conn.execute(table("permits").insert(), permits)
        if inbound:
            conn.execute(table("inbound_messages").insert(), inbound)
        conn.execute(table("outbox_messages").insert(), outbox)
    return {"caseworker": me, "supervisor": supervisor}


def credentials(app, user_id: int) -> tuple[str, str]:
    """An API token and a browser session's secret for the user."""
    from journey.core.auth import User, issue_token, start_session
    from journey.core.db import db

    with app.app_context(), db.job_session() as sess:
        user = sess.get(User, user_id)
        _token, token = issue_token(sess, user, "bench", 1)
        _row, secret = start_session(sess, user)
    return token, secret


def per_call(client, path: str, calls: int, headers: dict[str, str] | None = None) -> float:
    """The median time of one request, in ms."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        resp = client.get(path, headers=headers or {})
        times.append(time.perf_counter() - start)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: {resp.status_code}")
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=sized(2_000, 60),
                        help="participants in the measured office")
    parser.add_argument("--assigned", type=int, default=sized(200, 12),
                        help="of them, the bench caseworker's")
    parser.add_argument("--items", type=int, default=sized(8, 3), help="checklist items each")
    parser.add_argument("--calls", type=int, default=sized(15, 2), help="requests per run")
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    args = parser.parse_args()

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("my_work")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine)
            with stopwatch() as loading:
                users = load(engine, seed, args.people, args.assigned, args.items)
            heading(f"My work on {dbs.backend}: {args.people} participants in the office "
                    f"({args.assigned} assigned), {args.people // 2} elsewhere")
            line("loaded in", f"{loading():.1f} s")
            counter = StatementCounter(engine)
            results, selects_of = [], {}
            for who, path in (("caseworker", "/work"), ("caseworker", "/api/v1/my-work"),
                              ("supervisor", "/work")):
                token, secret = credentials(app, users[who])
                client = app.test_client()
                with client.session_transaction() as s:
                    s["sid"] = secret
                headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api") else {}
                per_call(client, path, 1, headers)  # warm-up (templates, statement caches)
                counter.reset()
                per_call(client, path, 1, headers)
                counts = counter.reset()
                selects = sum(n for k, n in counts.items() if k.startswith("SELECT"))
                heading(f"{who}: GET {path}")
                line("statements per request", StatementCounter.per(counts, 1))
                result = alternate(lambda _i, c=client: per_call(c, "/healthz", args.calls),
                                   lambda _i, c=client, p=path, h=headers: per_call(
                                       c, p, args.calls, h), args.runs)
                result.show("baseline GET /healthz", f"GET {path}", lambda v: f"{v:7.2f} ms")
                results.append((f"{who} {path} under 150 ms", result.service_median < 150,
                                f"{result.service_median:.1f} ms"))
                results.append((f"{who} {path} SELECTs <= 15", selects <= 15, f"{selects}"))
                selects_of.setdefault(path, {})[who] = selects
            same = selects_of["/work"]["caseworker"] == selects_of["/work"]["supervisor"]
            note(f"/work: {selects_of['/work']['caseworker']} SELECTs for the caseworker's "
                 f"{args.assigned} participants, {selects_of['/work']['supervisor']} for the "
                 f"supervisor's {args.people}")
            results.append(("as many SELECTs for 10x the participants", same,
                            f"{selects_of['/work']}"))
            return targets(results, 40)
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
