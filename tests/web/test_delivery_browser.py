"""The delivery problems page in a real Chromium: reached from the header, lists the office's
failed messages, checks the unknown ones with the provider (the console backend's file) and shows
the result; both states pass axe-core."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.participants.models import Participant
from notifications.channels import SmsMessage
from notifications.models import OutboxMessage
from notifications.sms import ConsoleSmsSender
from tests.web.axe import assert_accessible
from tests.web.test_browser import (  # noqa: F401 (the module's fixtures and its skip mark)
    browser,
    live,
    log_in,
    page,
    pytestmark,
)


def _leave_unknown(live) -> tuple[int, str, int]:  # noqa: F811
    """Two SMS of the supervisor's office left outcome-unknown by a worker that died; the first
    had been written to the console backend's file. Returns their ids and the first's reference."""
    now = utcnow()
    with live.app.app_context(), db.job_session() as sess:
        office_id = sess.scalars(sa.select(User.office_id).where(User.username == "supervisor")).one()
        rows = sess.execute(
            sa.select(OutboxMessage, Participant.reference)
            .join(Participant, Participant.id == OutboxMessage.participant_id)
            .where(Participant.office_id == office_id, OutboxMessage.channel == "sms")
            .order_by(OutboxMessage.id).limit(2)).all()
        (found, reference), (lost, _ref) = rows
        for msg, age in ((found, timedelta(minutes=10)), (lost, timedelta(hours=6))):
            msg.status, msg.last_error_code, msg.skip_reason = "failed", "outcome-unknown", None
            msg.created_at = msg.not_before = now - age
            msg.updated_at = now - age + timedelta(minutes=6)
        console = ConsoleSmsSender(Path(live.app.config["INSTANCE_PATH"]) / "outbox-sms.log")
        console.send(SmsMessage(to=found.recipient, body=found.body, message_id=found.id))
        return found.id, reference, lost.id


def test_a_supervisor_checks_unknown_messages_with_the_provider(page, live):  # noqa: F811
    found_id, reference, lost_id = _leave_unknown(live)
    log_in(page, live, "supervisor")
    mark = page.mark()
    page.click('header.site nav a[href="/messages/delivery"]')
    page.wait_for_load(mark)
    assert page.js("document.querySelector('h1').textContent") == "Delivery problems"
    rows = page.js("[...document.querySelectorAll('#problems tbody tr')].map(r => r.dataset.id)")
    assert str(found_id) in rows and str(lost_id) in rows
    link = page.js(f"document.querySelector('#problems tr[data-id=\"{found_id}\"] td.ref a')"
                   ".getAttribute('href')")
    assert link.startswith("/participants/")
    assert reference in page.js("document.querySelector('#problems').innerText")
    assert "2 SMS have an unknown outcome." in page.js(
        "document.querySelector('#unknown-summary').textContent.replace(/\\s+/g, ' ')")
    assert page.js("document.querySelectorAll('#stats tbody tr').length") >= 1
    assert_accessible(page)

    mark = page.mark()
    page.click("main form button[type=submit]")
    page.wait_for_load(mark)
    assert page.js("location.pathname") == "/messages/delivery"
    result = page.js("document.querySelector('#check-result').textContent.replace(/\\s+/g, ' ')")
    assert "Checked 2 messages with the provider. 2 settled." in result
    assert "found at the provider: recorded as sent" in result
    assert "not sent: queued to be sent again" in result
    rows = page.js("[...document.querySelectorAll('#problems tbody tr')].map(r => r.dataset.id)")
    assert str(found_id) not in rows and str(lost_id) not in rows
    assert_accessible(page)
    with live.app.app_context(), db.job_session() as sess:
        assert sess.get(OutboxMessage, found_id).status == "sent"
        assert sess.get(OutboxMessage, lost_id).status == "queued"
