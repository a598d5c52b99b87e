"""Continuum benchmark: transitions through the service, and rendering a long timeline.

    python bench/continuum.py              # 100,000 participants, 3,000 transitions, 3 runs a side
    python bench/continuum.py --moves 900  # a quicker run
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/continuum.py

On fresh migrated databases (SQLite files; or, when DATABASE_URL is a PostgreSQL URL, new databases
on that server, dropped at the end), one per side:

* Transitions: --population participants are bulk-loaded with Core (each with consent to case
  management and an intake checklist). Then --moves of them are pre-selected through
  ``apply_transition`` (which reads the guards and the checklist, compare-and-sets the version,
  audits, writes two journey events, opens the next stage's checklist and queues the stage's SMS
  in the participant's language), committing every 500, against a BASELINE doing the same SQL
  writes with plain Core (the UPDATE, the audit INSERT, two event INSERTs, the checklist INSERT,
  the outbox INSERT) on an identical database. The moves are split into --runs runs; the sides
  alternate run by run (B S, S B, ...) and the median rate of each is compared. Target: the
  service reaches at least one third of the baseline's throughput.
* Timeline: one participant with 200 journey events; the median time of
  ``GET /api/v1/participants/<id>/timeline`` through the Flask test client (token auth, the audit
  row, the service, JSON) against the service plus schema dump alone (the baseline), --repeats
  calls a run, alternating run by run, the median of the runs' medians. Target: under 20 ms.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Timings,
    Workspace,
    alternate,
    heading,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
    table,
    verdict,
)

POPULATION = 100_000
BATCH = 500
TIMELINE_EVENTS = 200
TODAY = date(2026, 11, 23)


def load_population(engine: sa.Engine, seed, n: int) -> None:
    """n participants at intake, with consent and the intake checklist, via Core executemany."""
    from journey.core.db import utcnow

    now = utcnow()
    t_p, t_c, t_i = table("participants"), table("consent_records"), table("checklist_items")
    offices = seed.office_ids
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                rows.append(dict(
                    reference=f"B{i:08d}", office_id=offices[i % len(offices)],
                    programme_id=seed.programme_id, stage="intake", stage_entered_at=now, cycle=1,
                    given_name=f"Given{i}", family_name=f"Family{i % 997}",
                    name_key=f"family{i % 997} given{i}", search_text=f"given{i} family{i % 997}",
                    date_of_birth=date(1980 + i % 25, 1 + i % 12, 1 + i % 28), sex="female",
                    nationality="NP", origin_country="NP", destination_country="PT",
                    phone=f"+97798{i:08d}", language="ne", timezone="Asia/Kathmandu",
                    channels=["sms"], disability="no", created_at=now, updated_at=now, version=1))
            conn.execute(t_p.insert(), rows)
        ids = [r for (r,) in conn.execute(sa.select(t_p.c.id).order_by(t_p.c.id))]
        for start in range(0, len(ids), 10_000):
            chunk = ids[start:start + 10_000]
            conn.execute(t_c.insert(), [dict(participant_id=pid, purpose="case_management",
                                             method="signed", recorded_at=now) for pid in chunk])
            conn.execute(t_i.insert(), [dict(participant_id=pid, stage="intake", cycle=1, key=key,
                                             title=key, required=True, status="done",
                                             completed_at=now, updated_at=now, version=1)
                                        for pid in chunk for key in ("aspirations",
                                                                     "consent_explained")])


def service_moves(app, seed, ids: list[int]) -> float:
    """apply_transition for each id, committing every BATCH; seconds."""
    from journey.continuum.services import apply_transition
    from journey.core.auth import User
    from journey.core.db import db
    from journey.core.versions import Precondition
    from journey.participants.models import Participant

    with app.test_request_context(), stopwatch() as elapsed:
        sess = db.session
        actors = {oid: sess.get(User, uid) for oid, uid in seed.caseworker_ids.items()}
        for start in range(0, len(ids), BATCH):
            people = sess.scalars(sa.select(Participant).where(
                Participant.id.in_(ids[start:start + BATCH]))).all()
            for p in people:
                apply_transition(sess, actors[p.office_id], p, "preselect", {},
                                 expected=Precondition(body=p.version), today=TODAY)
            sess.commit()
    return elapsed()


def baseline_moves(engine: sa.Engine, seed, ids: list[int]) -> float:
    """The same writes in plain Core for each id, committing every BATCH; seconds."""
    from journey.core.audit import append as audit_append
    from journey.core.db import utcnow

    t_p, t_e, t_i, t_o = (table("participants"), table("journey_events"),
                          table("checklist_items"), table("outbox_messages"))
    with engine.connect() as conn, stopwatch() as elapsed:
        rows = conn.execute(sa.select(t_p.c.id, t_p.c.office_id, t_p.c.version)
                            .where(t_p.c.id.in_(ids)).order_by(t_p.c.id)).all()
        conn.commit()
        for start in range(0, len(rows), BATCH):
            with conn.begin():
                for pid, office_id, version in rows[start:start + BATCH]:
                    now = utcnow()
                    conn.execute(t_p.update().where(t_p.c.id == pid, t_p.c.version == version)
                                 .values(stage="preselection", previous_stage="intake",
                                         stage_entered_at=now, updated_at=now, version=version + 1))
                    # Chained like every audit row (journey.core.audit.append).
                    audit_append(conn, [dict(
                        occurred_at=now, actor_id=seed.caseworker_ids[office_id],
                        action="continuum:participant:transition", object_type="participant",
                        object_id=pid, office_id=office_id, request_id=None,
                        details={"event": "preselect", "from_stage": "intake",
                                 "to_stage": "preselection", "overridden": []})])
                    for kind in ("stage_left", "stage_entered"):
                        conn.execute(t_e.insert().values(
                            participant_id=pid, kind=kind, occurred_at=now,
                            actor_id=seed.caseworker_ids[office_id], stage="preselection",
                            data={"event": "preselect", "from_stage": "intake",
                                  "to_stage": "preselection"}))
                    conn.execute(t_i.insert(), [dict(
                        participant_id=pid, stage="preselection", cycle=1, key=key, title=key,
                        required=True, status="pending", due_date=TODAY + timedelta(days=14),
                        updated_at=now, version=1)
                        for key in ("screening_interview", "documents_checked")])
                    conn.execute(t_o.insert().values(
                        participant_id=pid, channel="sms", template="stage_entered.preselection",
                        language="ne", recipient=f"+97798{pid:08d}", timezone="Asia/Kathmandu",
                        body="Sunita, you have been pre-selected. Kathmandu MRC will call you "
                             "about the next steps.", urgent=False, status="queued",
                        not_before=now, attempts=0, segments=1, encoding="GSM-7", cost=0.11,
                        created_at=now, updated_at=now))
    return elapsed()


def timeline_bench(ws: Workspace, url: str, seed, repeats: int, runs: int):
    """Alternated runs of `repeats` reads: the service + dump alone (baseline) and the GET."""
    import statistics

    from journey.continuum.schemas import TimelineSchema
    from journey.continuum.services import timeline
    from journey.core.auth import User, issue_token
    from journey.core.db import db, utcnow
    from journey.participants.models import Participant

    app = ws.app(url)
    engine = ws.engine(url)
    t_e = table("journey_events")
    kinds = ["stage_entered", "checklist_updated", "permit_recorded", "stage_left"]
    with engine.begin() as conn:
        pid = conn.execute(sa.select(table("participants").c.id).order_by(
            table("participants").c.id.desc()).limit(1)).scalar_one()
        start = utcnow() - timedelta(days=400)
        conn.execute(t_e.insert(), [dict(
            participant_id=pid, kind=kinds[i % 4], occurred_at=start + timedelta(days=i * 2),
            actor_id=seed.admin_id, stage="stay", reason="Routine follow-up" if i % 3 else None,
            data={"to_stage": ["intake", "training", "stay"][i % 3], "item_id": i})
            for i in range(TIMELINE_EVENTS)])
    with app.app_context():
        sess = db.session
        _token, secret = issue_token(sess, sess.get(User, seed.admin_id), "bench", 1)
        sess.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def http(_run: int) -> float:
        times = Timings()
        for _ in range(repeats):
            with times.measure():
                resp = client.get(f"/api/v1/participants/{pid}/timeline", headers=headers)
            assert resp.status_code == 200 and len(resp.get_json()["events"]) >= TIMELINE_EVENTS
        return times.median_ms

    def service(_run: int) -> float:
        times = Timings()
        for _ in range(repeats):
            with app.app_context():
                p = db.session.get(Participant, pid)
                with times.measure():
                    TimelineSchema().dump(timeline(db.session, p))
        return times.median_ms

    http(0), service(0)  # warm-up, uncounted
    result = alternate(service, http, runs)
    assert statistics.median(result.service) == result.service_median
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--population", type=int, default=sized(POPULATION, 200))
    parser.add_argument("--moves", type=int, default=sized(3000, 30), help="split over --runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=sized(50, 3), help="timeline reads a run")
    args = parser.parse_args()
    per_run = args.moves // args.runs

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            heading(f"continuum on {dbs.backend}: {args.population:,} participants, "
                    f"{args.runs} runs of {per_run:,} transitions a side")
            urls, engines = {}, {}
            with stopwatch() as elapsed:
                for side in ("service", "baseline"):
                    urls[side] = dbs.fresh(f"continuum_{side}")
                    engines[side] = ws.engine(urls[side])
                    seed = seed_reference_data(engines[side])
                    load_population(engines[side], seed, args.population)
            note(f"two databases loaded in {elapsed():.1f}s (not measured)")
            with engines["service"].connect() as conn:  # the same ids on both sides
                ids = conn.scalars(sa.select(table("participants").c.id).order_by(
                    table("participants").c.id).limit(per_run * args.runs)).all()
            app = ws.app(urls["service"])

            def chunk(i: int) -> list[int]:
                return ids[i * per_run:(i + 1) * per_run]

            moves = alternate(lambda i: per_run / baseline_moves(engines["baseline"], seed, chunk(i)),
                              lambda i: per_run / service_moves(app, seed, chunk(i)), args.runs)
            moves.show("baseline (Core, same writes)", "service (apply_transition)",
                       lambda v: f"{v:,.0f} transitions/s")
            share = moves.ratio
            line("service / baseline", f"{share:.2f} of the baseline  "
                 f"[target >= 0.33: {verdict(share >= 1 / 3)}]")

            heading(f"timeline: one participant with {TIMELINE_EVENTS} events, "
                    f"{args.runs} runs of {args.repeats} reads a side")
            reads = timeline_bench(ws, urls["service"], seed, args.repeats, args.runs)
            reads.show("service + dump alone (baseline)", "GET .../timeline (test client)",
                       lambda v: f"{v:.2f} ms", ratio_label="ratio http / service")
            line("GET .../timeline, median", f"{reads.service_median:.2f} ms  "
                 f"[target < 20 ms: {verdict(reads.service_median < 20)}]")
        finally:
            dbs.close()


if __name__ == "__main__":
    main()
