"""The partner's own pages through the test client: a partner user starts on them and sees only
referrals to its own organisation, and of the person only the fields shared with it; another
provider's referral is missing (404); the forms accept, decline, record progress and report the
outcome through the services, with errors beside the fields; a confidential location's address
never appears; the pages read in the user's language (Arabic right to left)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journey.core.db import utcnow
from journey.referrals import partner_pages
from journey.referrals.models import Referral, ReferralEvent
from tests.referrals.helpers import add_service, move, person, refer, setting
from tests.web.test_pages import HTML, log_in


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


class World:
    """A partner with a confidential service; a referral to it sharing name and language only;
    another provider's referral of the same person."""


@pytest.fixture
def world(app, factory, db_session) -> World:
    w = World()
    w.s = setting(factory, db_session, confidential=True, name="Safe house intake")
    w.p = person(factory, w.s, gender_identity="non-binary", email="person@example.org")
    w.r = refer(app, db_session, w.s, w.p)
    w.other_partner = factory.user("partner")
    other_service = add_service(db_session, w.other_partner.provider_id,
                                name="Housing support elsewhere")
    w.other = refer(app, db_session, w.s, w.p, service_id=other_service.id)
    return w


def _step(client, referral_id: int, step: str, **fields):
    page = client.get(f"/partner/referrals/{referral_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    data = {"csrf_token": _csrf(page), "step": step, **fields}
    if version and "version" not in fields:
        data["version"] = version.group(1)
    return client.post(f"/partner/referrals/{referral_id}", data=data)


def test_a_partner_starts_on_its_home_with_its_own_figures(app, client, factory, db_session,
                                                            world):
    s = world.s
    late = refer(app, db_session, s, person(factory, s))
    late.response_due_at = utcnow() - timedelta(hours=1)
    working = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, working, "accept")
    done = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, done, "accept")
    move(app, db_session, s.partner, done, "complete", outcome="provided")
    refer(app, db_session, s, person(factory, s), send=False)  # a draft: never the partner's
    db_session.flush()
    log_in(client, s.partner)
    home = client.get("/", headers=HTML)
    assert home.status_code == 302 and home.headers["Location"].endswith("/partner")
    page = client.get("/partner").get_data(as_text=True)
    assert "2 referrals waiting for your answer" in page
    assert "1 overdue" in page
    assert "1 accepted or in progress" in page
    assert "1 completed in the last 30 days" in page
    assert world.other.reference not in page
    assert 'href="/partner/referrals"' in page  # the header's links
    assert client.get("/directory").status_code == 200 and 'href="/directory"' in page


def test_the_list_shows_only_its_referrals_by_state_a_page_at_a_time(app, client, factory,
                                                                     db_session, world,
                                                                     monkeypatch):
    s = world.s
    extra = [refer(app, db_session, s, person(factory, s)) for _ in range(2)]
    move(app, db_session, s.partner, extra[0], "accept")
    log_in(client, s.partner)
    page = client.get("/partner/referrals").get_data(as_text=True)
    assert "3 referrals" in page
    for r in (world.r, *extra):
        assert r.reference in page
    assert world.other.reference not in page
    assert f"{world.p.given_name} {world.p.family_name}" in page  # the name is shared
    accepted = client.get("/partner/referrals?state=accepted").get_data(as_text=True)
    assert extra[0].reference in accepted and world.r.reference not in accepted
    monkeypatch.setattr(partner_pages, "PAGE_SIZE", 2)
    first = client.get("/partner/referrals").get_data(as_text=True)
    second = client.get("/partner/referrals?page=2").get_data(as_text=True)
    assert 'rel="next"' in first and "showing 3–3" in second
    for bad in ("?state=draft", "?state=nonsense", "?page=0", "?page=x", "?sort=id"):
        assert client.get(f"/partner/referrals{bad}").status_code == 422, bad


def test_a_partner_sees_only_the_shared_fields_and_never_the_confidential_address(
        client, db_session, world):
    log_in(client, world.s.partner)
    resp = client.get(f"/partner/referrals/{world.r.id}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    p = world.p
    assert f"{p.given_name} {p.family_name}" in page and world.r.reference in page
    assert "Unpaid wages" in page  # the reason is always the partner's
    # Not shared, or never shareable: absent.
    for secret in (p.phone, p.email, "non-binary", "Non-binary", p.reference,
                   "1990", ">Nepal<", "Female"):
        assert secret not in page, secret
    # The service's location is confidential: neither its address nor its name shows.
    for secret in ("Rua do Ouro", "Main office", "Lisboa"):
        assert secret not in page, secret
    for path in ("/partner", "/partner/referrals"):
        body = client.get(path).get_data(as_text=True)
        for secret in ("Rua do Ouro", "Main office", p.phone, "non-binary"):
            assert secret not in body, (path, secret)


def test_shared_phone_shows_and_another_providers_referral_is_missing(app, client, factory,
                                                                     db_session, world):
    s = world.s
    p = person(factory, s)
    shared = refer(app, db_session, s, p, shared_fields=["name", "phone", "sex"])
    log_in(client, s.partner)
    page = client.get(f"/partner/referrals/{shared.id}").get_data(as_text=True)
    assert p.phone in page and "Female" in page
    assert client.get(f"/partner/referrals/{world.other.id}").status_code == 404
    assert client.get("/partner/referrals/999999").status_code == 404
    refused = client.post(f"/partner/referrals/{world.other.id}",
                          data={"csrf_token": _csrf(page), "step": "accept"})
    assert refused.status_code == 404
    db_session.expire_all()
    assert db_session.get(Referral, world.other.id).state == "sent"


@pytest.mark.parametrize("role", ["caseworker", "admin", "employer"])
def test_only_partner_users_open_the_partner_pages(client, factory, world, role):
    user = world.s.caseworker if role == "caseworker" else factory.user(role)
    log_in(client, user)
    for path in ("/partner", "/partner/referrals", f"/partner/referrals/{world.r.id}"):
        assert client.get(path).status_code == 403, path


def test_accept_progress_and_complete_through_the_forms(client, db_session, world):
    r = world.r
    log_in(client, world.s.partner)
    page = client.get(f"/partner/referrals/{r.id}").get_data(as_text=True)
    assert 'value="accept"' in page and 'value="decline"' in page
    assert 'value="complete"' not in page
    accepted = _step(client, r.id, "accept", note="We will call her")
    assert accepted.status_code == 303
    page = client.get(f"/partner/referrals/{r.id}").get_data(as_text=True)
    assert "Accepted." in page and 'value="progress"' in page and 'value="complete"' in page
    assert 'value="accept"' not in page
    # Progress needs a note: the error beside the field.
    empty = _step(client, r.id, "progress", note="")
    assert empty.status_code == 422
    assert 'id="err-note-progress"' in empty.get_data(as_text=True)
    assert _step(client, r.id, "progress", note="Intake interview held").status_code == 303
    # Not provided needs its reason (the service's guard): shown on the form, nothing changes.
    refused = _step(client, r.id, "complete", outcome="not_provided")
    assert refused.status_code == 409
    assert "Say why the service was not provided." in refused.get_data(as_text=True)
    missing = _step(client, r.id, "complete")
    assert missing.status_code == 422
    assert 'id="err-outcome-complete"' in missing.get_data(as_text=True)
    done = _step(client, r.id, "complete", outcome="not_provided",
                 outcome_reason="unable_to_contact", note="Three calls, no answer")
    assert done.status_code == 303
    db_session.expire_all()
    r = db_session.get(Referral, r.id)
    assert (r.state, r.outcome, r.outcome_reason) == ("completed", "not_provided",
                                                      "unable_to_contact")
    kinds = db_session.scalars(sa.select(ReferralEvent.kind).where(
        ReferralEvent.referral_id == r.id).order_by(ReferralEvent.id)).all()
    assert kinds == ["created", "send", "accept", "progress", "complete"]
    page = client.get(f"/partner/referrals/{r.id}").get_data(as_text=True)
    assert "Intake interview held" in page and "Unable to contact the person" in page
    assert "Nothing more is needed from you" in page


def test_decline_needs_a_reason_from_the_list(client, db_session, world):
    r = world.r
    log_in(client, world.s.partner)
    for reason in ("", "because"):
        refused = _step(client, r.id, "decline", reason=reason)
        assert refused.status_code == 422
        body = refused.get_data(as_text=True)
        assert 'id="err-reason-decline"' in body and 'aria-invalid="true"' in body
    assert _step(client, r.id, "decline", reason="outside_area").status_code == 303
    db_session.expire_all()
    assert db_session.get(Referral, r.id).decline_reason == "outside_area"
    # Declined: no more forms, and a step now is refused as the state's conflict.
    page = client.get(f"/partner/referrals/{r.id}").get_data(as_text=True)
    assert "Outside our service area" in page and 'name="step"' not in page
    late = client.post(f"/partner/referrals/{r.id}",
                       data={"csrf_token": _csrf(page), "step": "accept"})
    assert late.status_code == 409


def test_a_stale_version_is_a_conflict_and_unknown_steps_are_missing(client, db_session, world):
    r = world.r
    log_in(client, world.s.partner)
    stale = _step(client, r.id, "accept", version=str(r.version + 5))
    assert stale.status_code == 409
    db_session.expire_all()
    assert db_session.get(Referral, r.id).state == "sent"
    for step in ("withdraw", "send", "expire", "start", ""):
        assert _step(client, r.id, step).status_code == 404, step


def test_the_pages_are_in_the_partners_language_arabic_right_to_left(client, db_session, world):
    world.s.partner.language = "ar"
    db_session.flush()
    log_in(client, world.s.partner)
    for path in ("/partner", "/partner/referrals", f"/partner/referrals/{world.r.id}"):
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in page, path


def test_no_partner_form_answers_500_to_hostile_input(app, client, factory, db_session, world):
    """Every step form, on the partner's page and on a signed link's page, with each field
    filled with hostile values (empty, far too long, NUL, markup ...): a page below 500."""
    from journey.referrals import links
    from tests.web.test_forms_never_500 import HOSTILE

    s = world.s
    working = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, working, "accept")
    with app.test_request_context():
        respond = links.issue_link(db_session, world.r, "respond", actor_id=None, email=None)
        outcome = links.issue_link(db_session, working, "outcome", actor_id=None, email=None)
    log_in(client, s.partner)
    csrf = _csrf(client.get("/partner").get_data(as_text=True))
    targets = [(f"/partner/referrals/{world.r.id}", ("accept", "decline")),
               (f"/partner/referrals/{working.id}", ("progress", "complete")),
               (_local(respond), ("accept", "decline")),
               (_local(outcome), ("progress", "complete"))]
    failures = []
    for path, steps in targets:
        for step in steps:
            for kind, value in HOSTILE.items():
                if kind == "empty" and step == "accept":
                    continue  # an empty accept is a real accept
                data = {name: value for name in partner_pages.STEP_FIELDS[step]}
                data.update(csrf_token=csrf, step=step, version=value)
                resp = client.post(path, data=data, headers=HTML)
                if resp.status_code >= 500 or resp.mimetype != "text/html":
                    failures.append(f"POST {path} {step} ({kind}): {resp.status_code}")
    assert not failures, "\n".join(failures)
