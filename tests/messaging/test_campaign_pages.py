"""Campaign pages: choose, preview (texts per language, segments, encoding, cost, skips), send."""

from __future__ import annotations

import re

import sqlalchemy as sa

from notifications.models import Campaign, OutboxMessage, SmsOptOut
from tests.notifications.conftest import person  # noqa: F401
from tests.web.test_pages import HTML, csrf_token, log_in, text

FORM = {"name": "Orientation day", "template": "appointment_reminder",
        "params.what": "Orientation", "params.place": "Kathmandu MRC",
        "params.date": "2026-12-01"}


def _field_error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{re.escape(field)}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found.group(1)


def _post(client, path: str, data: dict, page: str = "/campaigns/new?template=appointment_reminder"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)}, headers=HTML)


def _cohort(factory, person, db_session):  # noqa: F811
    prog = factory.programme()
    ne = [person(language="ne", programme_id=prog.id, channels=["sms"]) for _ in range(2)]
    fr = person(language="fr", programme_id=prog.id, channels=["sms", "email"],
                email="a@example.org")
    person(consent_to_updates=False, programme_id=prog.id, channels=["sms"])
    opted = person(programme_id=prog.id, channels=["sms"])
    db_session.add(SmsOptOut(phone=opted.phone, source="keyword",
                             opted_out_at=ne[0].created_at))
    db_session.flush()
    return prog, ne, fr


def test_the_form_shows_the_chosen_message_fields(client, factory, person):  # noqa: F811
    log_in(client, person.caseworker)
    empty = client.get("/campaigns/new", headers=HTML)
    assert empty.status_code == 200 and 'name="params.what"' not in empty.get_data(as_text=True)
    chosen = client.get("/campaigns/new?template=appointment_reminder", headers=HTML)
    body = chosen.get_data(as_text=True)
    assert 'name="params.what"' in body and 'name="params.date"' in body
    assert 'type="date"' in body


def test_preview_shows_texts_per_language_and_who_is_skipped(client, factory, person,  # noqa: F811
                                                             db_session):
    prog, _ne, _fr = _cohort(factory, person, db_session)
    log_in(client, person.caseworker)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    resp = _post(client, "/campaigns/preview", {**FORM, "filter.programme_id": str(prog.id)})
    assert resp.status_code == 200
    page = text(resp)
    assert "5 participants match the audience" in page
    assert "4 messages will be sent" in page
    # The actual texts, rendered per language: French and Nepali.
    assert "Orientation" in page and "Kathmandu MRC" in page
    assert 'lang="fr"' in resp.get_data(as_text=True) and 'lang="ne"' in resp.get_data(as_text=True)
    assert "UCS-2" in page and "GSM-7" in page
    assert "Estimated cost" in page
    assert "No consent to SMS and email updates: 1" in page
    assert "Replied STOP to our texts (opted out): 1" in page
    # A preview writes nothing.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before


def test_preview_errors_show_beside_the_fields(client, factory, person):  # noqa: F811
    log_in(client, person.caseworker)
    no_name = _post(client, "/campaigns/preview", {**FORM, "name": ""})
    assert no_name.status_code == 422 and _field_error(no_name, "name")
    resp = _post(client, "/campaigns/preview", {**FORM, "params.date": "tomorrow",
                                                "params.place": ""})
    assert resp.status_code == 422
    assert _field_error(resp, "params.date") and _field_error(resp, "params.place")
    assert 'value="Orientation"' in resp.get_data(as_text=True)  # typed values kept
    bad_template = _post(client, "/campaigns/preview", {**FORM, "template": "spam"})
    assert bad_template.status_code == 422 and _field_error(bad_template, "template")


def test_send_needs_confirmation_then_queues_and_redirects(client, factory, person,  # noqa: F811
                                                          db_session):
    prog, ne, fr = _cohort(factory, person, db_session)
    log_in(client, person.caseworker)
    form = {**FORM, "filter.programme_id": str(prog.id)}
    unconfirmed = _post(client, "/campaigns/send", form)
    assert unconfirmed.status_code == 422 and _field_error(unconfirmed, "confirm")
    assert not db_session.scalars(sa.select(Campaign)).all()
    sent = _post(client, "/campaigns/send", {**form, "confirm": "yes"})
    assert sent.status_code == 303
    campaign = db_session.scalars(sa.select(Campaign)).one()
    assert sent.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    rows = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id)).all()
    assert len(rows) == 4 and {r.participant_id for r in rows} == {ne[0].id, ne[1].id, fr.id}
    result = client.get(sent.headers["Location"], headers=HTML)
    assert result.status_code == 200
    assert "Campaign queued: 4 messages." in text(result) and "queued: 4" in text(result)


def test_csrf_and_permission(client, factory, person):  # noqa: F811
    log_in(client, person.caseworker)
    no_token = client.post("/campaigns/preview", data=FORM, headers=HTML)
    assert no_token.status_code == 400
    client.get("/logout", headers=HTML)
    other = client.application.test_client()
    log_in(other, factory.user("employer", employer=factory.employer()))
    assert other.get("/campaigns/new", headers=HTML).status_code == 403


def test_a_campaign_of_another_office_is_404(client, factory, person, db_session):  # noqa: F811
    prog, _ne, _fr = _cohort(factory, person, db_session)
    log_in(client, person.caseworker)
    sent = _post(client, "/campaigns/send", {**FORM, "filter.programme_id": str(prog.id),
                                             "confirm": "yes"})
    path = sent.headers["Location"]
    stranger = client.application.test_client()
    log_in(stranger, factory.user("supervisor", office=factory.office()))
    assert stranger.get(path, headers=HTML).status_code == 404
