"""Template params: declared per template, validated field by field by the campaign API and the
preview, and held to the same declaration when a domain queues or renders a message."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from journey.continuum.models import EventKind
from notifications.models import Campaign, OutboxMessage
from notifications.outbox import build_rows
from notifications.templates import (
    COUNTRY,
    DATE,
    RECIPIENT_PARAMS,
    TEMPLATES,
    TEXT,
    URL,
    TemplateParamsError,
    render,
)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
GOOD = {TEXT: "Orientation", DATE: "2026-12-14", URL: "https://mrc.example.org/w", COUNTRY: "PT"}
WRONG = {TEXT: 5, DATE: "14 Dec", URL: "not a link", COUNTRY: "Portugal"}
PYTHON = {TEXT: "Orientation", DATE: date(2026, 12, 14), URL: "https://mrc.example.org/w",
          COUNTRY: "PT"}
WITH_PARAMS = sorted(name for name, t in TEMPLATES.items() if t.params)
ENDPOINTS = ["/api/v1/campaigns/preview", "/api/v1/campaigns"]


def _good(name: str) -> dict:
    return {key: GOOD[p] for key, p in TEMPLATES[name].params.items()}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_template_declares_exactly_the_params_its_text_uses(name):
    template = TEMPLATES[name]
    used = set(PLACEHOLDER.findall(template.sms._args[0]))  # the English source text
    assert used <= set(template.params) | RECIPIENT_PARAMS, f"{name}: undeclared {used}"
    assert set(template.params) <= used, f"{name}: declares params its text never shows"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", WITH_PARAMS)
def test_missing_params_are_422_field_by_field(client, factory, person, endpoint, name):
    h = factory.headers(person.caseworker)
    resp = client.post(endpoint, headers=h, json={"name": "C", "template": name, "params": {}})
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    assert sorted(e["field"] for e in errors) == sorted(f"params.{k}"
                                                        for k in TEMPLATES[name].params)
    assert {e["code"] for e in errors} == {"required"}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", WITH_PARAMS)
def test_wrong_and_unknown_params_are_422_field_by_field(client, factory, person, endpoint, name):
    h = factory.headers(person.caseworker)
    params = {key: WRONG[p] for key, p in TEMPLATES[name].params.items()}
    params["centre"] = "Not yours to set"  # a recipient's param is not a caller's
    resp = client.post(endpoint, headers=h, json={"name": "C", "template": name, "params": params})
    assert resp.status_code == 422, resp.get_json()
    by_field = {e["field"]: e["code"] for e in resp.get_json()["errors"]}
    assert by_field == {**{f"params.{k}": "invalid" for k in TEMPLATES[name].params},
                        "params.centre": "unknown-field"}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_declared_params_are_enough_to_preview_and_send(client, factory, person, db_session,
                                                         name):
    prog = factory.programme()
    p = person(language="fr", programme_id=prog.id, channels=["sms"])
    h = factory.headers(person.caseworker)
    body = {"name": "C", "template": name, "params": _good(name),
            "filter": {"programme_id": prog.id}}
    preview = client.post("/api/v1/campaigns/preview", headers=h, json=body)
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["messages"] == 1
    sent = client.post("/api/v1/campaigns", headers=h, json=body)
    assert sent.status_code == 201, sent.get_json()
    campaign = db_session.get(Campaign, sent.get_json()["campaign_id"])
    assert campaign.params == _good(name)  # stored as sent: JSON, dates as ISO text
    row = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id)).one()
    assert row.participant_id == p.id and "%(" not in row.body
    if "date" in TEMPLATES[name].params:
        assert "14 déc. 2026" in row.body  # the date in the recipient's language


def test_a_campaign_date_is_shown_in_each_recipients_language(client, factory, person,
                                                              db_session):
    prog = factory.programme()
    person(language="en", programme_id=prog.id, channels=["sms"])
    person(language="pt", programme_id=prog.id, channels=["sms"])
    h = factory.headers(person.caseworker)
    sent = client.post("/api/v1/campaigns", headers=h, json={
        "name": "C", "template": "permit_expiring", "params": {"date": "2026-12-14"},
        "filter": {"programme_id": prog.id}}).get_json()
    bodies = {r.language: r.body for r in db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == sent["campaign_id"]))}
    assert "Dec 14, 2026" in bodies["en"]
    assert "14 de dez. de 2026" in bodies["pt"]


@pytest.mark.parametrize("name", WITH_PARAMS)
def test_queueing_or_rendering_without_the_declared_params_is_refused(app, person, db_session,
                                                                        name):
    from journey.messaging.bridge import recipient_for

    p = person(channels=["sms"])
    with app.app_context():
        recipient = recipient_for(db_session, p)
        with pytest.raises(TemplateParamsError) as missing:
            build_rows(recipient, name, {})
        assert {e["field"] for e in missing.value.errors} == {
            f"params.{k}" for k in TEMPLATES[name].params}
        wrong = {key: WRONG[p] for key, p in TEMPLATES[name].params.items()}
        with pytest.raises(TemplateParamsError):
            build_rows(recipient, name, wrong)
        with pytest.raises(TemplateParamsError):
            render(name, "en", {})
        good = {key: PYTHON[p] for key, p in TEMPLATES[name].params.items()}
        assert build_rows(recipient, name, good)[0]["body"]
        with pytest.raises(TemplateParamsError):
            build_rows(recipient, name, {**good, "surprise": "x"})


def test_rendering_needs_the_recipients_params_too(app):
    with app.app_context(), pytest.raises(TemplateParamsError) as raised:
        render("stage_entered.intake", "en", {"name": "Sunita"})
    assert {e["field"] for e in raised.value.errors} == {"params.centre", "params.reference",
                                                         "params.phone"}


def test_the_bridge_passes_what_each_template_declares(app, person, db_session, messaging):
    """Journey events queue welcome, return, checklist and permit messages without error."""
    from journey.continuum.services import record_event

    p = person(channels=["sms"], destination_country="PT")
    with app.test_request_context():
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="arrival")
        record_event(db_session, p, EventKind.STAGE_ENTERED, to_stage="return")
        record_event(db_session, p, EventKind.CHECKLIST_ITEM_DUE, item_id=0, key="visa",
                     due_date="2026-12-14", dedupe_key="due:visa")
        record_event(db_session, p, EventKind.PERMIT_EXPIRING, expires_on="2026-12-14",
                     dedupe_key="permit:1:7")
    templates = set(db_session.scalars(sa.select(OutboxMessage.template)
                                       .where(OutboxMessage.participant_id == p.id)))
    assert {"welcome_package", "pre_return_info", "checklist_item_due",
            "permit_expiring"} <= templates


def test_text_that_cannot_be_encoded_is_422(client, factory, person):
    h = factory.headers(person.caseworker)
    resp = client.post("/api/v1/campaigns/preview", headers=h, json={
        "name": "C", "template": "referral_update", "params": {"service": "Job\ud800centre"}})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["params.service"]


def test_preview_of_appointment_reminder_without_params_is_422_not_500(client, factory, person):
    """Finding 12 of issue #11: this exact body gave a 500 (KeyError 'date')."""
    person(channels=["sms"])  # someone to render for: the KeyError came while rendering
    h = factory.headers(person.caseworker)
    resp = client.post("/api/v1/campaigns/preview", headers=h,
                       json={"name": "Orientation day", "template": "appointment_reminder"})
    assert resp.status_code == 422, resp.get_json()
    assert resp.content_type == "application/problem+json"
    by_field = {e["field"]: e["code"] for e in resp.get_json()["errors"]}
    assert by_field.get("params.date") == "required", by_field
