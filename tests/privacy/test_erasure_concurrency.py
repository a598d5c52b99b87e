"""Two erasures of one person at once: one erases, the other is refused, one audit event.

PostgreSQL only, on its own migrated database (the per-test transaction cannot hold two writers):
there the participant's row lock decides. On SQLite every transaction begins IMMEDIATE, so the
second erasure cannot even read the record before the first commits.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import db
from journey.core.errors import Conflict
from journey.participants.models import Participant


@pytest.fixture
def erasure_app(own_app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    return own_app()


def test_two_erasures_at_once_erase_once(erasure_app):
    from journey.accounts.services import create_user
    from journey.continuum.intake import register_participant
    from journey.core.db import utcnow
    from journey.organisations.models import Office
    from journey.privacy import erasure

    app = erasure_app
    with app.app_context(), db.job_session() as sess:
        office = Office(code="CC1", name="Concurrent", country="NP", timezone="Asia/Kathmandu",
                        created_at=utcnow())
        sess.add(office)
        sess.flush()
        sup = create_user(sess, None, {"username": "sup", "full_name": "Sup", "role": "supervisor",
                                       "password": "a long enough password", "language": "en",
                                       "office_id": office.id})
        p = register_participant(sess, sup, {
            "given_name": "Twice", "family_name": "Erased", "date_of_birth": date(1990, 5, 5),
            "sex": "male", "nationality": "NP", "origin_country": "NP", "language": "ne",
            "timezone": "Asia/Kathmandu", "office_id": office.id})
        pid, sup_id = p.id, sup.id

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def erase_once():
        with app.app_context():
            try:
                with db.job_session() as sess:
                    person = sess.get(Participant, pid)
                    barrier.wait(timeout=10)
                    erasure.erase(sess, person, actor_id=sup_id, reason="subject_request")
                outcomes.append("erased")
            except Conflict as err:
                outcomes.append(err.code)

    threads = [threading.Thread(target=erase_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["already-erased", "erased"], outcomes
    with app.app_context(), db.job_session() as sess:
        events = sess.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "privacy:participant:erase", AuditEvent.object_id == pid))
    assert events == 1
