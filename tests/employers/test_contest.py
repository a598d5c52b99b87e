"""A contest opens a grievance (issue #15): the participant says a confirmed step did not happen,
by SMS reply (CONTEST, through the real signed Twilio webhook) or through their caseworker; a
grievance against that employer opens with their words and the step is contested."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.config import SUPPORTED_LANGUAGES
from journey.core.errors import Conflict
from journey.employers import sms, steps
from journey.employers.models import OnboardingStep
from journey.grievances import services as grievance_services
from journey.grievances.models import Grievance
from notifications.hooks import hooks_for
from notifications.models import InboundMessage, OutboxMessage
from tests.employers.onboarding_helpers import place
from tests.fakes.twilio import fake_twilio  # noqa: F401 (a fixture)
from tests.notifications.conftest import messaging  # noqa: F401 (a fixture)
from tests.notifications.test_outbox import _inbound


def _reply(resp) -> str:
    assert resp.status_code == 200 and resp.mimetype == "application/xml", resp.get_data()
    found = re.search(r"<Message>(.*)</Message>", resp.get_data(as_text=True), re.S)
    assert found, resp.get_data(as_text=True)
    return found.group(1)


def _grievances(db_session) -> list[Grievance]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Grievance).order_by(Grievance.id)))


def _confirmed(app, db_session, placed, key):
    step = placed.step(db_session, key)
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, step.id)
    return step


@pytest.mark.parametrize(("key", "category"), [("first_wage_paid", "wages"),
                                               ("accommodation_ready", "housing"),
                                               ("contract_signed", "contract_substitution"),
                                               ("arrival_met", "other")])
def test_a_caseworker_records_a_contest_and_a_grievance_opens(app, factory, db_session, key,
                                                              category):
    placed = place(factory, db_session, language="pt")
    step = _confirmed(app, db_session, placed, key)
    words = "Recebi metade do salário."
    with app.test_request_context():
        g = steps.contest_step(db_session, placed.caseworker, step.id, text=words,
                               channel="staff")
    db_session.refresh(step)
    assert (step.status, step.contest_grievance_id) == ("contested", g.id)
    assert step.contested_at is not None
    assert (g.category, g.against_kind, g.against_employer_id, g.participant_id) == (
        category, "employer", placed.employer_user.employer_id, placed.participant.id)
    assert (g.description, g.channel, g.language) == (words, "staff", "pt")
    # The participant is sent the receipt with the tracking code (the outbox, in Portuguese).
    receipt = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == "grievance_acknowledged")).all()
    assert [r.participant_id for r in receipt] == [placed.participant.id]
    assert {r.language for r in receipt} == {"pt"}


def test_only_a_confirmed_step_can_be_contested_and_only_once(app, factory, db_session):
    placed = place(factory, db_session)
    waiting = placed.step(db_session, "arrival_met")
    step = _confirmed(app, db_session, placed, "first_wage_paid")
    with app.test_request_context():
        with pytest.raises(Conflict) as refused:
            steps.contest_step(db_session, placed.caseworker, waiting.id, text="x",
                               channel="staff")
        assert refused.value.code == "step-not-confirmed"
        steps.contest_step(db_session, placed.caseworker, step.id, text="Not paid",
                           channel="staff")
        with pytest.raises(Conflict):
            steps.contest_step(db_session, placed.caseworker, step.id, text="Again",
                               channel="staff")
        # A contested step cannot be confirmed again over the participant's word.
        with pytest.raises(Conflict):
            steps.confirm_step(db_session, placed.employer_user, step.id)
    assert len(_grievances(db_session)) == 1


def test_contest_through_the_api(client, app, factory, db_session):
    placed = place(factory, db_session)
    step = _confirmed(app, db_session, placed, "first_wage_paid")
    url = f"/api/v1/placements/{placed.placement.id}/steps/{step.id}/contest"
    assert client.post(url, json={"text": "Not paid"},
                       headers=factory.headers(placed.employer_user)).status_code == 403
    assert client.post(url, json={"text": "  "},
                       headers=factory.headers(placed.caseworker)).status_code == 422
    resp = client.post(url, json={"text": "I was paid half"},
                       headers=factory.headers(placed.caseworker))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["step"]["status"] == "contested"
    (g,) = _grievances(db_session)
    assert (body["grievance_id"], body["grievance_reference"]) == (g.id, g.reference)
    assert "tracking_code" not in body


def test_contest_by_sms_through_the_webhook(app, client, factory, db_session, fake_twilio,  # noqa: F811
                                            messaging):  # noqa: F811
    placed = place(factory, db_session, language="en")
    _confirmed(app, db_session, placed, "arrival_met")
    step = _confirmed(app, db_session, placed, "first_wage_paid")  # the latest
    resp = _inbound(client, fake_twilio, placed.participant.phone,
                    "CONTEST they paid me only half")
    reply = _reply(resp)
    (g,) = _grievances(db_session)
    assert (g.participant_id, g.channel, g.category, g.against_employer_id) == (
        placed.participant.id, "sms", "wages", placed.employer_user.employer_id)
    assert g.description == "they paid me only half"
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reply).group(0)
    assert grievance_services.find_by_code(db_session, code).id == g.id
    assert reply.startswith("We received your complaint")
    assert db_session.get(OnboardingStep, step.id).status == "contested"
    assert placed.step(db_session, "arrival_met").status == "confirmed"
    (record,) = db_session.scalars(sa.select(InboundMessage)).all()
    assert record.body == f"grievance:{g.id}" and record.keyword == "contest"
    assert not record.needs_attention


def test_contest_by_sms_in_portuguese_is_answered_in_portuguese(app, client, factory, db_session,
                                                               fake_twilio, messaging):  # noqa: F811
    placed = place(factory, db_session, language="pt")
    step = _confirmed(app, db_session, placed, "accommodation_ready")
    reply = _reply(_inbound(client, fake_twilio, placed.participant.phone,
                            "Contestar: não há quarto, durmo no armazém"))
    (g,) = _grievances(db_session)
    assert (g.category, g.language, g.description) == (
        "housing", "pt", "não há quarto, durmo no armazém")
    assert db_session.get(OnboardingStep, step.id).status == "contested"
    from journey.grievances import notify as grievance_notify

    with app.test_request_context():
        code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reply).group(0)
        assert reply == grievance_notify.acknowledgement(db_session, g, code, "pt")


def test_a_bare_contest_still_opens_one_naming_the_step(app, client, factory, db_session,
                                                        fake_twilio, messaging):  # noqa: F811
    placed = place(factory, db_session, language="en")
    _confirmed(app, db_session, placed, "first_wage_paid")
    _reply(_inbound(client, fake_twilio, placed.participant.phone, "contest"))
    (g,) = _grievances(db_session)
    assert g.description == "Contested by SMS, without details: First wage paid in full"


def test_nothing_to_contest_gets_a_helpful_reply(app, client, factory, db_session, fake_twilio,  # noqa: F811
                                                 messaging):  # noqa: F811
    placed = place(factory, db_session, language="en")
    reply = _reply(_inbound(client, fake_twilio, placed.participant.phone, "CONTEST not paid"))
    assert "COMPLAINT" in reply and _grievances(db_session) == []
    # A step confirmed long ago is out of reach too.
    step = _confirmed(app, db_session, placed, "first_wage_paid")
    step.confirmed_at -= timedelta(days=61)
    db_session.flush()
    reply = _reply(_inbound(client, fake_twilio, placed.participant.phone, "CONTEST late"))
    assert "COMPLAINT" in reply and _grievances(db_session) == []
    # An unknown number too.
    reply = _reply(_inbound(client, fake_twilio, "+351910000777", "CONTEST"))
    assert "COMPLAINT" in reply


def test_every_language_has_a_contest_word_that_routes(app):
    assert set(sms.WORDS) == set(SUPPORTED_LANGUAGES)
    router = hooks_for(app).keywords
    for language, words in sms.WORDS.items():
        for word in words:
            match = router.route(f"{word} no salary")
            assert match is not None and match.action == "contest", (language, word)
            assert match.text == "no salary"


def test_the_employer_never_learns_of_the_contest(client, app, factory, db_session):
    """A contest is a grievance: the employer sees the step as the confirmation it gave, with
    no date or grievance of a contest, in the API and on its page."""
    placed = place(factory, db_session)
    step = _confirmed(app, db_session, placed, "first_wage_paid")
    with app.test_request_context():
        g = steps.contest_step(db_session, placed.caseworker, step.id, text="Paid half",
                               channel="staff")
    url = f"/api/v1/placements/{placed.placement.id}"
    mine = client.get(url, headers=factory.headers(placed.employer_user)).get_json()
    seen = next(s for s in mine["steps"] if s["id"] == step.id)
    assert (seen["status"], seen["contested_at"], seen["contest_grievance_id"]) == (
        "confirmed", None, None)
    staff = client.get(url, headers=factory.headers(placed.caseworker)).get_json()
    seen = next(s for s in staff["steps"] if s["id"] == step.id)
    assert (seen["status"], seen["contest_grievance_id"]) == ("contested", g.id)
    from tests.web.test_pages import HTML, log_in

    log_in(client, placed.employer_user)
    page = client.get(f"/placements/{placed.placement.id}", headers=HTML).get_data(as_text=True)
    assert "Contested" not in page and "contested" not in page and g.reference not in page
