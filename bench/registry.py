"""Registry benchmark: register, list and search participants through the service layer.

    python bench/registry.py            # 3,000 registrations; 100,000 rows for the read target
    python bench/registry.py --n 600    # a quick check
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/registry.py

What it measures (each side on its own fresh, migrated database: SQLite files; or, when
DATABASE_URL is a PostgreSQL URL, new databases on that server, dropped at the end):

* Inserts: N participants through ``create_participant`` (caseworker actors, in an app context,
  commit every --batch) against a BASELINE in plain SQLAlchemy Core doing the same SQL per
  participant: the two duplicate-check SELECTs (phone; name_key + date_of_birth), the participant
  INSERT, the audit_events INSERT, the intake checklist_items, the first journey_events row
  (the journey starts at registration) and the welcome SMS in outbox_messages, with the same
  commits. Whatever else the service does
  (reference lookups, the continuum's checklist and timeline rows) counts against it; the SQL
  each side ran per participant is printed so the difference is visible.
* List and search on those N: ``search_participants(..., audited=True)`` then a commit, as a
  request does, against Core running the same count, page and audit INSERT, committed.
* The read target: 100,000 participants bulk-loaded with Core executemany, then ~50 filtered pages
  of 50 (office + stage, default sort, total count) through ``search_participants(audited=True)``,
  each followed by a commit, against the same SQL in Core; median and p95.

Each part runs --runs times a side (the registrations split between the runs), the sides
alternating run by run (B S, S B, ...) so load from anything else on the machine hits both alike;
each figure is the median of the runs. Targets are printed with PASS/FAIL; the exit code is 0
either way (it reports, it does not gate).
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    Seed,
    StatementCounter,
    Workspace,
    alternate,
    drain,
    heading,
    interleave,
    line,
    note,
    profile,
    seed_reference_data,
    sized,
    stopwatch,
    table,
    targets,
    verdict,
)
from _registry_people import (  # noqa: E402
    DEFAULT_SORT,
    PER_PAGE,
    STAGE_FILTERS,
    Person,
    bulk_load,
    complete_row,
    make_people,
    payload,
    search_text,
    stage_for,
)

from journey.core import crypto  # noqa: E402

RATIO_TARGET = 3.0
PAGE_TARGET_MS = 50.0

# --- registering ---------------------------------------------------------------------------------

def insert_service(app, seed: Seed, people: list[Person], batch: int) -> Iterator[float]:
    """create_participant for everyone, committing every `batch`; yields each batch's seconds."""
    from journey.core.auth import User
    from journey.core.db import db
    from journey.participants.services import create_participant

    with app.app_context():
        sess = db.session
        actors = [sess.get(User, seed.caseworker_ids[oid]) for oid in seed.office_ids]
        for start in range(0, len(people), batch):
            with stopwatch() as elapsed:
                for person in people[start:start + batch]:
                    create_participant(sess, actors[person.office_idx],
                                       payload(person, seed.programme_id))
                sess.commit()
            yield elapsed()


def insert_core(engine: sa.Engine, seed: Seed, people: list[Person], batch: int) -> Iterator[float]:
    """The same SQL per participant in plain Core: 2 duplicate SELECTs, the participant and audit
    INSERTs, the intake checklist (one executemany), the first journey event and the queued
    welcome SMS, a commit every `batch`; yields each batch's seconds."""
    from journey.core.audit import append as audit_append
    from journey.core.db import utcnow
    from journey.participants.services import name_key, new_reference

    t = table("participants")
    by_phone = sa.select(t).where(t.c.phone_index.in_(sa.bindparam("phones", expanding=True))
                                  ).limit(1)
    by_name = sa.select(t).where(t.c.name_key == sa.bindparam("key"),
                                 t.c.date_of_birth == sa.bindparam("dob")).limit(1)
    ins_participant = t.insert()
    ins_items, ins_event = table("checklist_items").insert(), table("journey_events").insert()
    ins_outbox = table("outbox_messages").insert()
    with engine.connect() as conn:
        for start in range(0, len(people), batch):
            with stopwatch() as elapsed, conn.begin():
                for person in people[start:start + batch]:
                    data = payload(person, seed.programme_id)
                    office_id = seed.office_ids[person.office_idx]
                    actor_id = seed.caseworker_ids[office_id]
                    key = name_key(data["given_name"], data["family_name"])
                    phones = crypto.keyring().blind_indexes(crypto.normalise_phone(data["phone"]))
                    if conn.execute(by_phone, {"phones": phones}).first() is not None:
                        raise RuntimeError("duplicate phone")
                    if conn.execute(by_name, {"key": key, "dob": data["date_of_birth"]}).first():
                        raise RuntimeError("duplicate name and date of birth")
                    now = utcnow()
                    reference = new_reference()
                    given, family = data["given_name"].strip(), data["family_name"].strip()
                    pid = conn.execute(ins_participant, complete_row({
                        "reference": reference, "office_id": office_id,
                        "programme_id": data["programme_id"], "stage": "intake",
                        "given_name": given, "family_name": family, "name_key": key,
                        "search_text": search_text(given, family, reference, data["phone"]),
                        "date_of_birth": data["date_of_birth"], "sex": data["sex"],
                        "sex_self_described": None, "gender_identity": None,
                        "nationality": data["nationality"], "origin_country": data["origin_country"],
                        "destination_country": data["destination_country"], "phone": data["phone"],
                        "phone_index": phones[0],
                        "email": None, "language": data["language"], "timezone": data["timezone"],
                        "channels": data["channels"], "disability": "unknown",
                        "disability_details": None, "notes": None, "created_by": actor_id,
                        "created_at": now, "updated_at": now, "version": 1,
                    }, now)).inserted_primary_key[0]
                    audit_append(conn, [{
                        "occurred_at": utcnow(), "actor_id": actor_id,
                        "action": "participants:participant:create", "object_type": "participant",
                        "object_id": pid, "office_id": office_id, "request_id": None, "details": {},
                    }])
                    # The journey starts: the intake checklist and the first timeline entry.
                    conn.execute(ins_items, [{
                        "participant_id": pid, "stage": "intake", "cycle": 1, "key": key_,
                        "title": title, "required": True, "status": "pending", "due_date": due,
                        "completed_by": None, "completed_at": None, "evidence_note": None,
                        "updated_at": now, "version": 1,
                    } for key_, title, due in (
                        ("aspirations", "Aspirations and expectations recorded",
                         now.date() + timedelta(days=7)),
                        ("consent_explained", "Consent explained and recorded", now.date()))])
                    conn.execute(ins_event, {
                        "participant_id": pid, "kind": "stage_entered", "occurred_at": now,
                        "actor_id": actor_id, "stage": "intake", "reason": None,
                        "dedupe_key": None, "data": {"to_stage": "intake"}})
                    # ... and the welcome SMS is queued in the same transaction.
                    conn.execute(ins_outbox, {
                        "participant_id": pid, "channel": "sms",
                        "template": "stage_entered.intake", "language": data["language"],
                        "recipient": data["phone"], "timezone": data["timezone"],
                        "subject": None, "html": None, "urgent": False, "status": "queued",
                        "skip_reason": None, "not_before": now, "attempts": 0,
                        "dedupe_key": None,
                        "campaign_id": None, "created_at": now, "updated_at": now,
                        "body": f"{given}, you are registered with Bench office. Your reference "
                                f"is {reference}. Reply HELP for help.",
                        "segments": 1, "encoding": "GSM-7", "cost": 0.11})
            yield elapsed()


def assign_stages(engine: sa.Engine) -> None:
    """Move participants along the continuum (untimed), identically in every database."""
    t = table("participants")
    with engine.begin() as conn:
        ids = conn.scalars(sa.select(t.c.id)).all()
        conn.execute(t.update().where(t.c.id == sa.bindparam("pid")).values(stage=sa.bindparam("st")),
                     [{"pid": i, "st": stage_for(i)} for i in ids])


# --- listing and searching -----------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """One call: which actor (a caseworker is scoped to their office; None = admin) and the args."""

    caseworker_office: int | None
    args: dict[str, Any]


def list_queries(seed: Seed, reps: int, rng: random.Random, extra_filters: bool = True) -> list[Query]:
    """Filtered pages: office (by scope or by filter) + stage, sometimes sex, pages 1-3."""
    queries = []
    for i in range(reps):
        office = rng.choice(seed.office_ids)
        args: dict[str, Any] = {"stage": rng.choice(STAGE_FILTERS), "page": 1 + i % 3,
                                "per_page": PER_PAGE, "sort": DEFAULT_SORT}
        if extra_filters and i % 5 == 4:
            args["sex"] = ["female"]
        if i % 2:
            queries.append(Query(None, {**args, "office_id": office}))
        else:
            queries.append(Query(office, args))
    return queries


def search_queries(seed: Seed, people: list[Person], references: dict[int, str], reps: int,
                   rng: random.Random) -> list[Query]:
    """Free text: a family name, given + family name, a phone typed with spaces, a reference."""
    queries = []
    positions = sorted(references)
    for i in range(reps):
        pos = rng.choice(positions)
        person = people[pos]
        kind = i % 4
        if kind == 0:
            q = person.family_name.lower()
        elif kind == 1:
            q = f"{person.given_name} {person.family_name}"
        elif kind == 2:
            digits = person.phone.lstrip("+")
            q = f"+{digits[:3]} {digits[3:6]} {digits[6:]}"
        else:
            q = references[pos]
        args = {"q": q, "page": 1, "per_page": PER_PAGE, "sort": DEFAULT_SORT}
        office = seed.office_ids[person.office_idx]
        queries.append(Query(office if i % 2 else None, args))
    return queries


def service_queries(app, seed: Seed, queries: list[Query], totals: list[int]) -> Iterator[float]:
    """search_participants(audited=True) then commit (as a request does); yields each call's
    seconds and appends its total to `totals`."""
    from journey.core.auth import User
    from journey.core.db import db
    from journey.participants.services import search_participants

    with app.app_context():
        sess = db.session
        admin = sess.get(User, seed.admin_id)
        caseworkers = {oid: sess.get(User, uid) for oid, uid in seed.caseworker_ids.items()}
        sess.commit()
        for query in queries:
            actor = admin if query.caseworker_office is None else caseworkers[query.caseworker_office]
            with stopwatch() as elapsed:
                page = search_participants(sess, actor, dict(query.args), audited=True)
                sess.commit()
            totals.append(page["total"])
            yield elapsed()


def _core_statement(scope: int | None, args: dict[str, Any]) -> sa.Select:
    """The select search_participants builds, in Core."""
    from journey.core.schemas import like_pattern

    t = table("participants")
    stmt = sa.select(t)
    if scope is not None:
        stmt = stmt.where(t.c.office_id == scope)
    if args.get("office_id") is not None:
        stmt = stmt.where(t.c.office_id == args["office_id"])
    for name in ("programme_id", "nationality", "origin_country", "destination_country", "language"):
        if args.get(name) is not None:
            stmt = stmt.where(t.c[name] == args[name])
    for name in ("stage", "sex"):
        if args.get(name):
            stmt = stmt.where(t.c[name].in_(args[name]))
    q = (args.get("q") or "").strip().casefold()
    if q:
        text = t.c.search_text.like(like_pattern(q), escape="\\")
        compact = q.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
        if compact.lstrip("+").isdigit():  # a whole phone number: its blind index
            text = sa.or_(text, t.c.phone_index.in_(
                crypto.keyring().blind_indexes(crypto.normalise_phone(compact))))
        stmt = stmt.where(text)
    return stmt


def _core_page(stmt: sa.Select, args: dict[str, Any]) -> sa.Select:
    t = table("participants")
    order = [t.c[name].desc() if desc else t.c[name].asc() for name, desc in args["sort"]]
    if not any(name == "id" for name, _ in args["sort"]):
        order.append(t.c.id.asc())
    per_page = args["per_page"]
    return stmt.order_by(*order).limit(per_page).offset((args["page"] - 1) * per_page)


def core_queries(engine: sa.Engine, seed: Seed, queries: list[Query], totals: list[int]) -> Iterator[float]:
    """The same count, page and audit INSERT in Core, committed per call; yields seconds."""
    from journey.core.audit import append as audit_append
    from journey.core.db import utcnow

    with engine.connect() as conn:
        for query in queries:
            scope = query.caseworker_office
            actor_id = seed.admin_id if scope is None else seed.caseworker_ids[scope]
            with stopwatch() as elapsed, conn.begin():
                stmt = _core_statement(scope, query.args)
                total = conn.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
                rows = conn.execute(_core_page(stmt, query.args)).all()
                audit_append(conn, [{
                    "occurred_at": utcnow(), "actor_id": actor_id,
                    "action": "participants:participant:list", "object_type": "participant",
                    "object_id": None, "office_id": scope, "request_id": None,
                    "details": {"ids": [r.id for r in rows], "total": total},
                }])
            totals.append(total)
            yield elapsed()


def query_plan(engine: sa.Engine, query: Query) -> list[str]:
    """EXPLAIN QUERY PLAN of the count and the page query of one call."""
    stmt = _core_statement(query.caseworker_office, query.args)
    plans = []
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        for s in (sa.select(sa.func.count()).select_from(stmt.subquery()), _core_page(stmt, query.args)):
            sql = str(s.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            rows = conn.exec_driver_sql(explain + sql).all()
            plans.append("; ".join(str(r[-1]).strip() for r in rows))
    return plans


# --- the run -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=sized(3000, 30),
                        help="participants to register, over the runs (3000)")
    parser.add_argument("--runs", type=int, default=3, help="runs a side (3)")
    parser.add_argument("--batch", type=int, default=sized(250, 5), help="commit every BATCH registrations")
    parser.add_argument("--reps", type=int, default=sized(30, 4), help="list and search calls a run (30)")
    parser.add_argument("--big", type=int, default=sized(100_000, 300),
                        help="rows for the read target (100000; 0 skips it)")
    parser.add_argument("--big-reps", type=int, default=sized(30, 4), help="pages timed a run (30)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile the service (registrations and big-table pages)")
    opts = parser.parse_args(argv)

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            return run(ws, dbs, opts)
        finally:
            dbs.close()


def run(ws: Workspace, dbs: Databases, opts: argparse.Namespace) -> int:
    import sqlite3

    print(f"journey registry benchmark: Python {platform.python_version()}, SQLAlchemy "
          f"{sa.__version__}, SQLite {sqlite3.sqlite_version}; {dbs.backend}; n={opts.n:,} "
          f"runs={opts.runs} batch={opts.batch} reps={opts.reps} big={opts.big:,}", flush=True)
    note("baseline and service each on a fresh migrated database, alternating run by run "
         "(B S, S B, ...) so other load on the machine hits both alike; medians of the runs")
    results: list[tuple[str, bool, str]] = []
    ms = lambda v: f"{v:6.2f} ms"  # noqa: E731

    people = make_people(opts.n, opts.seed)
    url_core, url_svc = dbs.fresh("baseline"), dbs.fresh("service")
    eng_core = ws.engine(url_core)
    app = ws.app(url_svc)
    eng_svc = app.extensions["journey_db"].engine
    seed_core, seed_svc = seed_reference_data(eng_core), seed_reference_data(eng_svc)
    assert seed_core == seed_svc, "fresh databases should hand out the same ids"
    seed = seed_svc
    count_core, count_svc = StatementCounter(eng_core), StatementCounter(eng_svc)

    # Registering.
    per_run = opts.n // opts.runs
    heading(f"Register {opts.runs} x {per_run:,} participants, commit every {opts.batch}")

    def chunk(i: int) -> list[Person]:
        return people[i * per_run:(i + 1) * per_run]

    reg = alternate(lambda i: per_run / drain(insert_core(eng_core, seed, chunk(i), opts.batch)).total,
                    lambda i: per_run / drain(insert_service(app, seed, chunk(i), opts.batch)).total,
                    opts.runs)
    c_core, c_svc = count_core.reset(), count_svc.reset()
    reg.show("baseline (Core)", "service (create_participant)", lambda v: f"{v:7,.0f} participants/s",
             None)
    slowdown = 1 / reg.ratio
    ok = slowdown <= RATIO_TARGET
    line("time service/baseline", f"{slowdown:7.2f}x   target <= {RATIO_TARGET:g}x  {verdict(ok)}")
    results.append(("register: service within 3x of Core", ok, f"{slowdown:.2f}x"))
    done = per_run * opts.runs
    note(f"SQL per participant, baseline: {StatementCounter.per(c_core, done)}")
    note(f"SQL per participant, service:  {StatementCounter.per(c_svc, done)}")

    for engine in (eng_core, eng_svc):
        assign_stages(engine)

    # Listing and searching the registered people, on each side's own database.
    rng = random.Random(opts.seed + 1)
    lists = list_queries(seed, opts.reps, rng)
    positions = sorted(rng.sample(range(done), min(done, opts.reps)))
    refs = {}
    for name, engine in (("core", eng_core), ("svc", eng_svc)):
        with engine.connect() as conn:
            t = table("participants")
            rows = conn.execute(sa.select(t.c.id, t.c.reference)
                                .where(t.c.id.in_([p + 1 for p in positions]))).all()
        refs[name] = {r.id - 1: r.reference for r in rows}
    searches_core = search_queries(seed, people, refs["core"], opts.reps, random.Random(opts.seed + 2))
    searches_svc = search_queries(seed, people, refs["svc"], opts.reps, random.Random(opts.seed + 2))

    for title, q_core, q_svc, what in (
        ("List", lists, lists, "office + stage filter, 50 per page, pages 1-3"),
        ("Search", searches_core, searches_svc, "q = family name / full name / phone / reference"),
    ):
        heading(f"{title} {done:,}: {opts.runs} runs of {opts.reps} calls ({what}); audited, "
                "commit per call")
        totals_core: list[int] = []
        totals_svc: list[int] = []
        # One untimed pass first: statement caches and page caches warm on both sides.
        interleave(core_queries(eng_core, seed, q_core, []), service_queries(app, seed, q_svc, []))
        calls = alternate(
            lambda _i, q=q_core, t=totals_core: drain(core_queries(eng_core, seed, q, t)).median_ms,
            lambda _i, q=q_svc, t=totals_svc: drain(service_queries(app, seed, q, t)).median_ms,
            opts.runs)
        calls.show("baseline (Core), median call", "service (search_participants)", ms, None)
        if totals_core != totals_svc:
            note("warning: the two sides returned different totals")
        ok = calls.ratio <= RATIO_TARGET
        line("ratio service/baseline", f"{calls.ratio:7.2f}x   target <= {RATIO_TARGET:g}x  {verdict(ok)}")
        note(f"rows matched per call: median {sorted(totals_svc)[len(totals_svc) // 2]:,}, "
             f"max {max(totals_svc):,}")
        results.append((f"{title.lower()}: service within 3x of Core", ok, f"{calls.ratio:.2f}x"))

    # The read target on a big table.
    if opts.big:
        heading(f"Read target: a filtered page of {PER_PAGE} out of {opts.big:,} participants")
        big_app = ws.app(dbs.fresh("big"))
        eng_big = big_app.extensions["journey_db"].engine
        seed_big = seed_reference_data(eng_big)
        t_load = bulk_load(eng_big, seed_big, opts.big, opts.seed + 3)
        line("bulk load (Core executemany)", f"{t_load:7.2f} s  {opts.big / t_load:8,.0f} rows/s")
        big_queries = list_queries(seed_big, opts.big_reps, random.Random(opts.seed + 4))
        totals: list[int] = []
        interleave(core_queries(eng_big, seed_big, big_queries, []),
                   service_queries(big_app, seed_big, big_queries, []))  # warm up, untimed
        pages = alternate(lambda _i: drain(core_queries(eng_big, seed_big, big_queries, [])).median_ms,
                          lambda _i: drain(service_queries(big_app, seed_big, big_queries, totals)).median_ms,
                          opts.runs)
        pages.show("same SQL in Core, median call", "search_participants, median call", ms,
                   "ratio service/Core")
        ok = pages.service_median < PAGE_TARGET_MS
        line("search_participants", f"median {pages.service_median:6.2f} ms  "
             f"target median < {PAGE_TARGET_MS:g} ms  {verdict(ok)}")
        note(f"office + stage (1 in 5 also sex), sort -created_at, pages 1-3, total counted; "
             f"audited=True, committed after each call; rows matched {min(totals):,}..{max(totals):,}")
        count_plan, page_plan = query_plan(eng_big, big_queries[0])
        note(f"plan, count: {count_plan}")
        note(f"plan, page:  {page_plan}")
        results.append((f"page of {PER_PAGE} of {opts.big:,} under {PAGE_TARGET_MS:g} ms median",
                        ok, f"{pages.service_median:.1f} ms"))

    if opts.profile:
        heading("cProfile: service registrations (fresh database, up to 2,000 participants)")
        prof_app = ws.app(dbs.fresh("profile"))
        prof_seed = seed_reference_data(prof_app.extensions["journey_db"].engine)
        prof_people = make_people(min(2000, opts.n), opts.seed + 5)
        print(profile(lambda: drain(insert_service(prof_app, prof_seed, prof_people, opts.batch)),
                      top=30))
        if opts.big:
            heading("cProfile: search_participants on the big table")
            print(profile(lambda: drain(service_queries(big_app, seed_big, big_queries, [])), top=30))

    return targets(results, width=44)


if __name__ == "__main__":
    sys.exit(main())
