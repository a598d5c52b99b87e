"""The employer's candidate list: a vacancy with 5,000 presented candidates, a page at a time,
through journey.employers.candidates.list_candidates as the employer's user, against the bare
SQL select of the same page.

    python bench/employer_candidates.py                 # SQLite, 5,000 candidates
    python bench/employer_candidates.py --candidates 20000 --calls 200
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/employer_candidates.py

On a fresh migrated database: a verified employer with one user and an open vacancy;
--candidates participants (spread over the bench offices) presented to it, each with an
occupation, three skills and two languages in their passport; as many again presented to another
employer's vacancy (which the list must not read). Loaded with Core INSERTs.

Measured, --runs runs alternating with the baseline, each of --calls pages of --limit at random
places (keyset: ?after=), the same pages on both sides:
* baseline: the bare SELECT of the page (candidacy, state, the name), no ORM, no audit;
* service: list_candidates as the employer's user: its scope, the disclosure service's summaries
  (names and skills, two queries), and the audit event, written at the commit that is timed.
Printed: p50 and p95 per call (median of the runs) and the ratio of the p50s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
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
    percentile,
    seed_reference_data,
    sized,
    stopwatch,
    table,
    targets,
)

NO_LOGIN = "!"


def load(engine: sa.Engine, seed, candidates: int) -> dict[str, int]:
    """The employers, their vacancies and the candidates; returns the ids the bench uses."""
    from datetime import date

    from journey.core.db import utcnow

    now = utcnow()
    t = table
    with engine.begin() as conn:
        employers = [conn.execute(t("employers").insert().values(
            name=f"Bench employer {k}", name_key=f"bench employer {k}", country="PT",
            verification="verified", verified_at=now, created_at=now)).inserted_primary_key[0]
            for k in range(2)]
        user = conn.execute(t("users").insert().values(
            username="benchemployer", full_name="Bench Employer", role="employer",
            employer_id=employers[0], language="en", password_hash=NO_LOGIN, is_active=True,
            created_at=now)).inserted_primary_key[0]
        vacancies = [conn.execute(t("vacancies").insert().values(
            employer_id=e, programme_id=seed.programme_id, title="Cook", place="Lisbon",
            positions=50, required_skills=[], optional_skills=[], languages=[], certificates=[],
            status="open", created_at=now, published_at=now, updated_at=now,
            version=1)).inserted_primary_key[0] for e in employers]
        people = []
        for i in range(2 * candidates):
            people.append(dict(
                reference=f"E{i:08d}", office_id=seed.office_ids[i % len(seed.office_ids)],
                programme_id=seed.programme_id, stage="training", stage_entered_at=now, cycle=1,
                given_name=f"Given{i}", family_name="Family", name_key=f"family given{i}",
                search_text=f"given{i}", date_of_birth=date(1990, 1, 1), sex="female",
                gender_identity=None, nationality="NP", origin_country="NP",
                destination_country="PT", phone=f"+97798{i:08d}", language="ne",
                timezone="Asia/Kathmandu", channels=["sms"], disability="no", created_at=now,
                updated_at=now, version=1))
        conn.execute(t("participants").insert(), people)
        ids = list(conn.scalars(sa.select(t("participants").c.id).order_by("id")))
        entries, candidacies, links = [], [], []
        for n, pid in enumerate(ids):
            base = dict(participant_id=pid, acquired_abroad=False, verification="self_declared",
                        details={}, created_at=now, updated_at=now, version=1, isco_code=None,
                        language=None)
            entries.append({**base, "kind": "occupation", "title": "Cook"})
            entries += [{**base, "kind": "skill", "title": f"Skill {k}"} for k in range(3)]
            entries += [{**base, "kind": "language", "title": lang, "language": lang}
                        for lang in ("ne", "en")]
            employer = n % 2  # interleaved, so the other employer's rows sit between ours
            candidacies.append(dict(vacancy_id=vacancies[employer], participant_id=pid,
                                    employer_id=employers[employer], state="presented",
                                    presented_at=now, updated_at=now, version=1))
            # Presenting links the person to the employer (journey.core.links); the employer
            # sees a candidacy only while that link is open.
            links.append(dict(participant_id=pid, kind="employer", employer_id=employers[employer],
                              service_provider_id=None, reason="presented", created_at=now))
        for start in range(0, len(entries), 20_000):
            conn.execute(t("passport_entries").insert(), entries[start:start + 20_000])
        conn.execute(t("candidacies").insert(), candidacies)
        conn.execute(t("participant_links").insert(), links)
        mine = list(conn.scalars(sa.select(t("candidacies").c.id).where(
            t("candidacies").c.vacancy_id == vacancies[0]).order_by("id")))
    return {"user": user, "vacancy": vacancies[0], "employer": employers[0], "ids": mine}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=sized(5_000, 120),
                        help="candidates presented to the measured vacancy")
    parser.add_argument("--limit", type=int, default=50, help="candidates per page")
    parser.add_argument("--calls", type=int, default=sized(100, 4), help="pages per run")
    parser.add_argument("--runs", type=int, default=sized(3, 1))
    args = parser.parse_args()

    from journey.core.auth import User
    from journey.core.db import db
    from journey.employers.candidates import list_candidates

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("employer_candidates")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine)
            with stopwatch() as loading:
                ids = load(engine, seed, args.candidates)
                with engine.begin() as conn:  # fresh statistics, as autovacuum or ANALYZE keep
                    conn.exec_driver_sql("ANALYZE")
            heading(f"Employer candidate list on {dbs.backend}: {args.candidates} candidates, "
                    f"pages of {args.limit}")
            line("loaded in", f"{loading():.1f} s")
            rng = random.Random(7)
            pages = [[None] + [rng.choice(ids["ids"][:-args.limit] or ids["ids"])
                               for _ in range(args.calls - 1)] for _ in range(args.runs)]
            c, p, lk = table("candidacies"), table("participants"), table("participant_links")
            bare = (sa.select(c.c.id, c.c.participant_id, c.c.state, c.c.presented_at,
                              p.c.given_name, p.c.family_name)
                    .join(p, p.c.id == c.c.participant_id)
                    .where(c.c.vacancy_id == sa.bindparam("vid"),
                           c.c.employer_id == sa.bindparam("eid"),
                           c.c.state != "withdrawn",
                           c.c.participant_id.in_(sa.select(lk.c.participant_id).where(
                               lk.c.kind == "employer", lk.c.employer_id == sa.bindparam("eid"),
                               lk.c.ended_at.is_(None))),
                           c.c.id > sa.bindparam("after"))
                    .order_by(c.c.id).limit(args.limit))
            p95 = {"B": [], "S": []}

            def baseline(i: int) -> float:
                times = []
                with engine.connect() as conn:
                    for after in pages[i]:
                        start = time.perf_counter()
                        rows = conn.execute(bare, {"vid": ids["vacancy"], "eid": ids["employer"],
                                                   "after": after or 0}).all()
                        times.append(time.perf_counter() - start)
                        assert len(rows) == args.limit
                p95["B"].append(percentile(times, 95) * 1000)
                return statistics.median(times) * 1000

            def service(i: int) -> float:
                times = []
                for after in pages[i]:
                    with app.test_request_context():
                        sess = db.session
                        user = sess.get(User, ids["user"])
                        start = time.perf_counter()
                        items = list_candidates(sess, user, ids["vacancy"], after_id=after,
                                                limit=args.limit)
                        sess.commit()  # the audit event is written (and sealed) at commit
                        times.append(time.perf_counter() - start)
                        assert len(items) == args.limit and items[0]["skills"]["skills"]
                p95["S"].append(percentile(times, 95) * 1000)
                return statistics.median(times) * 1000

            service(0)  # warm-up: statement caches, mappers
            p95["S"].clear()
            counter = StatementCounter(engine)
            with app.test_request_context():
                sess = db.session
                user = sess.get(User, ids["user"])
                counter.reset()
                list_candidates(sess, user, ids["vacancy"], limit=args.limit)
                sess.commit()
                counts = counter.reset()
            line("statements per page", StatementCounter.per(counts, 1))
            result = alternate(baseline, service, args.runs)
            result.show("baseline bare SELECT p50", "list_candidates p50",
                        lambda v: f"{v:7.2f} ms")
            line("baseline bare SELECT p95", f"{statistics.median(p95['B']):7.2f} ms  "
                 f"(median of {len(p95['B'])})")
            line("list_candidates p95", f"{statistics.median(p95['S']):7.2f} ms  "
                 f"(median of {len(p95['S'])})")
            note("The service adds the employer's scope, the disclosure summaries (names, "
                 "occupations, skills, languages: one more query) and the audit event.")
            p95_service = statistics.median(p95["S"])
            return targets([("p95 of a page under 50 ms", p95_service < 50,
                             f"{p95_service:.1f} ms")], 30)
        finally:
            dbs.close()


if __name__ == "__main__":
    sys.exit(main())
