"""Retention: message texts, closed cases and failed logins, each kept no longer than its period."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.auth import LoginAttempt
from journey.core.db import utcnow
from journey.participants.models import Participant
from journey.privacy import holds, retention
from notifications.hooks import hooks_for
from notifications.models import InboundMessage, OutboxMessage
from tests.privacy.helpers import GIVEN, configure, database_hits, make_subject

DAY = timedelta(days=1)


@pytest.fixture
def subject(app, client, factory, db_session, monkeypatch):
    configure(app, monkeypatch)
    return make_subject(app, client, factory, db_session)


def _age_messages(db_session, participant_id: int, days: int) -> None:
    then = utcnow() - days * DAY
    db_session.execute(sa.update(OutboxMessage).where(OutboxMessage.participant_id == participant_id)
                       .values(updated_at=then))
    db_session.execute(sa.update(InboundMessage).where(InboundMessage.participant_id == participant_id)
                       .values(received_at=then))
    db_session.flush()


def _close_long_ago(db_session, participant_id: int, days: int) -> None:
    db_session.execute(sa.update(Participant).where(Participant.id == participant_id)
                       .values(stage_entered_at=utcnow() - days * DAY))
    db_session.flush()


def test_message_texts_go_once_older_than_the_message_retention(app, db_session, subject,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_MESSAGE_DAYS", 30)
    pid = subject.participant.id
    mine = OutboxMessage.participant_id == pid
    ids = sorted(db_session.scalars(sa.select(OutboxMessage.id).where(mine)))
    assert ids
    with app.app_context():
        assert retention.plan(db_session, app.config).messages == {}  # all recent
    _age_messages(db_session, pid, 31)
    with app.app_context():
        planned = retention.plan(db_session, app.config)
    assert planned.messages["outbox_messages"] == ids
    assert len(planned.messages["inbound_messages"]) == 1

    done = retention.apply(app)
    assert done.messages["outbox_messages"] == ids
    db_session.expire_all()
    rows = db_session.scalars(sa.select(OutboxMessage).where(mine)).all()
    assert {(m.body, m.recipient, m.html) for m in rows} == {("", None, None)}
    statuses = {m.status for m in rows}
    assert statuses and "queued" not in statuses  # counts by status stay: only texts go
    # A second run has nothing left to do.
    with app.app_context():
        assert retention.plan(db_session, app.config).messages == {}


def test_a_case_closed_longer_than_the_retention_is_anonymised_unless_held(
        app, client, factory, db_session, connection, subject, monkeypatch):
    for category, days in {"IDENTITY": 400, "CONTACT": 100, "SENSITIVE": 200}.items():
        monkeypatch.setitem(app.config, f"RETENTION_{category}_DAYS", days)
    held = factory.participant(subject.caseworker)
    recent = factory.participant(subject.caseworker)
    with app.app_context():
        holds.set_hold(db_session, subject.supervisor, held, "litigation")
    for p in (held, recent):
        db_session.execute(sa.update(Participant).where(Participant.id == p.id)
                           .values(stage="closed"))
    _close_long_ago(db_session, subject.participant.id, 401)  # past the longest of the three
    _close_long_ago(db_session, held.id, 500)
    _close_long_ago(db_session, recent.id, 399)  # past contact and sensitive, not identity

    with app.app_context():
        planned = retention.plan(db_session, app.config)
    assert planned.participants == [subject.participant.id]
    assert planned.held == [held.id]
    db_session.expire_all()
    assert db_session.get(Participant, subject.participant.id).given_name == GIVEN  # dry

    done = retention.apply(app, batch=1)
    assert done.participants == [subject.participant.id] and done.held == [held.id]
    db_session.expire_all()
    p = db_session.get(Participant, subject.participant.id)
    assert p.erased_at is not None and p.given_name == "Erased"
    assert db_session.get(Participant, held.id).erased_at is None
    assert db_session.get(Participant, recent.id).erased_at is None
    assert [h for h in database_hits(connection) if "Zephyrine" in h or "zephyrine" in h] == []


def test_failed_logins_are_trimmed_after_the_window(app, db_session):
    now = utcnow()
    db_session.add_all([LoginAttempt(key="a" * 64, attempted_at=now - 2 * DAY),
                        LoginAttempt(key="b" * 64, attempted_at=now - timedelta(minutes=1))])
    db_session.flush()
    done = retention.apply(app)
    assert done.login_attempts >= 1
    db_session.expire_all()
    assert db_session.scalars(sa.select(LoginAttempt.key)).all() == ["b" * 64]


def test_the_command_lists_in_a_dry_run_and_applies_without_one(app, client, db_session, subject,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_MESSAGE_DAYS", 30)
    _age_messages(db_session, subject.participant.id, 31)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "outbox_messages: would empty" in dry.output and "inbound_messages" in dry.output
    db_session.expire_all()
    assert db_session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.participant_id == subject.participant.id)).first() != ""
    real = runner.invoke(args=["privacy", "retention", "--batch", "1"])
    assert real.exit_code == 0, real.output
    assert "outbox_messages: did empty" in real.output
    db_session.expire_all()
    assert set(db_session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.participant_id == subject.participant.id))) == {""}


def test_erase_command_erases_by_reference_and_refuses_a_held_record(app, db_session, factory,
                                                                      connection):
    user = factory.user("supervisor")
    p, held = factory.participant(user), factory.participant(user)
    with app.app_context():
        holds.set_hold(db_session, user, held, "regulator")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "erase", p.reference.lower(), "--reason",
                                 "subject_request"])
    assert result.exit_code == 0, result.output
    assert "erased participant" in result.output
    refused = runner.invoke(args=["privacy", "erase", held.reference, "--reason", "duplicate"])
    assert refused.exit_code != 0 and "legal-hold" in refused.output
    db_session.expire_all()
    assert db_session.get(Participant, p.id).erased_at is not None
    assert db_session.get(Participant, held.id).erased_at is None


def test_retention_runs_daily_on_the_scheduler(app):
    jobs = {name: seconds for name, _func, seconds in hooks_for(app).jobs}
    assert jobs["privacy_retention"] == 86400
