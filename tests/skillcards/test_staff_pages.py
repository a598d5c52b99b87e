"""Skill form and skill card pages for staff, and the skill form link sent by SMS (page + API)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from journey.continuum.stages import Stage
from journey.core.db import utcnow
from journey.skillcards.models import SkillCard, SkillForm
from notifications.models import OutboxMessage, SmsOptOut
from tests.skillcards.helpers import card_for, form_for
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _url(p, action: str = "") -> str:
    return f"/participants/{p.id}/skill-form" + (f"/{action}" if action else "")


def _post(client, url: str, page: str, data: dict | None = None):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, page)},
                       headers=HTML)


def _sms(db_session, p) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.participant_id == p.id, OutboxMessage.template == "skill_form_link")))


@pytest.fixture
def returnee(app, kit, db_session):
    p = kit.participant(Stage.RETURN, language="ne",
                        consents=[{"purpose": "updates", "method": "verbal"}])
    kit.passport(p)
    return p


def test_the_link_is_sent_by_sms_in_the_participants_language(app, client, kit, returnee,
                                                              db_session):
    form_for(app, db_session, kit.caseworker, returnee)
    log_in(client, kit.caseworker)
    page = client.get(_url(returnee), headers=HTML)
    assert page.status_code == 200 and "Send the link by SMS" in text(page)
    resp = _post(client, _url(returnee, "sms"), _url(returnee))
    assert resp.status_code == 303
    [msg] = _sms(db_session, returnee)
    assert (msg.channel, msg.language, msg.status) == ("sms", "ne", "queued")
    assert "/skill-form/" in msg.body and msg.recipient == returnee.phone
    assert "The link was sent by SMS, in Nepali." in text(client.get(_url(returnee), headers=HTML))
    # The link in the SMS works: it is the form's current link.
    token = re.search(r"/skill-form/(\S+?)\.?(\s|$)", msg.body).group(1)
    assert client.get(f"/skill-form/{token}", headers=HTML).status_code == 200


def test_sms_api_queues_and_refuses_without_consent_or_after_opt_out(app, client, kit, factory,
                                                                     returnee, db_session):
    form_for(app, db_session, kit.caseworker, returnee)
    headers = factory.headers(kit.caseworker)
    url = f"/api/v1/participants/{returnee.id}/skill-form/link/sms"
    ok = client.post(url, headers=headers)
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["language"] == "ne" and ok.get_json()["queued"] == 1
    assert "url" not in ok.get_json()

    db_session.add(SmsOptOut(phone=returnee.phone, source="stop", opted_out_at=utcnow()))
    db_session.flush()
    refused = client.post(url, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "opted-out"

    silent = kit.participant(Stage.RETURN)  # no consent to updates
    form_for(app, db_session, kit.caseworker, silent)
    resp = client.post(f"/api/v1/participants/{silent.id}/skill-form/link/sms", headers=headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "consent-required"
    by_email = kit.participant(Stage.RETURN, channels=["email"], email="a@example.org",
                               consents=[{"purpose": "updates", "method": "verbal"}])
    form_for(app, db_session, kit.caseworker, by_email)
    resp = client.post(f"/api/v1/participants/{by_email.id}/skill-form/link/sms", headers=headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "no-sms"
    assert len(_sms(db_session, returnee)) == 1
    assert _sms(db_session, silent) == [] and _sms(db_session, by_email) == []


def test_a_link_to_copy_is_shown_once(app, client, kit, returnee, db_session):
    form = form_for(app, db_session, kit.caseworker, returnee)
    log_in(client, kit.caseworker)
    resp = _post(client, _url(returnee, "link"), _url(returnee))
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    assert re.search(r'href="http[^"]+/skill-form/[^"]+"', resp.get_data(as_text=True))
    db_session.refresh(form)
    assert form.link_token_hash is not None


def test_staff_open_and_complete_the_form_which_issues_a_card(client, kit, returnee, db_session):
    log_in(client, kit.caseworker)
    assert _post(client, _url(returnee, "open"), _url(returnee)).status_code == 303
    form = db_session.scalar(select(SkillForm).where(SkillForm.participant_id == returnee.id))
    stale = _post(client, _url(returnee, "complete"), _url(returnee),
                  {"version": str(form.version + 1)})
    assert stale.status_code == 409
    resp = _post(client, _url(returnee, "complete"), _url(returnee), {"version": str(form.version)})
    assert resp.status_code == 303
    card = db_session.scalar(select(SkillCard).where(SkillCard.participant_id == returnee.id))
    page = client.get(_url(returnee), headers=HTML)
    assert f"Skill card {card.number} issued." in text(page)
    assert f"/participants/{returnee.id}/skill-card" in page.get_data(as_text=True)
    assert f"/cards/{card.public_id}" in page.get_data(as_text=True)


def test_only_supervisors_revoke_a_card_with_a_reason(app, client, kit, returnee, db_session):
    card = card_for(app, db_session, kit.caseworker, returnee)
    url = f"/participants/{returnee.id}/skill-cards/{card.id}/revoke"
    log_in(client, kit.caseworker)
    assert "Reason for revoking" not in text(client.get(_url(returnee), headers=HTML))
    assert _post(client, url, _url(returnee), {"reason": "Error"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")}, headers=HTML)
    log_in(client, kit.supervisor)
    empty = _post(client, url, _url(returnee), {"reason": ""})
    assert empty.status_code == 422 and f'id="err-reason-{card.id}"' in empty.get_data(as_text=True)
    assert _post(client, url, _url(returnee), {"reason": "Issued in error"}).status_code == 303
    db_session.refresh(card)
    assert card.revocation_reason == "Issued in error"


def test_opening_before_return_says_why(client, kit, db_session):
    p = kit.participant(Stage.STAY)
    log_in(client, kit.caseworker)
    resp = _post(client, _url(p, "open"), _url(p))
    assert resp.status_code == 409 and "prepares to return" in text(resp)


# A real link: the public address, then a signed token of about 70 characters.
_LINK = ("https://journey.example.org/skill-form/"
         "WzEyMzQ1LCJfX3NvbWVfdG9rZW5fdGV4dF9oZXJlX18iXQ.kE4b1CzY0b6m9Jt3w2Xx3qYt5aC8")


@pytest.mark.parametrize("name", ["Sita", "Lucía", "Ngozi"])
def test_the_link_sms_keeps_its_segment_budget_in_every_language(app, name):
    from datetime import date  # noqa: PLC0415

    from journey.config import SUPPORTED_LANGUAGES  # noqa: PLC0415
    from notifications import segments  # noqa: PLC0415
    from notifications.templates import render  # noqa: PLC0415

    for language in SUPPORTED_LANGUAGES:
        with app.test_request_context():
            sms = render("skill_form_link", language, {
                "name": name, "reference": "DE7T-CPE8", "centre": "Kathmandu MRC",
                "phone": "+977 1 4000000", "url": _LINK, "date": date(2026, 12, 14)}).sms
        info = segments.count(segments.normalise(sms))
        assert _LINK in sms, language
        assert info.segments <= (2 if info.encoding == "GSM-7" else 3), (language, sms)
