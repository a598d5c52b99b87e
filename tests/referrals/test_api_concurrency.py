"""Two people accept the same referral at the same moment (the partner, and a caseworker
recording its answer by phone): one wins, the other is told the referral has moved on."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.referrals import notify
from journey.referrals.models import Referral, ReferralEvent
from tests.referrals.helpers import person, refer, setting


def test_two_accepts_at_once_accept_once(own_app, backend, monkeypatch):
    """The first accept holds the referral's row lock (SELECT … FOR UPDATE) until it commits;
    the second waits on it, then finds the referral accepted: 200 and 409 referral-state."""
    if backend != "postgresql":
        pytest.skip("needs concurrent writers: SQLite takes one writer at a time, so the two "
                    "requests cannot overlap")
    from tests.factories import Factory

    app = own_app()
    engine = app.extensions["journey_db"].engine
    with Session(engine, expire_on_commit=False) as sess:
        factory = Factory(app, sess)
        s = setting(factory, sess)
        referral = refer(app, sess, s, person(factory, s))
        headers = [factory.headers(s.partner), factory.headers(s.caseworker)]
        sess.commit()

    locked = threading.Event()
    original = notify.on_event

    def slow_on_event(sess, r, event, **kw):
        # Called inside apply_event, the row still locked: let the other request start, and
        # keep the lock a moment so that it must wait for this commit.
        if event == "accept" and not locked.is_set():
            locked.set()
            threading.Event().wait(0.5)
        return original(sess, r, event, **kw)

    monkeypatch.setattr(notify, "on_event", slow_on_event)
    results: dict[int, tuple[int, str | None]] = {}

    def accept(i: int) -> None:
        if i == 1:
            locked.wait(10)
        with app.test_client() as client:
            resp = client.post(f"/api/v1/referrals/{referral.id}/accept", json={},
                               headers=headers[i])
            results[i] = (resp.status_code, resp.get_json().get("code"))

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values(), key=str) == [(200, None), (409, "referral-state")]
    with Session(engine) as sess:
        assert sess.scalar(sa.select(Referral.state).where(Referral.id == referral.id)) == \
            "accepted"
        assert sess.scalar(sa.select(sa.func.count()).select_from(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.kind == "accept")) == 1
