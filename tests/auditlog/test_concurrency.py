"""Several writers at once (threads, each committing its own transactions), with the sealer
running beside them, keep one unbroken chain covering every event.

On PostgreSQL the writers really run in parallel: each transaction records events both before
and after updating a participant row that other writers update too.
"""

from __future__ import annotations

import random
import threading

import sqlalchemy as sa

from journey.core import audit
from journey.core.audit import AuditEvent, AuditSeal
from journey.core.db import db, utcnow
from journey.participants.models import Participant
from tests.auditlog.conftest import seal, verify_cli
from tests.factories import Factory

THREADS = 8
TRANSACTIONS = 25


def test_concurrent_writers_keep_one_chain_covering_every_event(chain_app):
    with chain_app.app_context(), db.job_session() as sess:
        factory = Factory(chain_app, sess)
        cw = factory.user("caseworker")
        people = [factory.participant(cw).id for _ in range(3)]
    with chain_app.app_context(), db.job_session() as sess:
        before = sess.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            start.wait()
            for i in range(TRANSACTIONS):
                pid = rng.choice(people)
                with chain_app.app_context(), db.job_session() as sess:
                    def touch(sess=sess, pid=pid):
                        sess.execute(sa.update(Participant).where(Participant.id == pid)
                                     .values(updated_at=utcnow()))
                    if i % 2:
                        touch()
                    audit.record(sess, "tests:participant:touch", actor_id=cw.id,
                                 object_type="participant", object_id=pid, writer=n, i=i)
                    if not i % 2:
                        touch()
                    audit.record(sess, "tests:participant:after", actor_id=cw.id,
                                 object_type="participant", object_id=pid, writer=n, i=i)
        except BaseException as err:  # noqa: BLE001  (reported by the main thread)
            failures.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    sealed = 0
    while any(t.is_alive() for t in threads):  # the scheduler's job, as fast as it can go
        sealed += seal(chain_app)
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    assert not failures, failures
    expected = before + THREADS * TRANSACTIONS * 2
    seal(chain_app)
    with chain_app.app_context(), db.job_session() as sess:
        seqs = sess.scalars(sa.select(AuditSeal.seq).order_by(AuditSeal.seq)).all()
        events = sess.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        unsealed = sess.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            ~sa.exists().where(AuditSeal.event_id == AuditEvent.id)))
    assert seqs == list(range(1, expected + 1))
    assert (events, unsealed) == (expected, 0)
    result = verify_cli(chain_app)
    assert result.exit_code == 0, result.output
    assert f"intact: {expected} events checked" in result.output
