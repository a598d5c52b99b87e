"""The sealer: writers insert events without the chain lock, and a sealer (the scheduler's job,
or verify) chains them afterwards, in the order it finds them committed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.auditlog import sealer
from journey.core import audit
from journey.core.audit import AuditEvent, AuditSeal
from journey.core.db import db, utcnow
from notifications.scheduler import jobs
from tests.auditlog.conftest import attacker, seal, verify_cli, write_events
from tests.factories import Factory

WAIT = 10  # seconds a writer may take before it counts as blocked


def _event(action: str, occurred_at=None) -> dict:
    return {"occurred_at": occurred_at or utcnow(), "actor_id": None, "action": action,
            "object_type": "thing", "object_id": None, "office_id": None, "request_id": None,
            "details": {}}


def _chain(app) -> list[tuple[int, int, str]]:
    """(seq, event id, action) of every seal, in chain order."""
    with app.app_context(), db.job_session() as sess:
        return [tuple(r) for r in sess.execute(
            sa.select(AuditSeal.seq, AuditEvent.id, AuditEvent.action)
            .join(AuditEvent, AuditEvent.id == AuditSeal.event_id).order_by(AuditSeal.seq))]


def _postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE) and seals inline at commit")


def test_a_lower_id_that_commits_last_is_sealed_after_the_higher_one(chain_app, backend):
    _postgres_only(backend)
    engine = chain_app.extensions["journey_db"].engine
    with engine.connect() as first, engine.connect() as second:
        slow = first.begin()
        audit.append(first, [_event("tests:order:first")])  # takes the lower id, commits last
        with second.begin():
            audit.append(second, [_event("tests:order:second")])
        assert audit.seal_pending(engine) == 1
        slow.commit()
    # The scheduler's regular pass (not a full sweep) finds it below the highest sealed id.
    assert audit.seal_pending(engine, audit.RECENT) == 1
    chain = _chain(chain_app)
    assert [(seq, action) for seq, _id, action in chain] == [
        (1, "tests:order:second"), (2, "tests:order:first")]
    assert chain[1][1] < chain[0][1]  # seq is the chain's order, not id
    result = verify_cli(chain_app)
    assert result.exit_code == 0 and "intact: 2 events checked" in result.output, result.output


def test_a_late_commit_of_an_old_event_is_sealed_by_the_jobs_sweep(chain_app, backend):
    _postgres_only(backend)
    engine = chain_app.extensions["journey_db"].engine
    sealer.seal_job(chain_app)  # the first run sweeps; the next ones look at recent events
    with engine.connect() as first, engine.connect() as second:
        slow = first.begin()
        audit.append(first, [_event("tests:order:long", utcnow() - timedelta(minutes=3))])
        with second.begin():
            audit.append(second, [_event("tests:order:quick")])
        assert sealer.seal_job(chain_app) == 1
        slow.commit()
    assert sealer.seal_job(chain_app) == 0  # older than the recent window, below the head
    chain_app.extensions["journey_audit_sealer"]["swept"] -= 3600  # the sweep is due
    assert sealer.seal_job(chain_app) == 1
    assert [a for _s, _i, a in _chain(chain_app)] == ["tests:order:quick", "tests:order:long"]


def test_writers_never_wait_for_each_other_or_for_the_sealer(chain_app, backend):
    _postgres_only(backend)
    engine = chain_app.extensions["journey_db"].engine

    def commit_one(done: threading.Event, failures: list) -> None:
        try:
            with chain_app.app_context(), db.job_session() as sess:
                audit.record(sess, "tests:writer:quick", actor_id=None, object_type="thing")
            done.set()
        except BaseException as err:  # noqa: BLE001  (reported by the main thread)
            failures.append(err)

    def other_writer_commits() -> tuple[threading.Thread, bool, list]:
        done, failures = threading.Event(), []
        thread = threading.Thread(target=commit_one, args=(done, failures))
        thread.start()
        finished = done.wait(WAIT)
        return thread, finished, failures

    with chain_app.app_context():
        # A writer with an audit event written, its transaction still open.
        open_writer = db.state.session_factory()
        audit.record(open_writer, "tests:writer:slow", actor_id=None, object_type="thing")
        assert audit.flush(open_writer) == 1
        try:
            thread, finished, failures = other_writer_commits()
        finally:
            open_writer.rollback()
            open_writer.close()
        thread.join(WAIT)
        assert finished and not failures, failures or "a writer waited for another's commit"

    # A sealer in the middle of a pass holds the chain lock.
    with engine.connect() as sealing:
        pass_in_progress = sealing.begin()
        sealing.execute(sa.select(sa.func.pg_advisory_xact_lock(audit.CHAIN_LOCK)))
        try:
            thread, finished, failures = other_writer_commits()
        finally:
            pass_in_progress.rollback()
        thread.join(WAIT)
        assert finished and not failures, failures or "a writer waited for the sealer"
    assert seal(chain_app) == 2


def _insert_past_the_sealer(app, occurred_at) -> int:
    """An event inserted by plain SQL, as no code of the app does: nobody will seal it."""
    engine = attacker(app)
    with engine.begin() as conn:
        table = AuditEvent.__table__
        event_id = conn.execute(table.insert().values(_event("tests:sneak:in", occurred_at))
                                .returning(table.c.id)).scalar_one()
    engine.dispose()
    return event_id


def test_an_event_left_unsealed_beyond_the_grace_period_is_reported(chain_app):
    write_events(chain_app, 2)
    stale = _insert_past_the_sealer(chain_app, utcnow() - timedelta(minutes=20))
    _insert_past_the_sealer(chain_app, utcnow())  # within the grace period: not a finding
    result = verify_cli(chain_app)
    assert result.exit_code == 1, result.output
    assert f"1 event(s) recorded more than 600 s ago have no seal, the first event {stale} " \
           "(unsealed)" in result.output
    # Sealing it (the scheduler's job, or that verify on PostgreSQL) puts that on the chain.
    sealer.seal_job(chain_app)
    result = verify_cli(chain_app)
    assert result.exit_code == 0, result.output
    assert "intact: 5 events checked" in result.output
    with chain_app.app_context(), db.job_session() as sess:
        late = sess.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == audit.SEALED_LATE)).one()
    assert late.details == {"count": 1, "first_id": stale, "last_id": stale}


def test_the_verify_api_reports_unsealed_events_and_passes_once_sealed(chain_app):
    with chain_app.app_context(), db.job_session() as sess:
        factory = Factory(chain_app, sess)
        headers = factory.headers(factory.user("admin"))
    write_events(chain_app, 3)
    client = chain_app.test_client()
    resp = client.post("/api/v1/audit/verify", json={}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["intact"] is True and resp.get_json()["unsealed"] == 0
    stale = _insert_past_the_sealer(chain_app, utcnow() - timedelta(hours=1))
    body = client.post("/api/v1/audit/verify", json={}, headers=headers).get_json()
    assert (body["intact"], body["reason"], body["broken_at"], body["unsealed"]) == (
        False, "unsealed", stale, 1)
    sealer.seal_job(chain_app)
    assert client.post("/api/v1/audit/verify", json={}, headers=headers).get_json()["intact"]


def test_the_scheduler_runs_the_sealer_every_few_seconds(chain_app):
    assert ("audit_seal", sealer.seal_job, 5) in jobs(chain_app)


def test_events_are_listed_with_their_seal_once_sealed(chain_app, backend):
    with chain_app.app_context(), db.job_session() as sess:
        factory = Factory(chain_app, sess)
        headers = factory.headers(factory.user("admin"))
    write_events(chain_app, 2, action="tests:listed:poke")
    client = chain_app.test_client()

    def listed() -> list[dict]:
        resp = client.get("/api/v1/audit-events/?action=tests:listed:poke&sort=id",
                          headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["items"]

    if backend == "postgresql":
        assert [e["seq"] for e in listed()] == [None, None]
    seal(chain_app)
    items = listed()
    assert all(e["seq"] and len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in items)
    assert items[1]["prev_hash"] == items[0]["hash"]
