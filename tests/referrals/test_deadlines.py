"""The deadline scan: the reminder at half the response time, expiry, and escalation of a missed
response or completion to the referring office, each exactly once however often it runs, on the
office's business days; two schedulers at once on PostgreSQL escalate once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.db import db, utcnow
from journey.grievances.models import FocalPoint
from journey.organisations.models import Office, OfficeHoliday
from journey.referrals import deadlines, partner_notify, scan
from journey.referrals.models import Referral, ReferralEvent
from notifications.models import OutboxMessage
from tests.factories import Factory
from tests.referrals.helpers import move, person, refer, setting

_REAL_TELL = partner_notify.tell_partner


def _partner_done() -> bool:
    """Whether helper "partner"'s tell_partner has landed (on main it raised until then)."""
    return "NotImplementedError" not in _REAL_TELL.__code__.co_names


@pytest.fixture(autouse=True)
def partner_calls(monkeypatch) -> list[tuple[str, int]]:
    """Every call of partner_notify.tell_partner, as (kind, referral id); passed on to the real
    one once it is implemented (until then it raised NotImplementedError)."""
    calls: list[tuple[str, int]] = []

    def tell(sess, referral, kind, *, actor_id):
        calls.append((kind, referral.id))
        return _REAL_TELL(sess, referral, kind, actor_id=actor_id) if _partner_done() else 0

    monkeypatch.setattr(partner_notify, "tell_partner", tell)
    return calls


def _scan(app, sess, now):
    with app.test_request_context():
        result = scan.scan(sess, now)
    sess.expire_all()
    return result


def _events(sess, referral_id: int) -> list[str]:
    return list(sess.scalars(sa.select(ReferralEvent.kind).where(
        ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.id)))


def _outbox(sess, template: str) -> list[OutboxMessage]:
    return list(sess.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == template)
                             .order_by(OutboxMessage.id)))


def _office_staff(factory, sess, s):
    office = sess.get(Office, s.office_id)
    sup = factory.user("supervisor", office=office, email="sup@example.org", language="fr")
    focal = factory.user("caseworker", office=office, email="focal@example.org")
    sess.add(FocalPoint(office_id=office.id, user_id=focal.id, created_at=utcnow()))
    s.caseworker.email = "cw@example.org"
    sess.flush()
    return sup, focal


def test_the_reminder_goes_at_half_the_response_time_once(app, factory, db_session,
                                                          partner_calls):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    assert r.remind_at == r.sent_at + (r.response_due_at - r.sent_at) / 2
    assert _scan(app, db_session, r.remind_at - timedelta(seconds=1))["reminded"] == 0
    assert _events(db_session, r.id) == ["created", "send"]
    assert _scan(app, db_session, r.remind_at)["reminded"] == 1
    for later in (r.remind_at, r.remind_at + timedelta(hours=1),
                  r.response_due_at - timedelta(seconds=1)):
        assert _scan(app, db_session, later) == {"expired": 0, "reminded": 0, "escalated": 0,
                                                 "emails": 0}
    assert _events(db_session, r.id) == ["created", "send", "remind"]
    assert db_session.get(Referral, r.id).reminded_at == r.remind_at
    assert partner_calls == [("new", r.id), ("reminder", r.id)]
    remind = db_session.scalars(sa.select(ReferralEvent).where(
        ReferralEvent.referral_id == r.id, ReferralEvent.kind == "remind")).one()
    assert remind.partner_visible and remind.to_state == "sent" and remind.actor_id is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "referrals:referral:remind", AuditEvent.object_id == r.id)) == 1
    if _partner_done():  # one reminder email to the partner's one user
        assert len(_outbox(db_session, partner_notify.REMINDER)) == 1


def test_expiry_and_its_escalation_fire_once(app, factory, db_session):
    s = setting(factory, db_session)
    sup, focal = _office_staff(factory, db_session, s)
    r = refer(app, db_session, s, person(factory, s))
    due = r.response_due_at
    # Due at, not past: reminded (late, as the scan had not run since), not expired.
    assert _scan(app, db_session, due) == {"expired": 0, "reminded": 1, "escalated": 0,
                                           "emails": 0}
    now = due + timedelta(minutes=1)
    first = _scan(app, db_session, now)
    assert first == {"expired": 1, "reminded": 0, "escalated": 1, "emails": 2}
    for later in (now, now + timedelta(days=3)):
        assert _scan(app, db_session, later) == {"expired": 0, "reminded": 0, "escalated": 0,
                                                 "emails": 0}
    r = db_session.get(Referral, r.id)
    assert (r.state, r.closed_at, r.escalated_at) == ("expired", now, now)
    assert _events(db_session, r.id) == ["created", "send", "remind", "expire", "escalate"]
    escalation = db_session.scalars(sa.select(ReferralEvent).where(
        ReferralEvent.referral_id == r.id, ReferralEvent.kind == "escalate")).one()
    assert not escalation.partner_visible and escalation.reason == "response"
    actions = db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "referral", AuditEvent.object_id == r.id)).all()
    assert actions.count("referrals:referral:expire") == 1
    assert actions.count("referrals:referral:escalate") == 1
    mails = _outbox(db_session, "referral_escalated_response")
    assert sorted(m.recipient for m in mails) == ["focal@example.org", "sup@example.org"]
    french = next(m for m in mails if m.recipient == "sup@example.org")
    assert french.language == "fr" and r.reference in french.body
    assert f"/referrals/{r.id}" in french.body
    # The caseworker is told it expired, once.
    expired = _outbox(db_session, "referral_staff_expired")
    assert [m.recipient for m in expired] == ["cw@example.org"]


def test_an_emergency_is_due_in_hours_and_reminded_at_half(app, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s), urgency="emergency")
    hours = app.config["REFERRAL_EMERGENCY_HOURS"]
    assert r.response_due_at - r.sent_at == timedelta(hours=hours)
    assert r.remind_at - r.sent_at == timedelta(hours=hours) / 2
    assert _scan(app, db_session, r.sent_at + timedelta(hours=hours) / 2)["reminded"] == 1
    assert _scan(app, db_session, r.sent_at + timedelta(hours=hours, seconds=1))["expired"] == 1


def test_the_offices_holidays_are_not_counted(app, factory, db_session):
    s = setting(factory, db_session, response_days=2)
    office = db_session.get(Office, s.office_id)
    office.timezone = "UTC"
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    db_session.add(OfficeHoliday(office_id=office.id, day=date(2026, 12, 7), name="Closed",
                                 created_at=utcnow()))
    db_session.flush()
    with app.app_context():
        due, remind = deadlines.response_deadline(db_session, office.id, s.service, "routine",
                                                  friday)
    # Friday + 2 business days, Monday closed: Wednesday at the same time.
    assert due == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    assert remind == friday + (due - friday) / 2
    r = refer(app, db_session, s, person(factory, s))
    r.sent_at, r.response_due_at, r.remind_at = friday, due, remind
    db_session.flush()
    monday = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # a plain count would have expired it
    assert _scan(app, db_session, monday) == {"expired": 0, "reminded": 1, "escalated": 0,
                                              "emails": 0}
    assert _scan(app, db_session, due - timedelta(seconds=1))["expired"] == 0
    assert _scan(app, db_session, due + timedelta(seconds=1))["expired"] == 1


def test_a_missed_completion_escalates_once_and_the_referral_stays_open(app, factory,
                                                                        db_session):
    s = setting(factory, db_session, completion_days=3)
    sup, focal = _office_staff(factory, db_session, s)
    r = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, r, "accept")
    move(app, db_session, s.partner, r, "progress", note="First meeting held")
    due = r.complete_due_at
    assert _scan(app, db_session, due - timedelta(seconds=1))["escalated"] == 0
    assert _scan(app, db_session, due + timedelta(hours=1))["escalated"] == 1
    assert _scan(app, db_session, due + timedelta(days=5))["escalated"] == 0
    r = db_session.get(Referral, r.id)
    assert r.state == "in_progress" and r.escalated_at == due + timedelta(hours=1)
    assert _events(db_session, r.id).count("escalate") == 1
    mails = _outbox(db_session, "referral_escalated_completion")
    assert sorted(m.recipient for m in mails) == ["focal@example.org", "sup@example.org"]
    # Completed late: the caseworker hears of the outcome; nothing escalates again.
    move(app, db_session, s.partner, r, "complete", outcome="not_provided",
         outcome_reason="client_did_not_attend")
    assert _scan(app, db_session, due + timedelta(days=6))["escalated"] == 0
    done = _outbox(db_session, "referral_staff_completed")
    assert [m.recipient for m in done] == ["cw@example.org"]
    assert "The person did not come" in done[0].body


def test_the_job_is_registered():
    from journey.referrals.domain import DOMAIN

    assert [(j.name, j.seconds) for j in DOMAIN.jobs] == [("referral_deadline_scan", 300)]


# --- two schedulers at once (PostgreSQL) ---------------------------------------------------------

N = 15


@pytest.fixture
def race_app(own_app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: two scans cannot overlap")
    return own_app()


def _seed(app) -> tuple[list[int], datetime]:
    with app.test_request_context(), db.job_session() as sess:
        factory = Factory(app, sess)
        s = setting(factory, sess)
        _office_staff(factory, sess, s)
        ids, due = [], None
        for _ in range(N):
            r = refer(app, sess, s, person(factory, s))
            ids.append(r.id)
            due = max(due or r.response_due_at, r.response_due_at)
    return ids, due


@pytest.mark.parametrize("hold", [True, False], ids=["one-holds-its-locks", "together"])
def test_two_schedulers_at_once_expire_and_escalate_each_once(race_app, hold):
    app = race_app
    ids, due = _seed(app)
    now = due + timedelta(minutes=5)
    barrier = threading.Barrier(2)
    first_done = threading.Event()
    results: dict[str, dict] = {}
    errors: list[BaseException] = []
    waited: list[float] = []

    def scheduler(name: str) -> None:
        try:
            with app.test_request_context(), db.job_session() as sess:
                barrier.wait(timeout=10)
                if hold and name == "second":
                    first_done.wait(timeout=10)
                    started = time.monotonic()
                results[name] = scan.scan(sess, now)
                if hold and name == "first":
                    first_done.set()
                    time.sleep(0.5)  # hold the row locks while the second scans
                elif hold:
                    waited.append(time.monotonic() - started)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(r["expired"] for r in results.values()) == N
    assert sum(r["escalated"] for r in results.values()) == N
    if hold:
        assert results["second"] == {"expired": 0, "reminded": 0, "escalated": 0, "emails": 0}
        assert waited[0] >= 0.3  # the second really met the first's locks
    with app.app_context(), db.job_session() as sess:
        kinds = sess.execute(sa.select(ReferralEvent.kind, sa.func.count())
                             .where(ReferralEvent.referral_id.in_(ids))
                             .group_by(ReferralEvent.kind)).all()
        assert dict(kinds) == {"created": N, "send": N, "expire": N, "escalate": N}
        assert sess.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "referral_escalated_response")) == 2 * N
        assert sess.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "referral_staff_expired")) == N
        assert set(sess.scalars(sa.select(Referral.state).where(Referral.id.in_(ids)))) == {
            "expired"}
