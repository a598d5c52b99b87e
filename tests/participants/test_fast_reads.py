"""Reading participants at scale: bounded SQL per request, and the indexes the queries use."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.policy import participant_scope
from journey.participants import services
from journey.participants.models import Participant


@contextmanager
def statements(connection: sa.Connection):
    """The SQL statements sent on the test's connection (requests share it), with parameters."""
    seen: list[tuple[str, object]] = []

    def on_execute(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", on_execute)


def _kinds(seen) -> list[str]:
    """'SELECT participants', 'INSERT audit_events', ... (savepoints and BEGIN left out)."""
    out = []
    for statement, _params in seen:
        kind = statement.lstrip().split(None, 1)[0].upper()
        if kind in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.I)
            if kind == "SELECT" and "pg_advisory_xact_lock" in statement:
                table = None  # the audit chain's lock on PostgreSQL
            out.append(f"{kind} {table.group(1) if table else '-'}")
    return out


@pytest.fixture
def office_of_60(factory, db_session):
    cw = factory.user("caseworker")
    for i in range(60):
        factory.participant(cw, given_name=f"Person{i:02d}", family_name=["Thapa", "Rai"][i % 2],
                            phone=f"+97798{60000000 + i:08d}")
    db_session.flush()
    return cw


def test_a_list_page_costs_a_fixed_few_statements_whatever_its_size(client, factory, connection,
                                                                     office_of_60, backend):
    h = factory.headers(office_of_60)
    client.get("/api/v1/participants/?per_page=5", headers=h)  # the token's last use is recorded
    counts = {}
    for per_page in (5, 50):
        with statements(connection) as seen:
            resp = client.get(f"/api/v1/participants/?per_page={per_page}", headers=h)
        assert resp.status_code == 200 and len(resp.get_json()["items"]) == per_page
        counts[per_page] = kinds = _kinds(seen)
        # The token and its user (one statement), the page, the count (the page is full), and
        # the audit event's insert (no lock, no head since the sealer); SQLite seals it inline
        # (the seals' head and the seal's insert).
        assert kinds.count("SELECT users") == 1, kinds
        assert kinds.count("SELECT participants") + kinds.count("SELECT anon_1") <= 2, kinds
        assert kinds.count("INSERT audit_events") == 1, kinds
        assert not [k for k in kinds if k.startswith(("UPDATE", "DELETE"))], kinds
        seals = ["SELECT audit_seals", "INSERT audit_seals"] if backend == "sqlite" else []
        assert [k for k in kinds if "audit_seals" in k] == seals, kinds
        assert len(kinds) <= 4 + len(seals), kinds
    assert len(counts[5]) == len(counts[50])  # no statement per row


def test_a_page_that_is_not_full_is_not_counted_again(client, factory, connection, office_of_60):
    h = factory.headers(office_of_60)
    client.get("/api/v1/participants/?per_page=5", headers=h)
    with statements(connection) as seen:
        body = client.get("/api/v1/participants/?q=person0&per_page=50", headers=h).get_json()
    assert body["total"] == 10 and len(body["items"]) == 10 and body["pages"] == 1
    assert len([s for s, _ in seen if "FROM participants" in s]) == 1
    # The last page of several tells its total too; a page past the end is counted.
    body = client.get("/api/v1/participants/?per_page=25&page=3", headers=h).get_json()
    assert (body["total"], len(body["items"]), body["pages"]) == (60, 10, 3)
    body = client.get("/api/v1/participants/?per_page=25&page=9", headers=h).get_json()
    assert (body["total"], body["items"], body["pages"]) == (60, [], 3)


def test_one_participant_costs_three_statements_and_is_still_audited(client, factory, connection,
                                                                   office_of_60, db_session,
                                                                   backend):
    h = factory.headers(office_of_60)
    p = db_session.scalars(sa.select(Participant).limit(1)).one()
    client.get(f"/api/v1/participants/{p.id}", headers=h)
    with statements(connection) as seen:
        resp = client.get(f"/api/v1/participants/{p.id}", headers=h)
    assert resp.status_code == 200 and resp.get_json()["id"] == p.id
    kinds = _kinds(seen)
    assert kinds.count("INSERT audit_events") == 1, kinds
    # The token and user, the participant, the event; and on SQLite its inline seal.
    seals = ["SELECT audit_seals", "INSERT audit_seals"] if backend == "sqlite" else []
    assert [k for k in kinds if "audit_seals" in k] == seals, kinds
    assert len(kinds) <= 3 + len(seals), kinds


def test_a_tokens_last_use_is_written_once_in_five_minutes(client, factory, connection,
                                                          office_of_60, db_session):
    from journey.core.auth import ApiToken

    h = factory.headers(office_of_60)
    with statements(connection) as first:
        client.get("/api/v1/participants/?per_page=1", headers=h)
    with statements(connection) as second:
        client.get("/api/v1/participants/?per_page=1", headers=h)
    assert _kinds(first).count("UPDATE api_tokens") == 1
    assert "UPDATE api_tokens" not in _kinds(second)
    token = db_session.scalars(sa.select(ApiToken).where(ApiToken.user_id == office_of_60.id)).one()
    db_session.refresh(token)
    assert token.last_used_at is not None


@pytest.mark.parametrize("role", ["admin", "supervisor", "caseworker", "employer", "partner"])
def test_the_cached_scope_statement_is_the_fresh_one(app, factory, db_session, role):
    user = factory.user(role)
    fresh = sa.select(Participant).where(
        Participant.id == sa.bindparam("participant_id"),
        participant_scope(user, Participant.id, Participant.office_id))
    with app.app_context():
        for _ in range(2):
            cached = services._in_scope(user)
            assert str(cached.compile(compile_kwargs={"literal_binds": False})) == str(fresh.compile())
            assert cached.compile().params == fresh.compile().params
    inactive = User(**{**user.model_dump(), "is_active": False})
    assert services._in_scope(inactive) is not services._in_scope(user)


def test_sqlite_reads_the_default_sort_off_its_index(app, db_session, factory, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's EXPLAIN QUERY PLAN")
    admin = factory.user("admin")
    with app.app_context():
        stmt = services.filtered_query(admin, {})
    stmt = stmt.order_by(
        Participant.created_at.desc(), Participant.id.desc()).limit(50)
    sql = str(stmt.compile(db_session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(r[-1] for r in db_session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_participants_created_id" in plan and "TEMP B-TREE" not in plan, plan


def _pg_plans(app, connection, db_session, actor, args) -> list[str]:
    """EXPLAIN of every statement search_participants sends that reads participants."""
    with app.app_context(), statements(connection) as seen:
        services.search_participants(db_session, actor, args, audited=False)
    plans = []
    for statement, params in seen:
        if "FROM participants" in statement:
            rows = connection.exec_driver_sql("EXPLAIN " + statement, params).scalars().all()
            plans.append("\n".join(rows))
    return plans


def test_postgres_plans_use_the_new_indexes(app, connection, db_session, factory, office_of_60,
                                            backend):
    """With a few rows a sequential scan is cheapest, so the planner is told not to pick one (or
    a sort) when it has a choice: what is checked is that the statements the service sends can
    be served by the indexes (the trigram operator class matches the LIKE on search_text, the
    ORDER BY matches (created_at, id) read backwards). That the planner picks them by itself on
    100,000 participants is shown by bench/explain_participants.py."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner and pg_trgm")
    admin = factory.user("admin")
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_sort = off")
    (page, count) = _pg_plans(app, connection, db_session, admin,
                              {"page": 1, "per_page": 5, "sort": [("created_at", True)]})
    assert "Index Scan Backward using ix_participants_created_id" in page, page
    # A search: the matches found through the trigram index (then sorted), for the page and for
    # the count alike. Plain index scans are set aside too, or reading (created_at, id)
    # backwards and filtering would avoid the sort just switched back on.
    connection.exec_driver_sql("SET LOCAL enable_sort = on")
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    plans = _pg_plans(app, connection, db_session, admin,
                      {"q": "thapa", "page": 1, "per_page": 5, "sort": [("created_at", True)]})
    assert len(plans) == 2  # 30 of 60 match: a full page, so counted
    for plan in plans:
        assert "Bitmap Index Scan on ix_participants_search_text_trgm" in plan, plan
    assert count
