"""A status callback racing the worker's own write never moves a message backwards.

PostgreSQL only, on its own migrated database (the per-test transaction cannot hold two writers):
the worker has written ``failed`` but not yet committed when Twilio's late ``sent`` arrives. The
callback must wait for the worker's commit and then see ``failed``, not overwrite it with ``sent``
from what it read before. On SQLite every request begins IMMEDIATE, so the two cannot interleave.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from journey.core.db import db, utcnow
from notifications.models import OutboxMessage

TOKEN = "race-test-auth-token"
PUBLIC = "https://journey.example.org"


@pytest.fixture
def race_app(own_app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    return own_app(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)


def _waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))


def test_a_late_sent_callback_waits_for_the_workers_failed_and_keeps_it(race_app):
    app = race_app
    now = utcnow()
    with app.app_context(), db.job_session() as sess:
        msg = OutboxMessage(channel="sms", template="t", language="en", recipient="+15555550100",
                            timezone="UTC", body="hello", status="sending", not_before=now,
                            provider_id="SMrace0001", created_at=now, updated_at=now)
        sess.add(msg)
        sess.flush()
        mid = msg.id
        engine = sess.get_bind()

    url = f"{PUBLIC}/webhooks/twilio/status?mid={mid}"
    params = {"MessageSid": "SMrace0001", "MessageStatus": "sent", "AccountSid": "ACx"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    answers: list[int] = []

    worker = engine.connect()
    worker_txn = worker.begin()
    worker.execute(sa.text("UPDATE outbox_messages SET status = 'failed', "
                           "last_error_code = 'timeout' WHERE id = :id"), {"id": mid})

    def callback():
        answers.append(app.test_client().post(
            f"/webhooks/twilio/status?mid={mid}", data=params,
            headers={"X-Twilio-Signature": signature}).status_code)

    thread = threading.Thread(target=callback)
    thread.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock(engine):  # the callback reached the row the worker holds
        assert time.monotonic() < deadline and thread.is_alive(), "the callback never waited"
        time.sleep(0.02)
    worker_txn.commit()
    worker.close()
    thread.join(timeout=30)

    assert answers == [204]
    with engine.connect() as conn:
        status, error = conn.execute(sa.text(
            "SELECT status, last_error_code FROM outbox_messages WHERE id = :id"), {"id": mid}).one()
    assert (status, error) == ("failed", "timeout")
