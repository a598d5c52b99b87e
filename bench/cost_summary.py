"""Employer Pays summary benchmark: journey.costs.summary.summary over 100,000 placements, against
bare SQL GROUP BYs giving the same numbers.

    python bench/cost_summary.py                       # SQLite, 100,000 placements, median of 5
    python bench/cost_summary.py --placements 20000 --runs 3
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/cost_summary.py

On a fresh migrated database (a SQLite file; or, when DATABASE_URL is a PostgreSQL URL, a new
database on that server, dropped at the end): 4 offices, 2 programmes (one with a budget per
hire), 200 employers, 50 recruiters, --placements participants each with one placement, and
--costs costs per placement on average (three currencies, every payer; about one in ten a
migrant-paid recruitment cost, a third of those refunded, some in part), loaded with plain
multi-row INSERTs.

Both sides answer the same question for the same user: totals per currency over every placement
(by payer, over and within budget), the first page of 100 placements by payer against the budget,
the placement count, and the breaches by employer and by recruiter. The service goes through
SQLAlchemy, scope, the audit event and Decimal formatting; the baseline is the same GROUP BYs as
hand-written SQL text, read raw. Their numbers are checked equal first. Sides alternate after a
warm-up; medians of --runs; for an admin (every office) and a caseworker (one office).
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Databases,
    StatementCounter,
    Workspace,
    heading,
    interleave,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
    table,
)

CURRENCIES = ["EUR"] * 17 + ["USD"] * 2 + ["NPR"]
ILO = ["recruitment_fee", "visa_fee", "travel", "health_check", "passport", "permit", "lodging",
       "insurance", "training", "skills_recognition"]
OUTSIDE = ["stipend", "integration", "return_support", "other"]
PAYERS = ["employer"] * 5 + ["programme"] * 2 + ["government_origin", "government_destination"]
PAGE = 100


def _insert(engine: sa.Engine, name: str, columns: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs, many rows per statement, in one transaction."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        if engine.dialect.name != "postgresql":
            cur.execute("BEGIN")  # journey.core.db runs SQLite in autocommit and BEGINs itself
        per = max(1, 900 // len(columns))  # SQLite's bound-parameter limit
        one = f"({', '.join([mark] * len(columns))})"
        for start in range(0, len(rows), per):
            chunk = rows[start:start + per]
            # Our own constant table and column names: nothing from outside reaches the SQL.
            cur.execute(f"INSERT INTO {name} ({', '.join(columns)}) VALUES "  # noqa: S608
                        + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])
        raw.commit()
    finally:
        raw.close()


def load(engine: sa.Engine, seed, placements: int, costs: float) -> dict[str, int]:
    """Employers, recruiters, participants with one placement each, and their costs."""
    from journey.core.db import utcnow

    rng = random.Random(15)
    now = utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name != "postgresql" else now
    t_emp, t_prog = table("employers"), table("programmes")
    with engine.begin() as conn:
        conn.execute(t_prog.update().where(t_prog.c.id == seed.programme_id)
                     .values(budget_per_hire=Decimal("1500.00"), budget_currency="EUR"))
        other = conn.execute(t_prog.insert().values(
            code="PG-BENCH-2", name="Bench programme 2", origin_country="NP",
            destination_country="DE", sector="Care", occupations=["5322"],
            default_language="ne", languages=[], checklist_config={}, created_at=now,
        )).inserted_primary_key[0]
        conn.execute(t_emp.insert(), [dict(name=f"Employer {i}", name_key=f"employer {i}",
                                           country="PT", created_at=now) for i in range(200)])
        employers = list(conn.scalars(sa.select(t_emp.c.id)))
        conn.execute(table("recruiters").insert(), [dict(
            name=f"Agency {i}", name_key=f"agency {i}", country="NP", corridors=["NP-PT"],
            created_at=now) for i in range(50)])
        recruiters = list(conn.scalars(sa.select(table("recruiters").c.id)))
    programmes = [seed.programme_id, seed.programme_id, seed.programme_id, other]
    offices = seed.office_ids
    _insert(engine, "participants", [
        "reference", "office_id", "programme_id", "stage", "stage_entered_at", "cycle",
        "given_name", "family_name", "name_key", "search_text", "date_of_birth", "sex",
        "nationality", "origin_country", "destination_country", "language", "timezone",
        "channels", "disability", "created_at", "updated_at", "version"],
        [(f"C{i:09d}", offices[i % len(offices)], programmes[i % 4], "stay", stamp, 1,
          f"Given{i}", "Family", f"family given{i}", f"given{i}", "1990-01-01", "female", "NP",
          "NP", "PT", "ne", "Asia/Kathmandu", '["sms"]', "no", stamp, stamp, 1)
         for i in range(placements)])
    with engine.connect() as conn:
        people = list(conn.execute(sa.select(table("participants").c.id,
                                             table("participants").c.programme_id)
                                   .order_by(table("participants").c.id)))
    _insert(engine, "placements", [
        "participant_id", "employer_id", "recruiter_id", "programme_id", "status", "created_at",
        "version"],
        [(pid, rng.choice(employers), rng.choice(recruiters) if rng.random() < 0.7 else None,
          prog, "active", stamp, 1) for pid, prog in people])
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(
            table("placements").c.id, table("placements").c.participant_id,
            table("placements").c.employer_id, table("placements").c.recruiter_id)))
    cost_rows = []
    for pl_id, pid, emp, rec in rows:
        for _ in range(rng.randint(0, round(2 * costs))):
            currency = rng.choice(CURRENCIES)
            amount = Decimal(rng.randint(1000, 90000)) / 100
            refund, refunded_at = None, None
            if rng.random() < 0.1:
                category, payer = rng.choice(ILO), "migrant"
                if rng.random() < 0.33:
                    refund = amount if rng.random() < 0.7 else (amount / 2).quantize(
                        Decimal("0.01"))
                    refunded_at = stamp
            else:
                category = rng.choice(ILO + OUTSIDE)
                payer = "migrant" if category in OUTSIDE and rng.random() < 0.3 else rng.choice(
                    PAYERS)
            cost_rows.append((pid, category, amount, currency, payer, pl_id, emp, rec, refund,
                              refunded_at, stamp, 1))
    _insert(engine, "costs", [
        "participant_id", "category", "amount", "currency", "paid_by", "placement_id",
        "employer_id", "recruiter_id", "refund_amount", "refunded_at", "recorded_at", "version"],
        [tuple(str(v) if isinstance(v, Decimal) and engine.dialect.name != "postgresql" else v
               for v in row) for row in cost_rows])
    return {"placements": len(rows), "costs": len(cost_rows)}


# --- the baseline: the same numbers, as hand-written GROUP BYs ---------------------------------

_PAYER_SUMS = ", ".join(
    f"COALESCE(SUM(CASE WHEN c.paid_by = '{p}' THEN c.amount ELSE 0 END), 0) AS {p}"
    for p in ("employer", "government_origin", "government_destination", "programme",
              "migrant"))
_ILO_SQL = ", ".join(f"'{c}'" for c in ("recruitment_fee", "preselection", "skills_recognition",
                                        "training", "passport", "visa_fee", "travel",
                                        "health_check", "insurance", "equipment", "lodging",
                                        "permit", "contract"))


def _scope(office_id: int | None, column: str) -> str:
    # Constant SQL with an integer interpolated: nothing from outside reaches it.
    return "" if office_id is None else (
        f" AND {column} IN (SELECT id FROM participants "  # noqa: S608
        f"WHERE office_id = {int(office_id)})")


def _per_placement(office_id: int | None, page: bool) -> str:
    ids = f"SELECT id FROM placements WHERE 1 = 1{_scope(office_id, 'participant_id')}"  # noqa: S608
    if page:
        ids += f" ORDER BY id LIMIT {PAGE}"
    # Constant SQL with an integer interpolated: nothing from outside reaches it.
    return (f"SELECT pl.id AS placement_id, c.currency, {_PAYER_SUMS}, "  # noqa: S608
            "COALESCE(SUM(c.amount), 0) AS total, COALESCE(SUM(c.refund_amount), 0) AS refunded, "
            "pr.budget_per_hire, pr.budget_currency, CASE WHEN c.currency = pr.budget_currency "
            "THEN COALESCE(SUM(c.amount), 0) - pr.budget_per_hire END AS over_budget "
            f"FROM placements pl JOIN ({ids}) page ON page.id = pl.id "
            "LEFT JOIN costs c ON c.placement_id = pl.id "
            "LEFT JOIN programmes pr ON pr.id = pl.programme_id "
            "GROUP BY pl.id, c.currency, pr.budget_per_hire, pr.budget_currency "
            "ORDER BY pl.id, c.currency")


def _breaches(office_id: int | None, key: str) -> str:
    open_ = "(c.refunded_at IS NULL OR c.refund_amount < c.amount)"
    return (f"SELECT c.{key}, c.currency, COUNT(*), "  # noqa: S608
            f"SUM(CASE WHEN {open_} THEN 1 ELSE 0 END), "
            f"COALESCE(SUM(CASE WHEN {open_} THEN c.amount - COALESCE(c.refund_amount, 0) "
            "ELSE 0 END), 0), "
            f"SUM(CASE WHEN {open_} THEN 0 ELSE 1 END), COALESCE(SUM(c.refund_amount), 0) "
            f"FROM costs c WHERE c.paid_by = 'migrant' AND c.category IN ({_ILO_SQL}) "
            f"AND c.amount > 0{_scope(office_id, 'c.participant_id')} "
            f"GROUP BY c.{key}, c.currency")


def baseline(conn, office_id: int | None) -> dict[str, Any]:
    """The summary's numbers from raw SQL: no ORM, no audit, no formatting."""
    scoped = ("c.placement_id IS NOT NULL" if office_id is None else
              f"c.placement_id IN (SELECT id FROM placements WHERE 1 = 1"  # noqa: S608
              f"{_scope(office_id, 'participant_id')})")
    per = (f"SELECT c.placement_id, c.currency, {_PAYER_SUMS}, "  # noqa: S608
           "COALESCE(SUM(c.amount), 0) AS total, COALESCE(SUM(c.refund_amount), 0) AS refunded "
           f"FROM costs c WHERE {scoped} GROUP BY c.placement_id, c.currency")
    totals = conn.exec_driver_sql(
        "SELECT per.currency, SUM(employer), SUM(government_origin), "  # noqa: S608
        "SUM(government_destination), SUM(programme), SUM(migrant), SUM(total), SUM(refunded), "
        "COUNT(*), SUM(CASE WHEN pr.budget_currency = per.currency AND per.total > "
        "pr.budget_per_hire THEN 1 ELSE 0 END), SUM(CASE WHEN pr.budget_currency = per.currency "
        "AND per.total <= pr.budget_per_hire THEN 1 ELSE 0 END) "
        f"FROM ({per}) per JOIN placements pl ON pl.id = per.placement_id "
        "LEFT JOIN programmes pr ON pr.id = pl.programme_id GROUP BY per.currency").all()
    return {
        "totals": totals,
        "placements": conn.exec_driver_sql(_per_placement(office_id, page=True)).all(),
        "count": conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM placements WHERE 1 = 1"  # noqa: S608
            f"{_scope(office_id, 'participant_id')}").scalar(),
        "by_employer": conn.exec_driver_sql(_breaches(office_id, "employer_id")).all(),
        "by_recruiter": conn.exec_driver_sql(_breaches(office_id, "recruiter_id")).all(),
    }


def _d(value) -> str:
    return "None" if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def same_numbers(svc: dict[str, Any], base: dict[str, Any]) -> bool:
    payers = ("employer", "government_origin", "government_destination", "programme", "migrant",
              "total", "refunded")
    mine_totals = sorted((t["currency"], *[_d(t[k]) for k in payers], t["placements"],
                          t["over_budget"], t["within_budget"]) for t in svc["totals"])
    base_totals = sorted((r[0], *[_d(v) for v in r[1:8]], r[8], r[9], r[10])
                         for r in base["totals"])
    mine_rows = sorted((r["placement_id"], r["currency"] or "", _d(r["total"]),
                        _d(r["migrant"]), _d(r["over_budget"])) for r in svc["placements"])
    base_rows = sorted((r[0], r[1] or "", _d(r.total), _d(r.migrant), _d(r.over_budget))
                       for r in base["placements"])

    def breaches(rows, key):
        return sorted((r[key] or 0, r["currency"], r["breaches"], r["open"], _d(r["open_amount"]),
                       r["refunded"], _d(r["refunded_amount"])) for r in rows)

    def raw(rows):
        return sorted((r[0] or 0, r[1], r[2], r[3], _d(r[4]), r[5], _d(r[6])) for r in rows)

    return (mine_totals == base_totals and mine_rows == base_rows
            and svc["placement_count"] == base["count"]
            and breaches(svc["breaches_by_employer"], "employer_id") == raw(base["by_employer"])
            and breaches(svc["breaches_by_recruiter"], "recruiter_id")
            == raw(base["by_recruiter"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=sized(100_000, 500))
    parser.add_argument("--costs", type=float, default=4.0, help="costs per placement, average")
    parser.add_argument("--runs", type=int, default=sized(5, 3))
    args = parser.parse_args()

    from journey.core.auth import User
    from journey.core.db import db
    from journey.costs.summary import summary

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            url = dbs.fresh("cost_summary")
            app = ws.app(url)
            engine = app.extensions["journey_db"].engine
            seed = seed_reference_data(engine)
            with stopwatch() as loading:
                sizes = load(engine, seed, args.placements, args.costs)
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            else:
                with engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            counter = StatementCounter(engine)
            statements: dict[str, dict[str, int]] = {}

            def service_side(user_id: int, runs: int):
                for _ in range(runs):
                    with app.test_request_context():
                        sess = db.state.session_factory()
                        try:
                            actor = sess.get(User, user_id)
                            counter.reset()
                            with stopwatch() as elapsed:
                                summary(sess, actor)
                            statements["service"] = counter.reset()
                        finally:
                            sess.rollback()
                            sess.close()
                    yield elapsed()

            def baseline_side(office_id: int | None, runs: int):
                for _ in range(runs):
                    with engine.connect() as conn:
                        with stopwatch() as elapsed:
                            baseline(conn, office_id)
                        conn.rollback()
                    yield elapsed()

            heading(f"Employer Pays summary, {dbs.backend}, Python {platform.python_version()}")
            note(f"{sizes['placements']:,} placements, {sizes['costs']:,} costs, 200 employers, "
                 f"50 recruiters; loaded in {loading():.1f} s")
            office = seed.office_ids[0]
            for label, user_id, office_id in (
                    ("admin (every office)", seed.admin_id, None),
                    ("caseworker (one office)", seed.caseworker_ids[office], office)):
                with app.test_request_context():
                    sess = db.state.session_factory()
                    svc = summary(sess, sess.get(User, user_id))
                    sess.rollback()
                    sess.close()
                with engine.connect() as conn:
                    same = same_numbers(svc, baseline(conn, office_id))
                interleave(baseline_side(office_id, 1), service_side(user_id, 1))  # warm-up
                base, mine = interleave(baseline_side(office_id, args.runs),
                                        service_side(user_id, args.runs))
                line(f"{label}: service", f"median {mine.median_ms:.1f} ms "
                     f"({', '.join(f'{s * 1000:.0f}' for s in mine.samples)})")
                line(f"{label}: baseline (bare SQL)", f"median {base.median_ms:.1f} ms "
                     f"({', '.join(f'{s * 1000:.0f}' for s in base.samples)})")
                line(f"{label}: service/baseline", f"{mine.median_ms / base.median_ms:.2f}x; "
                     f"same numbers: {'yes' if same else 'NO'}")
            for name, counts in statements.items():
                note(f"{name} statements: {StatementCounter.per(counts, 1)}")
        finally:
            dbs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
