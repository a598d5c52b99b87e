"""A signed onboarding link works once and expires (issue #15): emailed to an employer contact in
their language, it confirms its own step and no other, once, until it expires; a tampered token
is a 404, a used or expired one a 410. On PostgreSQL two uses at once confirm once."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, NotFound
from journey.employers import notify, steps
from journey.employers.models import OnboardingLink, OnboardingStep
from notifications.models import OutboxMessage
from tests.employers.onboarding_helpers import contact, place


def _issue(app, factory, db_session, key="first_wage_paid", **kw):
    placed = place(factory, db_session, **kw)
    c = contact(factory, placed.employer_user.employer_id)
    step = placed.step(db_session, key)
    with app.test_request_context():
        link, token = steps.issue_link(db_session, placed.caseworker, step.id, contact_id=c.id)
    return placed, c, step, link, token


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_link_is_emailed_to_the_contact_in_their_language(app, factory, db_session):
    placed, c, step, link, token = _issue(app, factory, db_session)
    (mail,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == notify.LINK)).all()
    assert (mail.channel, mail.recipient, mail.language, mail.participant_id) == (
        "email", "hr@example.pt", "pt", None)
    assert f"/onboarding/confirm/{token}?lang=pt" in mail.body
    assert placed.participant.given_name in mail.body
    assert placed.participant.family_name not in mail.body
    # Only the nonce's hash is stored; the token is nowhere in the database but the email.
    row = db_session.get(OnboardingLink, link.id)
    assert len(row.nonce_hash) == 64 and token not in row.nonce_hash
    assert (row.expires_at - row.created_at) == timedelta(days=14)
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "employers:onboarding_link:create")).all()
    assert [e.object_id for e in events] == [link.id] and token not in str(events[0].details)


def test_a_link_works_once(app, client, factory, db_session):
    placed, _c, step, _link, token = _issue(app, factory, db_session)
    page = client.get(f"/onboarding/confirm/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert placed.participant.given_name in text and placed.participant.family_name not in text
    assert "First wage paid in full" in text
    done = client.post(f"/onboarding/confirm/{token}", data={"csrf_token": _csrf(text)})
    assert done.status_code == 200, done.get_data(as_text=True)
    db_session.expire_all()
    confirmed = db_session.get(OnboardingStep, step.id)
    assert confirmed.status == "confirmed" and confirmed.confirmed_by is None
    assert confirmed.confirmed_via_link_id is not None
    # The second time: gone, for the page and the button alike.
    assert client.get(f"/onboarding/confirm/{token}").status_code == 410
    again = client.post(f"/onboarding/confirm/{token}", data={"csrf_token": _csrf(text)})
    assert again.status_code == 410
    # The participant was told once.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == notify.STEP_CONFIRMED)) == 1


def test_a_link_expires(app, client, factory, db_session):
    _placed, _c, step, link, token = _issue(app, factory, db_session)
    row = db_session.get(OnboardingLink, link.id)
    row.created_at -= timedelta(days=15)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get(f"/onboarding/confirm/{token}").status_code == 410
    with app.test_request_context(), pytest.raises(steps.LinkGone) as gone:
        steps.use_link(db_session, token)
    assert gone.value.code == "link-expired"
    assert db_session.get(OnboardingStep, step.id).status == "waiting"


def test_a_token_older_than_its_days_is_refused_by_its_signature(app, factory, db_session,
                                                                 monkeypatch):
    _placed, _c, step, _link, token = _issue(app, factory, db_session)
    later = utcnow().timestamp() + 15 * 86400
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    with app.test_request_context(), pytest.raises(steps.LinkGone) as gone:
        steps.resolve_link(db_session, token)
    assert gone.value.code == "link-expired"


def test_a_tampered_token_is_not_found(app, client, factory, db_session):
    _placed, _c, step, link, token = _issue(app, factory, db_session)
    payload, rest = token.split(".", 1)
    flipped = ("A" if payload[-1] != "A" else "B")
    for bad in (payload[:-1] + flipped + "." + rest, token[:-2], "nonsense", "x" * 500):
        assert client.get(f"/onboarding/confirm/{bad}").status_code == 404
    # Signed with another key: not ours.
    with app.test_request_context():
        forged = URLSafeTimedSerializer("another-key", salt=steps.LINK_SALT).dumps(
            [link.id, "guess"])
        # Ours, but with a made-up nonce (as if the database had leaked the id only).
        wrong_nonce = steps._serializer().dumps([link.id, "guess"])
        other_purpose = URLSafeTimedSerializer(app.config["SECRET_KEY"],
                                               salt="skill-form").dumps([link.id, "x"])
    for bad in (forged, wrong_nonce, other_purpose):
        assert client.get(f"/onboarding/confirm/{bad}").status_code == 404
    assert db_session.get(OnboardingStep, step.id).status == "waiting"


def test_a_link_for_step_a_cannot_confirm_step_b(app, client, factory, db_session):
    placed, c, step_a, link, token = _issue(app, factory, db_session, key="contract_signed")
    step_b = placed.step(db_session, "first_wage_paid")
    page = client.get(f"/onboarding/confirm/{token}").get_data(as_text=True)
    # The token names its link, the link its step: nothing a visitor sends picks another one.
    client.post(f"/onboarding/confirm/{token}", data={"csrf_token": _csrf(page),
                                                      "step_id": str(step_b.id)})
    db_session.expire_all()
    assert db_session.get(OnboardingStep, step_a.id).status == "confirmed"
    assert db_session.get(OnboardingStep, step_b.id).status == "waiting"
    # Even signed with our key, step B's link id with another nonce is refused: the nonce is
    # never stored, so one link's token cannot be turned into another's.
    with app.test_request_context():
        link_b, _token_b = steps.issue_link(db_session, placed.caseworker, step_b.id,
                                            contact_id=c.id)
        crossed = steps._serializer().dumps([link_b.id, token.split(".")[0]])
        with pytest.raises(NotFound):
            steps.use_link(db_session, crossed)
    assert db_session.get(OnboardingStep, step_b.id).status == "waiting"


def test_a_step_confirmed_meanwhile_makes_its_link_gone(app, client, factory, db_session):
    placed, _c, step, _link, token = _issue(app, factory, db_session)
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, step.id)
    assert client.get(f"/onboarding/confirm/{token}").status_code == 410


def test_a_link_needs_a_contact_of_the_employer_with_an_email(app, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "arrival_met")
    strangers = contact(factory, factory.employer().id)
    no_email = contact(factory, placed.employer_user.employer_id, email=None)
    with app.test_request_context():
        for c, code in ((strangers, "not-found"), (no_email, "no-email")):
            with pytest.raises(InvalidInput) as refused:
                steps.issue_link(db_session, placed.caseworker, step.id, contact_id=c.id)
            assert refused.value.errors[0]["code"] == code


def test_the_api_emails_a_link_and_returns_no_token(client, factory, db_session):
    placed = place(factory, db_session)
    c = contact(factory, placed.employer_user.employer_id)
    step = placed.step(db_session, "arrival_met")
    url = f"/api/v1/placements/{placed.placement.id}/steps/{step.id}/links"
    resp = client.post(url, json={"contact_id": c.id}, headers=factory.headers(placed.caseworker))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["step_id"] == step.id and body["used_at"] is None and "token" not in body
    refused = client.post(url, json={"contact_id": c.id},
                          headers=factory.headers(placed.employer_user))
    assert refused.status_code == 403


def test_two_uses_at_once_confirm_once(own_app, backend):
    """Two transactions use the same link at the same moment (PostgreSQL): the conditional
    UPDATE lets one through; the other waits on its row lock, finds it used and gets a 410."""
    if backend != "postgresql":
        pytest.skip("needs concurrent writers")
    from tests.factories import Factory

    app = own_app()
    engine = app.extensions["journey_db"].engine
    with Session(engine, expire_on_commit=False) as sess:
        factory = Factory(app, sess)
        placed = place(factory, sess)
        c = contact(factory, placed.employer_user.employer_id)
        step = placed.step(sess, "first_wage_paid")
        with app.test_request_context():
            _link, token = steps.issue_link(sess, placed.caseworker, step.id, contact_id=c.id)
        sess.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def use() -> None:
        with app.test_request_context(), Session(engine) as sess:
            steps.resolve_link(sess, token)  # both see it unused
            barrier.wait()
            try:
                steps.use_link(sess, token)
                sess.commit()
                outcomes.append("confirmed")
            except steps.LinkGone as gone:
                sess.rollback()
                outcomes.append(gone.code)
            except Exception as err:  # noqa: BLE001  (named in the assertion below)
                outcomes.append(repr(err)[:300])

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["confirmed", "link-used"]
    with Session(engine) as sess:
        assert sess.get(OnboardingStep, step.id).status == "confirmed"
        assert sess.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == notify.STEP_CONFIRMED)) == 1
