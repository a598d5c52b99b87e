"""The audit chain: every event hashed onto the one before; `journey audit verify` names the first
broken link; rows cannot be replaced, updated, deleted or truncated (finding 1 of issue #11)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from journey.core import audit
from journey.core.audit import GENESIS, AuditEvent, AuditSeal, event_hash
from journey.core.db import db
from tests.auditlog.conftest import (
    attacker,
    deletion_guard,
    drop_guard,
    seal,
    verify_cli,
    write_events,
)


def _ids(app) -> list[int]:
    """The events' ids in chain order (everything committed is sealed first)."""
    seal(app)
    with app.app_context(), db.job_session() as sess:
        return list(sess.scalars(sa.select(AuditSeal.event_id).order_by(AuditSeal.seq)))


def test_each_event_is_sealed_onto_the_one_before(chain_app):
    write_events(chain_app, 5, per_commit=2)
    seal(chain_app)
    with chain_app.app_context(), db.job_session() as sess:
        rows = sess.execute(sa.select(AuditEvent, AuditSeal).join(
            AuditSeal, AuditSeal.event_id == AuditEvent.id).order_by(AuditSeal.seq)).all()
    assert [s.seq for _e, s in rows] == [1, 2, 3, 4, 5]
    assert [e.id for e, _s in rows] == sorted(e.id for e, _s in rows)
    assert rows[0][1].prev_hash == GENESIS
    for (_e, before), (_e2, after) in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    for e, s in rows:
        assert s.hash == event_hash({**e.model_dump(), "seq": s.seq, "prev_hash": s.prev_hash})
    assert rows[2][0].details == {"n": 2, "tag": "x", "ratio": 0.5, "ids": [1, 2]}


def test_intact_chain_verifies(chain_app):
    write_events(chain_app, 7, per_commit=3)
    result = verify_cli(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact: 7 events checked" in result.output


def test_empty_chain_verifies(chain_app):
    result = verify_cli(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact: 0 events checked" in result.output


def test_details_edited_through_raw_sql_fail_verify_naming_the_event(chain_app):
    write_events(chain_app, 6)
    victim = _ids(chain_app)[3]
    engine = attacker(chain_app)
    with engine.begin() as conn:
        drop_guard(conn, "audit_events_no_update")
        conn.execute(sa.text("UPDATE audit_events SET details = :d WHERE id = :id"),
                     {"d": '{"n": 99, "tag": "x", "ratio": 0.5, "ids": [1, 2]}', "id": victim})
    engine.dispose()
    result = verify_cli(chain_app)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {victim} (content-changed)" in result.output
    assert "3 events checked before it" in result.output


def test_a_deleted_middle_event_is_detected_with_or_without_its_seal(chain_app):
    write_events(chain_app, 6)
    ids = _ids(chain_app)
    engine = attacker(chain_app)
    with engine.begin() as conn:
        drop_guard(conn, deletion_guard(conn, "audit_events"))
        drop_guard(conn, deletion_guard(conn, "audit_seals"))
        # Seal and event both: a gap in seq, named at the next event.
        conn.execute(sa.text("DELETE FROM audit_seals WHERE event_id = :id"), {"id": ids[2]})
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
    result = verify_cli(chain_app)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {ids[3]} (missing-event)" in result.output
    with engine.begin() as conn:
        # The event alone, its foreign key dropped too: its seal names it.
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_seals "
                                 "DROP CONSTRAINT fk_audit_seals_event_id_audit_events")
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    engine.dispose()
    result = verify_cli(chain_app)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {ids[1]} (missing-event)" in result.output


def test_a_relinked_seal_with_a_recomputed_hash_is_a_broken_link(chain_app):
    write_events(chain_app, 4)
    ids = _ids(chain_app)
    engine = attacker(chain_app)
    with engine.begin() as conn:
        drop_guard(conn, "audit_seals_no_update")
        event = conn.execute(sa.select(AuditEvent.__table__).where(AuditEvent.id == ids[2])).one()
        forged = {**event._mapping, "seq": 3, "prev_hash": "f" * 64}
        conn.execute(sa.text("UPDATE audit_seals SET prev_hash = :p, hash = :h "
                             "WHERE event_id = :id"),
                     {"p": forged["prev_hash"], "h": event_hash(forged), "id": ids[2]})
    engine.dispose()
    result = verify_cli(chain_app)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {ids[2]} (link-broken)" in result.output


def test_a_rolled_back_transaction_leaves_no_events_and_the_chain_intact(chain_app):
    write_events(chain_app, 2)
    with chain_app.app_context(), pytest.raises(RuntimeError):  # noqa: PT012
        with db.job_session() as sess:
            audit.record(sess, "tests:thing:lost", actor_id=None, object_type="thing")
            raise RuntimeError("the change failed")
    with chain_app.app_context(), db.job_session() as sess:
        # A savepoint rolled back takes its events with it; the outer transaction's stay.
        audit.record(sess, "tests:thing:kept", actor_id=None, object_type="thing")
        nested = sess.begin_nested()
        audit.record(sess, "tests:thing:undone", actor_id=None, object_type="thing")
        nested.rollback()
        with sess.begin_nested():
            audit.record(sess, "tests:thing:nested", actor_id=None, object_type="thing")
    write_events(chain_app, 1)
    seal(chain_app)
    with chain_app.app_context(), db.job_session() as sess:
        actions = sess.scalars(sa.select(AuditEvent.action).join(
            AuditSeal, AuditSeal.event_id == AuditEvent.id).order_by(AuditSeal.seq)).all()
        seqs = sess.scalars(sa.select(AuditSeal.seq).order_by(AuditSeal.seq)).all()
    assert actions == ["tests:thing:poke", "tests:thing:poke", "tests:thing:kept",
                       "tests:thing:nested", "tests:thing:poke"]
    assert seqs == [1, 2, 3, 4, 5]
    result = verify_cli(chain_app)
    assert result.exit_code == 0 and "intact: 5 events checked" in result.output, result.output


def test_a_session_closed_without_commit_forgets_its_events(chain_app):
    with chain_app.app_context():
        sess = db.state.session_factory()
        audit.record(sess, "tests:thing:abandoned", actor_id=None, object_type="thing")
        sess.close()
        audit.record(sess, "tests:thing:poke", actor_id=None, object_type="thing")
        sess.commit()
        sess.close()
        with db.job_session() as check:
            assert check.scalars(sa.select(AuditEvent.action)).all() == ["tests:thing:poke"]


def test_events_recorded_in_a_transaction_can_be_read_back_in_it(app, db_session):
    with app.app_context():
        audit.record(db_session, "tests:thing:echo", actor_id=None, object_type="thing", object_id=7)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "tests:thing:echo"))
    assert count == 1


# --- the guards -------------------------------------------------------------------------------

def _one_event(app, db_session) -> tuple[AuditEvent, AuditSeal]:
    with app.app_context():
        audit.record(db_session, "tests:thing:poke", actor_id=None, object_type="thing")
    audit.flush(db_session)
    audit.seal(db_session.connection(), audit.ALL)
    event = db_session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return event, db_session.scalars(sa.select(AuditSeal).where(AuditSeal.event_id == event.id)).one()


def _refused(db_session, sql: str, params: dict | None = None, match: str = "append-only"
             ) -> None:
    nested = db_session.begin_nested()
    with pytest.raises(DatabaseError, match=match):
        db_session.execute(sa.text(sql), params or {})
    nested.rollback()


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE INTO", "REPLACE INTO"])
def test_sqlite_replace_of_an_event_or_a_seal_is_refused(app, db_session, backend, verb):
    if backend != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    e, s = _one_event(app, db_session)
    _refused(db_session, f"{verb} audit_events (id, occurred_at, action, object_type, details) "
                         "VALUES (:id, '2020-01-01 00:00:00', 'x:y:z', 'thing', '{}')", {"id": e.id})
    # Colliding on seq, and on the event alone (a REPLACE deletes whichever row conflicts).
    columns = "(seq, event_id, prev_hash, hash, sealed_at)"
    values = "(:seq, :event, :h, :h, '2020-01-01 00:00:00')"
    _refused(db_session, f"{verb} audit_seals {columns} VALUES {values}",
             {"seq": s.seq, "event": e.id + 1000, "h": "0" * 64})
    _refused(db_session, f"{verb} audit_seals {columns} VALUES {values}",
             {"seq": s.seq + 1000, "event": e.id, "h": "0" * 64})
    db_session.expire_all()
    assert db_session.get(AuditEvent, e.id).action == "tests:thing:poke"
    assert db_session.get(AuditSeal, s.seq).hash == s.hash


def test_update_and_delete_are_refused(app, db_session):
    e, s = _one_event(app, db_session)
    _refused(db_session, "UPDATE audit_events SET details = '{}' WHERE id = :id", {"id": e.id})
    _refused(db_session, "DELETE FROM audit_events WHERE id = :id", {"id": e.id})
    upsert = ("INSERT INTO audit_events (id, occurred_at, action, object_type, details) "
              "VALUES (:id, CURRENT_TIMESTAMP, 'x:y:z', 'thing', '{}') "
              "ON CONFLICT (id) DO UPDATE SET action = 'x:y:z'")
    _refused(db_session, upsert, {"id": e.id})
    _refused(db_session, "UPDATE audit_seals SET hash = :h WHERE seq = :seq",
             {"h": "0" * 64, "seq": s.seq})
    _refused(db_session, "DELETE FROM audit_seals WHERE seq = :seq", {"seq": s.seq})
    _refused(db_session, "INSERT INTO audit_seals (seq, event_id, prev_hash, hash, sealed_at) "
                         "VALUES (:seq, :id, '0', '0', CURRENT_TIMESTAMP) "
                         "ON CONFLICT (seq) DO UPDATE SET hash = '0'",
             {"seq": s.seq, "id": e.id})


def test_postgres_truncate_is_refused(app, db_session, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused above)")
    _one_event(app, db_session)
    # audit_events alone is refused by the seals' foreign key before its trigger is asked.
    _refused(db_session, "TRUNCATE audit_events", match="append-only|foreign key")
    _refused(db_session, "TRUNCATE audit_events CASCADE")
    _refused(db_session, "TRUNCATE audit_seals")
    _refused(db_session, "TRUNCATE audit_seals CASCADE")


def _head(result) -> str:
    return result.output.rsplit("head ", 1)[1].split()[0]


def test_a_rewrite_with_every_hash_recomputed_fails_against_a_noted_anchor(chain_app):
    write_events(chain_app, 4)
    anchor = _head(verify_cli(chain_app))
    ids = _ids(chain_app)
    engine = attacker(chain_app)
    with engine.begin() as conn:
        drop_guard(conn, "audit_events_no_update")
        drop_guard(conn, "audit_seals_no_update")
        conn.execute(sa.text("UPDATE audit_events SET object_id = 500 WHERE id = :id"),
                     {"id": ids[1]})  # the edit; the rest is covering it up
        table = AuditEvent.__table__
        prev = conn.execute(sa.select(AuditSeal.hash).where(AuditSeal.seq == 1)).scalar_one()
        for seq, event_id in enumerate(ids[1:], start=2):
            row = dict(conn.execute(sa.select(table).where(table.c.id == event_id)).one()._mapping)
            digest = event_hash({**row, "seq": seq, "prev_hash": prev})
            conn.execute(sa.text("UPDATE audit_seals SET prev_hash = :p, hash = :h "
                                 "WHERE seq = :seq"), {"p": prev, "h": digest, "seq": seq})
            prev = digest
    engine.dispose()
    assert verify_cli(chain_app).exit_code == 0  # a consistent forgery: only an anchor shows it
    runner = chain_app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1, result.output
    assert f"BROKEN at event {ids[-1]} (anchor-mismatch)" in result.output
    bad = runner.invoke(args=["audit", "verify", "--anchor", "4:xyz"])
    assert bad.exit_code == 2 and "SEQ:HASH" in bad.output


def test_removing_the_newest_events_fails_against_a_noted_anchor(chain_app):
    write_events(chain_app, 3)
    anchor = _head(verify_cli(chain_app))
    ids = _ids(chain_app)
    engine = attacker(chain_app)
    with engine.begin() as conn:
        drop_guard(conn, deletion_guard(conn, "audit_events"))
        drop_guard(conn, deletion_guard(conn, "audit_seals"))
        conn.execute(sa.text("DELETE FROM audit_seals WHERE seq = 3"))
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
    engine.dispose()
    assert verify_cli(chain_app).exit_code == 0
    result = chain_app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1, result.output
    assert "(missing-event)" in result.output and "newest events were removed" in result.output


def test_bulk_loaders_append_chained_rows_on_a_connection(chain_app):
    from journey.core.db import utcnow

    write_events(chain_app, 2)
    engine = chain_app.extensions["journey_db"].engine
    with engine.begin() as conn:
        audit.append(conn, [{"occurred_at": utcnow(), "actor_id": None, "action": "tests:bulk:load",
                             "object_type": "thing", "object_id": i, "office_id": None,
                             "request_id": None, "details": {"i": i}} for i in range(5)])
    write_events(chain_app, 1)
    result = verify_cli(chain_app)
    assert result.exit_code == 0 and "intact: 8 events checked" in result.output, result.output
