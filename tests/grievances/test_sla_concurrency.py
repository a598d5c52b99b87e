"""Two schedulers scanning at once on PostgreSQL escalate each breach exactly once.

Each scheduler is a thread with its own connection and transaction on a database of its own
(the per-test transaction cannot hold two writers). The first holds its transaction open after
its scan, so the second's UPDATEs meet its row locks, wait, and then find the breaches escalated
already. On SQLite every transaction begins IMMEDIATE: a second scheduler cannot even start
before the first commits, so there is no race to test there.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db
from journey.grievances import services, sla
from journey.grievances.models import Channel, Escalation, FocalPoint, Grievance, GrievanceEntry
from notifications.models import OutboxMessage

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BREACHES = 20


@pytest.fixture
def race_app(own_app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: two scans cannot overlap")
    return own_app()


def _seed(app) -> tuple[list[int], dict[str, int]]:
    from journey.accounts.services import create_user
    from journey.core.db import utcnow
    from journey.organisations.models import Office

    with app.test_request_context(), db.job_session() as sess:
        office = Office(code="SLA1", name="Race", country="NP", timezone="UTC",
                        created_at=utcnow())
        sess.add(office)
        sess.flush()
        people = {}
        for name, role, email in (("sup", "supervisor", "sup@example.org"),
                                  ("focal", "caseworker", "focal@example.org"),
                                  ("cw", "caseworker", None)):
            people[name] = create_user(sess, None, {
                "username": name, "full_name": name.title(), "role": role, "email": email,
                "password": "a long enough password", "language": "en",
                "office_id": office.id}).id
        sess.add(FocalPoint(office_id=office.id, user_id=people["focal"], created_at=T0))
        worker = sess.get(User, people["cw"])
        ids = []
        for n in range(BREACHES):
            g, _code = services.intake(sess, worker, {
                "category": "wages", "severity": "high", "description": f"Unpaid {n}"},
                channel=Channel.STAFF, now=T0)
            ids.append(g.id)
        due = g.ack_due_at
    return ids, {**people, "due": due}


def test_two_schedulers_at_once_escalate_each_breach_once(race_app):
    app = race_app
    ids, seeded = _seed(app)
    now = seeded["due"] + timedelta(minutes=5)
    barrier = threading.Barrier(2)
    first_scanned = threading.Event()
    results: dict[str, dict] = {}
    errors: list[BaseException] = []
    waited: list[float] = []

    def scheduler(name: str) -> None:
        try:
            with app.test_request_context(), db.job_session() as sess:
                barrier.wait(timeout=10)
                if name == "second":
                    first_scanned.wait(timeout=10)
                    started = time.monotonic()
                results[name] = sla.scan(sess, now)
                if name == "first":
                    first_scanned.set()
                    time.sleep(0.5)  # hold the row locks while the second scans
                else:
                    waited.append(time.monotonic() - started)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert results["first"]["escalated"] == BREACHES
    assert results["second"]["escalated"] == 0 and results["second"]["emails"] == 0
    assert waited[0] >= 0.3  # the second really met the first's locks

    with app.app_context(), db.job_session() as sess:
        rows = sess.execute(sa.select(Escalation.grievance_id, Escalation.user_id)).all()
        assert sorted(rows) == sorted((gid, uid) for gid in ids
                                      for uid in (seeded["sup"], seeded["focal"]))
        mails = sess.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.template == "grievance_escalated.acknowledge")).all()
        assert len(mails) == 2 * BREACHES
        assert sorted({m.recipient for m in mails}) == ["focal@example.org", "sup@example.org"]
        entries = sess.scalar(sa.select(sa.func.count()).select_from(GrievanceEntry).where(
            GrievanceEntry.kind == "escalated"))
        assert entries == BREACHES
        assert set(sess.scalars(sa.select(Grievance.sla_status))) == {"breached"}


def test_two_schedulers_started_together_still_escalate_once(race_app):
    app = race_app
    ids, seeded = _seed(app)
    now = seeded["due"] + timedelta(minutes=5)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            with app.test_request_context(), db.job_session() as sess:
                barrier.wait(timeout=10)
                results.append(sla.scan(sess, now)["escalated"])
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(results) == BREACHES
    with app.app_context(), db.job_session() as sess:
        assert sess.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 2 * BREACHES
        assert sess.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "grievance_escalated.acknowledge")) == 2 * BREACHES
