"""A partner without an account acts through a signed link (issue #16): emailed to the service in
its provider's language, it shows the referral as the partner may see it, takes only the steps
of its purpose, on its own referral, once its purpose is done no more, and not after it expires;
a tampered token is a 404, a used or expired one a 410. On PostgreSQL two uses at once act once."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.errors import NotFound
from journey.referrals import links, partner_notify
from journey.referrals.models import Referral, ReferralEvent, ReferralLink
from notifications.models import OutboxMessage
from tests.referrals.helpers import move, person, refer, setting

URL_RE = re.compile(r"https?://\S+/r/[\w.-]+(?:\?lang=\w+)?")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _issue(app, db_session, s, r, purpose="respond") -> str:
    with app.test_request_context():
        return _path(links.issue_link(db_session, r, purpose, actor_id=s.caseworker.id,
                                      email="intake@example.org"))


def _sent(app, factory, db_session, *, partner_email: str | None = "desk@provider.example.org",
          **kw):
    """A referral sent to a partner whose user has an email (so sending emails the user a link
    to its page and issues no signed link: the tests issue their own), or none (the send then
    emails the service a respond link)."""
    s = setting(factory, db_session)
    s.partner.email = partner_email
    db_session.flush()
    p = person(factory, s, **kw)
    return s, p, refer(app, db_session, s, p)


def _post(client, path: str, step: str, **fields):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": _csrf(page.get_data(as_text=True)),
                                   "step": step, **fields})


def _mails(db_session, template: str) -> list[OutboxMessage]:
    return list(db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == template).order_by(OutboxMessage.id)))


def test_a_new_referral_emails_the_service_a_respond_link_in_its_language(app, factory,
                                                                         db_session):
    s, p, r = _sent(app, factory, db_session, partner_email=None)
    with app.test_request_context():
        # Sending told the partner already (journey.referrals.notify): a retry, or a second
        # caller for the same step, sends no second email and issues no second link.
        assert partner_notify.tell_partner(db_session, r, "new", actor_id=None) == 0
    (mail,) = _mails(db_session, partner_notify.NEW)
    # No partner user has an email: the service's address, in Portuguese (the provider's).
    assert (mail.channel, mail.recipient, mail.language, mail.participant_id) == (
        "email", "intake@example.org", "pt", None)
    assert re.search(r"/r/[\w.-]+\?lang=pt", mail.body)
    for secret in (p.given_name, p.family_name, p.phone):
        assert secret not in mail.body and secret not in mail.subject
    (row,) = db_session.scalars(sa.select(ReferralLink).where(ReferralLink.referral_id == r.id))
    token = URL_RE.search(mail.body).group(0).rsplit("/r/", 1)[1].split("?")[0]
    assert row.purpose == "respond" and len(row.nonce_hash) == 64 and token not in row.nonce_hash
    assert (row.expires_at - row.created_at) == timedelta(days=14)
    events = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "referrals:referral_link:create")).all()
    assert [e.object_id for e in events] == [row.id] and token not in str(events[0].details)


def test_a_partner_with_users_gets_its_page_not_a_link(app, factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    s.partner.email = "desk@provider.example.org"
    s.partner.language = "fr"
    db_session.flush()
    with app.test_request_context():
        assert partner_notify.tell_partner(db_session, r, "reminder", actor_id=None) == 1
    (mail,) = _mails(db_session, partner_notify.REMINDER)
    assert (mail.recipient, mail.language) == ("desk@provider.example.org", "fr")
    assert f"/partner/referrals/{r.id}" in mail.body and "/r/" not in mail.body
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferralLink)) == 0


def test_a_respond_link_accepts_once_and_the_outcome_link_follows(app, client, factory,
                                                                   db_session):
    # No partner user with an email: the outcome link goes to the service's address.
    s, p, r = _sent(app, factory, db_session, partner_email=None)
    path = _issue(app, db_session, s, r)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert len(page.data) < 50_000
    html = page.get_data(as_text=True)
    assert r.reference in html and f"{p.given_name} {p.family_name}" in html
    assert 'value="accept"' in html and 'value="decline"' in html
    assert 'value="complete"' not in html and 'value="progress"' not in html
    assert p.phone not in html  # not shared
    done = _post(client, path, "accept", note="We can see her on Monday")
    assert done.status_code == 200, done.get_data(as_text=True)
    db_session.expire_all()
    r = db_session.get(Referral, r.id)
    assert r.state == "accepted" and r.version == 3
    ev = db_session.scalars(sa.select(ReferralEvent).where(
        ReferralEvent.referral_id == r.id, ReferralEvent.kind == "accept")).one()
    assert ev.actor_id is None and ev.via_link_id is not None
    assert db_session.get(ReferralLink, ev.via_link_id).used_at is not None
    # Used: gone for the page and the button alike.
    assert client.get(path).status_code == 410
    token_page = html
    again = client.post(path, data={"csrf_token": _csrf(token_page), "step": "accept"})
    assert again.status_code == 410
    # The answer given, the outcome link goes to the same address.
    (mail,) = _mails(db_session, partner_notify.OUTCOME_LINK)
    outcome = _path(URL_RE.search(mail.body).group(0))
    html = client.get(outcome).get_data(as_text=True)
    assert 'value="progress"' in html and 'value="complete"' in html
    assert 'value="accept"' not in html and 'value="decline"' not in html
    # Progress as often as needed: the link stays.
    noted = _post(client, outcome, "progress", note="First meeting held")
    assert noted.status_code == 303
    assert "First meeting held" in client.get(outcome).get_data(as_text=True)
    finished = _post(client, outcome, "complete", outcome="not_provided",
                     outcome_reason="client_did_not_attend")
    assert finished.status_code == 200
    db_session.expire_all()
    r = db_session.get(Referral, r.id)
    assert (r.state, r.outcome, r.outcome_reason) == ("completed", "not_provided",
                                                      "client_did_not_attend")
    assert client.get(outcome).status_code == 410


def test_errors_stand_beside_the_fields_and_spend_nothing(app, client, factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    path = _issue(app, db_session, s, r)
    refused = _post(client, path, "decline")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="err-reason-decline"' in html and 'aria-describedby="err-reason-decline"' in html
    refused = _post(client, path, "decline", reason="because")
    assert refused.status_code == 422 and 'id="err-reason-decline"' in refused.get_data(
        as_text=True)
    db_session.expire_all()
    assert db_session.get(Referral, r.id).state == "sent"
    assert db_session.scalars(sa.select(ReferralLink.used_at)).one() is None
    assert _post(client, path, "decline", reason="no_capacity").status_code == 200
    db_session.expire_all()
    r = db_session.get(Referral, r.id)
    assert (r.state, r.decline_reason) == ("declined", "no_capacity")


def test_an_expired_link_cannot_act(app, client, factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    path = _issue(app, db_session, s, r)
    csrf = _csrf(client.get(path).get_data(as_text=True))
    row = db_session.scalars(sa.select(ReferralLink)).one()
    row.created_at -= timedelta(days=15)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": csrf, "step": "accept"}).status_code == 410
    token = path.split("/r/", 1)[1].split("?")[0]
    with app.test_request_context(), pytest.raises(links.LinkGone) as gone:
        links.act(db_session, token, "accept", {})
    assert gone.value.code == "link-expired"
    db_session.expire_all()
    assert db_session.get(Referral, r.id).state == "sent"


def test_a_token_older_than_its_days_is_refused_by_its_signature(app, factory, db_session,
                                                                 monkeypatch):
    s, _p, r = _sent(app, factory, db_session)
    token = _issue(app, db_session, s, r).split("/r/", 1)[1].split("?")[0]
    later = utcnow().timestamp() + 15 * 86400
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    with app.test_request_context(), pytest.raises(links.LinkGone) as gone:
        links.act(db_session, token, "accept", {})
    assert gone.value.code == "link-expired"
    assert r.state == "sent"


def test_a_tampered_token_is_not_found(app, client, factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    token = _issue(app, db_session, s, r).split("/r/", 1)[1].split("?")[0]
    link = db_session.scalars(sa.select(ReferralLink)).one()
    payload, rest = token.split(".", 1)
    flipped = "A" if payload[-1] != "A" else "B"
    for bad in (payload[:-1] + flipped + "." + rest, token[:-2], "nonsense", "x" * 500):
        assert client.get(f"/r/{bad}").status_code == 404
    with app.test_request_context():
        forged = URLSafeTimedSerializer("another-key", salt=links.LINK_SALT).dumps(
            [link.id, "guess"])
        wrong_nonce = links._serializer().dumps([link.id, "guess"])
        onboarding = URLSafeTimedSerializer(app.config["SECRET_KEY"],
                                            salt="onboarding-step-confirm").dumps([link.id, "x"])
    for bad in (forged, wrong_nonce, onboarding):
        assert client.get(f"/r/{bad}").status_code == 404
    assert db_session.get(Referral, r.id).state == "sent"


def test_a_link_takes_only_the_steps_of_its_purpose(app, client, factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    respond = _issue(app, db_session, s, r)
    # A respond link cannot report an outcome (nor record progress).
    for step, fields in (("complete", {"outcome": "provided"}), ("progress", {"note": "x"})):
        assert _post(client, respond, step, **fields).status_code == 404
    db_session.expire_all()
    assert db_session.get(Referral, r.id).state == "sent"
    move(app, db_session, s.partner, db_session.get(Referral, r.id), "accept")
    # Answered in the partner's pages meanwhile: the respond link has nothing left to do.
    assert client.get(respond).status_code == 410
    outcome = _issue(app, db_session, s, db_session.get(Referral, r.id), "outcome")
    assert _post(client, outcome, "accept").status_code == 404
    assert _post(client, outcome, "decline", reason="no_capacity").status_code == 404
    token = outcome.split("/r/", 1)[1].split("?")[0]
    with app.test_request_context(), pytest.raises(NotFound):
        links.act(db_session, token, "decline", {"reason": "no_capacity"})
    db_session.expire_all()
    assert db_session.get(Referral, r.id).state == "accepted"
    assert db_session.get(ReferralLink, db_session.scalars(
        sa.select(ReferralLink.id).where(ReferralLink.purpose == "outcome")).one()).used_at is None


def test_a_link_for_referral_a_cannot_act_on_b(app, client, factory, db_session):
    s = setting(factory, db_session)
    s.partner.email = "desk@provider.example.org"  # sending issues no link: only ours exist
    a = refer(app, db_session, s, person(factory, s))
    b = refer(app, db_session, s, person(factory, s))
    path_a = _issue(app, db_session, s, a)
    # Nothing the visitor sends picks another referral: the token names the link, the link A.
    assert _post(client, path_a, "accept", referral_id=str(b.id), id=str(b.id)).status_code == 200
    db_session.expire_all()
    assert db_session.get(Referral, a.id).state == "accepted"
    assert db_session.get(Referral, b.id).state == "sent"
    # B's link id signed with our key but A's nonce: refused (the nonce is never stored).
    path_b = _issue(app, db_session, s, db_session.get(Referral, b.id))
    token_a = path_a.split("/r/", 1)[1].split("?")[0]
    link_b = db_session.scalars(sa.select(ReferralLink).where(
        ReferralLink.referral_id == b.id)).one()
    with app.test_request_context():
        crossed = links._serializer().dumps([link_b.id, token_a.split(".")[0]])
        with pytest.raises(NotFound):
            links.act(db_session, crossed, "accept", {})
    assert client.get(path_b).status_code == 200
    assert db_session.get(Referral, b.id).state == "sent"


def test_withdrawn_consent_ends_the_link(app, client, factory, db_session):
    from journey.consent import services as consent

    s, p, r = _sent(app, factory, db_session)
    path = _issue(app, db_session, s, r)
    with app.test_request_context():
        consent.withdraw(db_session, s.caseworker, p, purpose="share_providers", method="verbal")
    assert client.get(path).status_code == 410


def test_staff_email_a_fresh_link_and_partners_cannot(app, client, factory, db_session):
    from tests.web.test_pages import log_in

    s, _p, r = _sent(app, factory, db_session)
    log_in(client, s.partner)
    page = client.get(f"/partner/referrals/{r.id}").get_data(as_text=True)
    refused = client.post(f"/referrals/{r.id}/partner-link", data={"csrf_token": _csrf(page)})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": _csrf(page)})
    log_in(client, s.caseworker)
    page = client.get("/account").get_data(as_text=True)
    sent = client.post(f"/referrals/{r.id}/partner-link", data={"csrf_token": _csrf(page)})
    assert sent.status_code == 303
    (mail,) = [m for m in _mails(db_session, partner_notify.NEW)
               if m.recipient != s.partner.email]  # the send emailed the partner's user first
    assert mail.recipient == "intake@example.org" and "/r/" in mail.body


def test_two_uses_at_once_act_once(own_app, backend):
    """Two transactions use the same respond link at the same moment (PostgreSQL): the
    referral's row lock and the conditional UPDATE let one through; the other waits, then finds
    the link used and gets a 410."""
    if backend != "postgresql":
        pytest.skip("needs concurrent writers: SQLite has one writer and no row locks")
    from tests.factories import Factory

    app = own_app()
    engine = app.extensions["journey_db"].engine
    with Session(engine, expire_on_commit=False) as sess:
        factory = Factory(app, sess)
        s = setting(factory, sess)
        r = refer(app, sess, s, person(factory, s))
        with app.test_request_context():
            url = links.issue_link(sess, r, "respond", actor_id=s.caseworker.id,
                                   email="intake@example.org")
        sess.commit()
    token = urlsplit(url).path.rsplit("/", 1)[1]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def use(event: str, data: dict) -> None:
        with app.test_request_context(), Session(engine) as sess:
            links.resolve(sess, token)  # both see it unused
            barrier.wait()
            try:
                links.act(sess, token, event, data)
                sess.commit()
                outcomes.append(event)
            except links.LinkGone as gone:
                sess.rollback()
                outcomes.append(gone.code)
            except Exception as err:  # noqa: BLE001  (named in the assertion below)
                outcomes.append(repr(err)[:300])

    threads = [threading.Thread(target=use, args=("accept", {})),
               threading.Thread(target=use, args=("decline", {"reason": "no_capacity"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 2 and sorted(outcomes)[0] in ("accept", "decline"), outcomes
    assert "link-used" in outcomes or "referral-moved-on" in outcomes, outcomes
    with Session(engine) as sess:
        final = sess.get(Referral, r.id)
        assert final.state in ("accepted", "declined")
        steps = sess.scalars(sa.select(ReferralEvent.kind).where(
            ReferralEvent.referral_id == r.id, ReferralEvent.kind.in_(("accept", "decline")))
        ).all()
        assert len(steps) == 1


def test_accepting_through_a_link_tells_users_of_their_page_and_nobody_twice(app, client,
                                                                            factory, db_session):
    s, _p, r = _sent(app, factory, db_session)
    path = _issue(app, db_session, s, r)
    # Since the link went out, the provider got an account: the outcome goes to its page.
    s.partner.email = "desk@provider.example.org"
    db_session.flush()
    assert _post(client, path, "accept").status_code == 200
    (mail,) = _mails(db_session, partner_notify.OUTCOME_LINK)
    assert mail.recipient == "desk@provider.example.org"
    assert f"/partner/referrals/{r.id}" in mail.body
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferralLink).where(
        ReferralLink.purpose == "outcome")) == 0
    with app.test_request_context():
        # A second caller (the deadlines' notify on the same accept) emails no one again, and a
        # message about a step already past says nothing.
        db_session.expire_all()
        r = db_session.get(Referral, r.id)
        assert r.state == "accepted"
        assert partner_notify.tell_partner(db_session, r, "outcome_link", actor_id=None) == 0
        assert partner_notify.tell_partner(db_session, r, "reminder", actor_id=None) == 0
