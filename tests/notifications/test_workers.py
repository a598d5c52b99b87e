"""Several workers and schedulers sharing one database, with real commits (a fresh database,
not the per-test transaction)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from journey import create_app
from journey.cli import alembic_config
from journey.core.db import db
from notifications.models import OutboxMessage
from notifications.scheduler import Leadership
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def live_app(fresh_database_url, instance_dir):
    url = fresh_database_url()
    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_PROFILE": "cheapest",
                      "SMS_RATE_PER_SECOND": 0, "EMAIL_RATE_PER_SECOND": 0,
                      "QUIET_HOURS": "00:00-00:00", "LOG_TRACEBACKS": False})
    yield app
    app.extensions["journey_db"].engine.dispose()


def _populate(app, n: int) -> None:
    from journey.accounts.services import create_user
    from journey.consent.services import grant
    from journey.continuum.intake import register_participant
    from journey.core.db import utcnow
    from journey.organisations.models import Office

    with app.test_request_context(), db.job_session() as sess:
        office = Office(code="W1", name="Workers", country="NP", timezone="Asia/Kathmandu",
                        created_at=utcnow())
        sess.add(office)
        sess.flush()
        cw = create_user(sess, None, {"username": "cw", "full_name": "Cw", "role": "caseworker",
                                      "password": PASSWORD, "office_id": office.id})
        for i in range(n):
            p = register_participant(sess, cw, {
                "given_name": f"G{i}", "family_name": "F", "date_of_birth": date(1990, 1, 1),
                "sex": "female", "nationality": "NP", "origin_country": "NP",
                "phone": f"+97798{42000000 + i}", "channels": ["sms"]})
            grant(sess, cw, p, purpose="updates", method="sms")


def test_two_workers_send_every_message_exactly_once(live_app, messaging, fake_twilio, backend):
    if backend != "postgresql":
        pytest.skip("several workers share one database on PostgreSQL (FOR UPDATE SKIP LOCKED)")
    _populate(live_app, 120)
    workers = [messaging(worker_id=f"w{i}", target_app=live_app) for i in range(2)]
    for w in workers:
        w.batch = 7  # small batches, so the two really interleave
    handled = Counter()

    def run(w):
        while n := w.run_once(datetime.now(UTC)):
            handled[w.worker_id] += n

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    mids = Counter(r.form["StatusCallback"].rsplit("mid=", 1)[1] for r in fake_twilio.received)
    assert len(mids) == 120 and set(mids.values()) == {1}
    assert handled["w0"] > 0 and handled["w1"] > 0, handled  # both took part
    with live_app.app_context():
        statuses = db.session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                      .group_by(OutboxMessage.status)).all()
    assert dict(statuses) == {"sent": 120}


def test_only_one_scheduler_leads_on_postgresql(live_app, backend):
    engine = live_app.extensions["journey_db"].engine
    first, second = Leadership(engine), Leadership(engine)
    try:
        assert first.try_acquire() is True
        if backend == "postgresql":
            assert second.try_acquire() is False
            first.release()
            assert second.try_acquire() is True  # takes over when the leader goes
        else:
            assert second.try_acquire() is True  # one machine: the scheduler simply leads
    finally:
        first.release()
        second.release()


def test_reminder_jobs_are_idempotent(live_app):
    """The scan job queues one permit reminder per permit and offset however often it runs, and
    release_deferred puts due deferred messages back in the queue."""
    from datetime import timedelta

    from journey.continuum.cli import scan_job
    from journey.continuum.services import record_permit
    from journey.core.auth import User
    from journey.core.db import utcnow
    from journey.participants.models import Participant
    from notifications.scheduler import release_deferred

    _populate(live_app, 1)
    with live_app.test_request_context(), db.job_session() as sess:
        p = sess.scalars(sa.select(Participant)).one()
        actor = sess.scalars(sa.select(User)).one()
        record_permit(sess, actor, p, {"type": "work_permit", "issuing_country": "PT",
                                       "status": "issued",
                                       "expires_on": utcnow().date() + timedelta(days=5)})
        sess.execute(sa.update(OutboxMessage).values(status="deferred", not_before=utcnow()))
    first, second = scan_job(live_app), scan_job(live_app)
    assert first["permit_expiring"] == 1 and second["permit_expiring"] == 0
    with live_app.app_context():
        reminders = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.template == "permit_expiring"))
    assert reminders == 1
    assert release_deferred(live_app) == 1  # the registration message deferred above
    assert release_deferred(live_app) == 0
