"""Message statistics from counts the database keeps (migration 0017, notifications.stats): the
rollup plus its deltas always equals a full GROUP BY of the outbox, whatever writes it (ORM, bulk
Core statements, office moves, compactions, concurrent workers), and the endpoint never reads the
outbox."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from journey.core.db import utcnow
from journey.participants.models import Participant
from notifications import stats
from notifications.models import MessageStat, MessageStatDelta, OutboxMessage, Status

T = OutboxMessage.__table__
P = Participant.__table__
STATUSES = [s.value for s in Status]
CHANNELS = ("sms", "email")
LANGUAGES = ("en", "ne", "fr")
TRIGGERS = {"message_stats_outbox_inserted", "message_stats_outbox_updated",
            "message_stats_outbox_deleted", "message_stats_participant_moved"}


def _status(status: str) -> dict[str, str | None]:
    """A status with the skip reason the outbox's check constraint asks for."""
    return {"status": status, "skip_reason": "no_consent" if status == "skipped" else None}


def _row(participant_id, channel="sms", language="en", status="queued") -> dict:
    now = utcnow()
    return {"participant_id": participant_id, "channel": channel, "template": "t",
            "language": language, "timezone": "UTC", "body": "x", "not_before": now,
            "created_at": now, "updated_at": now, **_status(status)}


def truth(conn) -> Counter:
    """The full scan: messages by (participant's office, channel, language, status)."""
    rows = conn.execute(
        sa.select(P.c.office_id, T.c.channel, T.c.language, T.c.status, sa.func.count())
        .select_from(T.outerjoin(P, P.c.id == T.c.participant_id))
        .group_by(P.c.office_id, T.c.channel, T.c.language, T.c.status))
    return Counter({tuple(r[:4]): r[4] for r in rows})


def kept(conn) -> Counter:
    """What the rollup and its deltas say, key by key."""
    s, d = MessageStat.__table__, MessageStatDelta.__table__
    key = ("office_id", "channel", "language", "status")
    both = sa.union_all(sa.select(*(s.c[k] for k in key), s.c.messages.label("n")),
                        sa.select(*(d.c[k] for k in key), d.c.delta)).subquery()
    total = sa.func.sum(both.c.n)
    rows = conn.execute(sa.select(*(both.c[k] for k in key), total)
                        .group_by(*(both.c[k] for k in key)).having(total != 0))
    return Counter({tuple(r[:4]): int(r[4]) for r in rows})


def _scoped(counter: Counter, office_id) -> Counter:
    out: Counter = Counter()
    for (office, channel, language, status), n in counter.items():
        if office_id is None or office == office_id:
            out[(channel, language, status)] += n
    return out


def test_the_triggers_exist_at_head(db_session, backend):
    """A later revision that makes SQLite recreate outbox_messages or participants would drop
    them: this says so."""
    if backend == "postgresql":
        names = set(db_session.scalars(sa.text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'message_stats%'")))
        assert names == TRIGGERS | {"message_stats_outbox_truncated"}
    else:
        names = set(db_session.scalars(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'message_stats%'")))
        assert names == TRIGGERS


def test_counts_equal_a_full_scan_after_a_random_mix_of_writes(app, factory, db_session):
    """Property-style: 400 random writes of every kind, the counts compared with the full scan
    every 20 writes and each office's scoped counts compared too."""
    rng = random.Random(20261130)
    offices = [factory.office() for _ in range(3)]
    admin = factory.user("admin")
    people = [factory.participant(admin, office_id=offices[i % 3].id).id for i in range(6)]
    db_session.flush()
    ex = db_session.execute

    def ids(k: int) -> list[int]:
        every = list(db_session.scalars(sa.select(T.c.id)))
        return rng.sample(every, min(k, len(every)))

    def someone():
        return rng.choice([*people, None])

    def insert():
        ex(T.insert(), [_row(someone(), rng.choice(CHANNELS), rng.choice(LANGUAGES),
                             rng.choice(STATUSES)) for _ in range(rng.randint(1, 8))])

    def set_status():
        chosen = ids(rng.choice((1, 1, 1, 5)))
        ex(T.update().where(T.c.id.in_(chosen)).values(**_status(rng.choice(STATUSES))))

    def change_key():
        column, values = rng.choice((("channel", CHANNELS), ("language", LANGUAGES)))
        ex(T.update().where(T.c.id.in_(ids(2))).values({column: rng.choice(values)}))

    def reassign():
        ex(T.update().where(T.c.id.in_(ids(1))).values(participant_id=someone()))

    def other_column():
        before = db_session.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta))
        ex(T.update().where(T.c.id.in_(ids(3))).values(attempts=T.c.attempts + 1))
        after = db_session.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta))
        assert after == before  # only a change of key appends deltas

    def delete():
        ex(T.delete().where(T.c.id.in_(ids(rng.choice((1, 1, 4))))))

    def move():
        ex(P.update().where(P.c.id == rng.choice(people))
           .values(office_id=rng.choice(offices).id))

    def orm_status():
        db_session.expire_all()
        chosen = ids(1)
        if chosen:
            message = db_session.get(OutboxMessage, chosen[0])
            for k, v in _status(rng.choice(STATUSES)).items():
                setattr(message, k, v)
            db_session.flush()

    def compact():
        stats.compact(db_session, batch=rng.randint(1, 40))

    ops = [insert] * 4 + [set_status] * 6 + [change_key, reassign, other_column, orm_status,
                                              move, move, delete, compact, compact]
    for step in range(1, 401):
        rng.choice(ops)()
        if step % 20 == 0:
            conn = db_session.connection()
            full = truth(conn)
            assert kept(conn) == full, step
            for office in (None, *(o.id for o in offices)):
                assert Counter({k[:3]: k[3] for k in stats.counts(db_session, office)}) == \
                    _scoped(full, office), (step, office)
    assert sum(truth(db_session.connection()).values()) > 50  # the mix left something to count

    # The scheduler's job folds every delta; nothing changes in the counts.
    before = kept(db_session.connection())
    stats.compact_job(app)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta)) == 0
    assert kept(db_session.connection()) == before == truth(db_session.connection())
    # No rollup row is left at zero.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MessageStat)
                             .where(MessageStat.messages == 0)) == 0


def test_a_bulk_insert_appends_one_delta_per_key_on_postgresql(factory, db_session, backend):
    """One INSERT statement of many rows (a multi-row VALUES; an executemany is one statement
    per row with psycopg) appends one delta per key, not one per row."""
    if backend != "postgresql":
        pytest.skip("SQLite has no statement triggers: one delta per row there")
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    db_session.flush()
    before = db_session.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta))
    db_session.execute(T.insert().values([_row(p.id) for _ in range(500)]))
    after = db_session.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta))
    assert after - before == 1
    assert kept(db_session.connection()) == truth(db_session.connection())


def test_truncate_cancels_every_count_on_postgresql(factory, db_session, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    db_session.execute(T.insert(), [_row(p.id), _row(None, "email", "fr", "sent")])
    stats.compact(db_session)
    db_session.execute(sa.text("TRUNCATE outbox_messages"))
    assert kept(db_session.connection()) == Counter()


def _old_stats(conn, office_id) -> list[dict]:
    """What /messages/stats answered before the rollup, from a full scan (the reference)."""
    totals: dict = {}
    for (channel, language, status), n in sorted(_scoped(truth(conn), office_id).items()):
        entry = totals.setdefault((channel, language), {"channel": channel, "language": language,
                                                        "total": 0, "by_status": {}})
        entry["total"] += n
        entry["by_status"][status] = n
    for entry in totals.values():
        s = entry["by_status"]
        attempted = sum(s.get(k, 0) for k in ("sent", "delivered", "undelivered", "failed"))
        entry["delivery_rate"] = round(s.get("delivered", 0) / attempted, 4) if attempted else None
    return [totals[k] for k in sorted(totals)]


def test_a_caseworker_sees_their_office_and_an_admin_every_message(client, factory, db_session):
    a, b = factory.office(), factory.office()
    cw_a, cw_b = factory.user("caseworker", office=a), factory.user("caseworker", office=b)
    admin = factory.user("admin")
    pa, pb = factory.participant(cw_a, office_id=a.id), factory.participant(cw_b, office_id=b.id)
    db_session.execute(T.insert(), [
        _row(pa.id, "sms", "ne", "delivered"), _row(pa.id, "sms", "ne", "failed"),
        _row(pa.id, "email", "en", "sent"), _row(pb.id, "sms", "ne", "delivered"),
        _row(None, "sms", "fr", "queued")])
    db_session.flush()
    conn = db_session.connection()

    def get(user):
        resp = client.get("/api/v1/messages/stats", headers=factory.headers(user))
        assert resp.status_code == 200
        return resp.get_json()

    mine = get(cw_a)
    assert mine == _old_stats(conn, a.id)
    ne = next(e for e in mine if (e["channel"], e["language"]) == ("sms", "ne"))
    # (registering the participant queued a message too)
    assert ne["by_status"]["delivered"] == ne["by_status"]["failed"] == 1
    assert ne["delivery_rate"] == 0.5
    assert get(cw_b) == _old_stats(conn, b.id)
    everything = get(admin)
    assert everything == _old_stats(conn, None)
    assert ("sms", "fr") in {(e["channel"], e["language"]) for e in everything}  # no participant
    # The participant moves to office b: their messages' counts move with them.
    db_session.execute(P.update().where(P.c.id == pa.id).values(office_id=b.id))
    db_session.flush()
    assert get(cw_a) == _old_stats(conn, a.id)
    assert get(cw_b) == _old_stats(conn, b.id)
    assert sum(e["total"] for e in get(cw_b)) >= 4


def test_the_stats_endpoint_never_reads_the_outbox(app, client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    db_session.execute(T.insert(), [_row(p.id, status="delivered")])
    db_session.flush()
    headers = factory.headers(cw)
    seen: list[str] = []
    engine = app.extensions["journey_db"].engine

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        resp = client.get("/api/v1/messages/stats", headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert resp.status_code == 200 and resp.get_json()[0]["by_status"]["delivered"] >= 1
    assert any("message_stat_deltas" in s for s in seen)  # the listener saw the stats query
    assert not [s for s in seen if "outbox_messages" in s]


# --- concurrent writers on PostgreSQL ------------------------------------------------------------

@pytest.fixture
def live_app(app, own_app):
    return own_app()


def _populate(live, people: int) -> tuple[list[int], list[int]]:
    """Two offices, participants spread over them, and four queued messages each (committed)."""
    from journey.accounts.services import create_user
    from journey.continuum.intake import register_participant
    from journey.core.db import db
    from journey.organisations.models import Office
    from tests.factories import PASSWORD

    with live.test_request_context(), db.job_session() as sess:
        offices = [Office(code=f"C{i}", name=f"Concurrent {i}", country="NP",
                          timezone="Asia/Kathmandu", created_at=utcnow()) for i in range(2)]
        sess.add_all(offices)
        sess.flush()
        admin = create_user(sess, None, {"username": "admin", "full_name": "Admin",
                                         "role": "admin", "password": PASSWORD})
        ids = [register_participant(sess, admin, {
            "given_name": f"G{i}", "family_name": "F", "date_of_birth": date(1990, 1, 1),
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "phone": f"+97798{43000000 + i}", "channels": ["sms"],
            "office_id": offices[i % 2].id}).id for i in range(people)]
        sess.flush()
        sess.execute(T.insert(), [_row(pid, rng_channel, "ne") for pid in ids
                                  for rng_channel in ("sms", "sms", "email", "sms")])
        return [o.id for o in offices], ids


def _retrying(engine, work) -> int:
    """Run work(conn) in its own transaction; a deadlock (an office move against a writer)
    rolls the whole transaction back, so it is simply run again. Returns the deadlocks seen."""
    deadlocks = 0
    while True:
        try:
            with engine.begin() as conn:
                work(conn)
            return deadlocks
        except sa.exc.OperationalError as exc:
            if "deadlock detected" not in str(exc):
                raise
            deadlocks += 1


def test_concurrent_workers_moves_and_compactions_stay_exact_on_postgresql(live_app, backend):
    """Two workers change statuses one message at a time (often the same ones), a third inserts,
    a fourth moves participants between offices, while compaction runs in a loop; a checker
    compares the counts with the full scan in one REPEATABLE READ snapshot throughout."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite writes one at a time)")
    offices, people = _populate(live_app, 12)
    engine = live_app.extensions["journey_db"].engine
    with engine.connect() as conn:
        message_ids = list(conn.scalars(sa.select(T.c.id)))
        initial = sum(truth(conn).values())
    start = threading.Barrier(6)
    writers_done = threading.Event()
    results: dict[str, list] = {"deadlocks": [], "mismatches": [], "checks": [], "folded": []}
    errors: list[BaseException] = []

    def worker(seed: int):
        rng = random.Random(seed)
        hot = message_ids[:6]  # both workers fight over these
        start.wait()
        for _ in range(250):
            mid = rng.choice(hot if rng.random() < 0.4 else message_ids)
            status = rng.choice([s for s in STATUSES if s != "skipped"])
            results["deadlocks"].append(_retrying(engine, lambda conn, mid=mid, status=status:
                                                  conn.execute(T.update().where(T.c.id == mid)
                                                               .values(**_status(status)))))

    def inserter():
        rng = random.Random(3)
        start.wait()
        for _ in range(40):
            rows = [_row(rng.choice(people), "sms", "fr") for _ in range(3)]
            results["deadlocks"].append(_retrying(engine, lambda conn, rows=rows:
                                                  conn.execute(T.insert(), rows)))

    def mover():
        rng = random.Random(4)
        start.wait()
        for _ in range(60):
            pid, office = rng.choice(people), rng.choice(offices)
            results["deadlocks"].append(_retrying(engine, lambda conn, pid=pid, office=office:
                                                  conn.execute(P.update().where(P.c.id == pid)
                                                               .values(office_id=office))))

    def compactor():
        start.wait()
        while not writers_done.is_set():
            results["folded"].append(stats.compact_job(live_app))

    def checker():
        start.wait()
        while not writers_done.is_set():
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                with conn.begin():
                    full, counted = truth(conn), kept(conn)
            results["checks"].append(1)
            if full != counted:
                results["mismatches"].append((full - counted, counted - full))

    def guarded(fn, *args):
        def run():
            try:
                fn(*args)
            except BaseException as exc:  # reported after the join
                errors.append(exc)
                writers_done.set()
        return run

    writers = [threading.Thread(target=guarded(*job))
               for job in ((worker, 1), (worker, 2), (inserter,), (mover,))]
    loops = [threading.Thread(target=guarded(compactor)), threading.Thread(target=guarded(checker))]
    for t in writers + loops:
        t.start()
    for t in writers:
        t.join(timeout=120)
    writers_done.set()
    for t in loops:
        t.join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in writers + loops)
    assert not results["mismatches"], results["mismatches"][:3]
    assert len(results["checks"]) >= 3 and sum(results["folded"]) > 0, results
    with engine.connect() as conn:
        assert kept(conn) == truth(conn)
    stats.compact_job(live_app)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(MessageStatDelta)) == 0
        full = truth(conn)
        assert kept(conn) == full
        assert sum(full.values()) == initial + 40 * 3
