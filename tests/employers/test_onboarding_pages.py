"""The placement pages through the test client: the placement page (confirm on the employer's
behalf, contest in the participant's words, email a link to a contact, retention, ending it),
the record page's Placement section, errors beside the fields, and the public signed-link page
(no login; in the contact's language, Arabic right to left; 410 once used, 404 when forged)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from journey.core.db import utcnow
from journey.employers import notify, steps
from journey.employers.models import OnboardingStep, Placement, RetentionCheck
from journey.grievances.models import Grievance
from notifications.models import OutboxMessage
from tests.employers.onboarding_helpers import contact, place
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _post(client, path, data, token_from):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)},
                       headers=HTML)


def test_the_placement_page_shows_steps_and_confirms_on_behalf(client, factory, db_session):
    placed = place(factory, db_session)
    log_in(client, placed.caseworker)
    url = f"/placements/{placed.placement.id}"
    page = client.get(url, headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert placed.participant.family_name in body
    assert "Employment contract signed" in body and "Confirm for the employer" in body
    assert "the arrival is not recorded yet" in body
    step = placed.step(db_session, "contract_signed")
    resp = _post(client, f"{url}/steps/{step.id}/confirm", {}, url)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"#step-{step.id}")
    db_session.expire_all()
    assert db_session.get(OnboardingStep, step.id).status == "confirmed"
    again = _post(client, f"{url}/steps/{step.id}/confirm", {}, url)
    assert again.status_code == 409 and "already confirmed" in text(again)


def test_an_employer_confirms_its_own_and_cannot_open_anothers(client, factory, db_session):
    placed = place(factory, db_session)
    other = place(factory, db_session)
    log_in(client, placed.employer_user)
    url = f"/placements/{placed.placement.id}"
    page = client.get(url, headers=HTML)
    assert page.status_code == 200 and "Confirm" in text(page)
    assert "Email a link" not in text(page) and "contests it" not in text(page)
    assert client.get(f"/placements/{other.placement.id}", headers=HTML).status_code == 404
    step = placed.step(db_session, "arrival_met")
    assert _post(client, f"{url}/steps/{step.id}/confirm", {}, url).status_code == 303


def test_contest_on_the_page_with_the_participants_words(client, app, factory, db_session):
    placed = place(factory, db_session)
    step = placed.step(db_session, "first_wage_paid")
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, step.id)
    log_in(client, placed.caseworker)
    url = f"/placements/{placed.placement.id}/steps/{step.id}/contest"
    assert "The participant contests it" in text(client.get(
        f"/placements/{placed.placement.id}", headers=HTML))
    form = client.get(url, headers=HTML)
    assert form.status_code == 200 and "What the participant says" in text(form)
    empty = _post(client, url, {"text": "  "}, url)
    assert empty.status_code == 422
    assert 'id="err-text"' in empty.get_data(as_text=True)
    done = _post(client, url, {"text": "Only half of the wage was paid"}, url)
    assert done.status_code == 303
    db_session.expire_all()
    (g,) = db_session.scalars(sa.select(Grievance)).all()
    assert (g.category, g.description) == ("wages", "Only half of the wage was paid")
    assert db_session.get(OnboardingStep, step.id).contest_grievance_id == g.id
    assert g.reference in text(client.get(f"/placements/{placed.placement.id}", headers=HTML))


def test_send_a_link_to_a_contact(client, factory, db_session):
    placed = place(factory, db_session)
    c = contact(factory, placed.employer_user.employer_id, name="Rui Costa")
    step = placed.step(db_session, "accommodation_ready")
    log_in(client, placed.caseworker)
    url = f"/placements/{placed.placement.id}/steps/{step.id}/link"
    form = client.get(url, headers=HTML)
    assert form.status_code == 200 and "Rui Costa" in text(form)
    missing = _post(client, url, {"contact_id": ""}, url)
    assert missing.status_code == 422 and 'id="err-contact_id"' in missing.get_data(as_text=True)
    sent = _post(client, url, {"contact_id": str(c.id)}, url)
    assert sent.status_code == 303
    (mail,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == notify.LINK)).all()
    assert mail.recipient == c.email


def test_record_retention_and_end_on_the_page(client, factory, db_session):
    placed = place(factory, db_session)
    placement = db_session.get(Placement, placed.placement.id)
    placement.arrived_on = utcnow().date() - timedelta(days=200)
    for months, days in ((3, 110), (6, 20), (12, -165)):
        db_session.add(RetentionCheck(placement_id=placement.id, months=months,
                                      due_on=utcnow().date() - timedelta(days=days)))
    db_session.flush()
    log_in(client, placed.caseworker)
    url = f"/placements/{placed.placement.id}"
    resp = _post(client, f"{url}/retention", {"months": "6", "retained": "true"}, url)
    assert resp.status_code == 303
    not_due = _post(client, f"{url}/retention", {"months": "12", "retained": "true"}, url)
    assert not_due.status_code == 409
    bad = _post(client, f"{url}/end", {"reason": ""}, url)
    assert bad.status_code == 422 and 'id="err-reason"' in bad.get_data(as_text=True)
    ended = _post(client, f"{url}/end", {"reason": "resigned"}, url)
    assert ended.status_code == 303
    db_session.expire_all()
    assert db_session.get(Placement, placed.placement.id).status == "ended"
    check = db_session.scalar(sa.select(RetentionCheck).where(
        RetentionCheck.placement_id == placed.placement.id, RetentionCheck.months == 6))
    assert check.retained is True


def test_the_record_page_shows_the_placement(client, factory, db_session):
    placed = place(factory, db_session)
    log_in(client, placed.caseworker)
    page = text(client.get(f"/participants/{placed.participant.id}", headers=HTML))
    assert "Placement" in page and "Employment contract signed" in page
    assert "Open the placement" in page


def test_the_public_link_page_in_arabic_works_once(client, app, factory, db_session):
    placed = place(factory, db_session)
    c = contact(factory, placed.employer_user.employer_id, language="ar", email="hr@example.jo")
    step = placed.step(db_session, "workplace_induction")
    with app.test_request_context():
        _link, token = steps.issue_link(db_session, placed.caseworker, step.id, contact_id=c.id)
    (mail,) = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == notify.LINK)).all()
    url = f"/onboarding/confirm/{token}?lang=ar"
    assert url in mail.body
    page = client.get(url, headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert placed.participant.given_name in html and placed.participant.family_name not in html
    assert "Content-Security-Policy" in page.headers and "<script" not in html
    done = _post(client, url, {}, url)
    assert done.status_code == 200 and 'dir="rtl"' in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(OnboardingStep, step.id).status == "confirmed"
    gone = client.get(url, headers=HTML)
    assert gone.status_code == 410 and "This link no longer works" in text(
        client.get(f"/onboarding/confirm/{token}", headers=HTML))
    assert client.get(f"/onboarding/confirm/{token[:-3]}abc", headers=HTML).status_code == 404


def test_the_public_page_needs_the_csrf_token(client, app, factory, db_session):
    placed = place(factory, db_session)
    c = contact(factory, placed.employer_user.employer_id)
    step = placed.step(db_session, "arrival_met")
    with app.test_request_context():
        _link, token = steps.issue_link(db_session, placed.caseworker, step.id, contact_id=c.id)
    resp = client.post(f"/onboarding/confirm/{token}", data={}, headers=HTML)
    assert resp.status_code == 400
    db_session.expire_all()
    assert db_session.get(OnboardingStep, step.id).status == "waiting"


def test_the_list_of_placements_in_the_nav(client, factory, db_session):
    placed = place(factory, db_session)
    other = place(factory, db_session)
    log_in(client, placed.caseworker)
    home = client.get("/placements", headers=HTML)
    assert home.status_code == 200
    page = text(home)
    assert placed.participant.family_name in page and other.participant.family_name not in page
    assert 'href="/placements"' in home.get_data(as_text=True)  # the header's link
    assert client.get("/placements?status=ended", headers=HTML).status_code == 200
    assert placed.participant.family_name not in text(
        client.get("/placements?status=ended", headers=HTML))
    assert client.get("/placements?status=lost", headers=HTML).status_code == 422


HOSTILE = ["", "x" * 5000, "a\x00b", "99999999999999999999", "-1", "2026-02-30", "٣٤",
           "<script>alert(1)</script>"]


def test_no_onboarding_form_answers_500_to_hostile_input(client, app, factory, db_session):
    placed = place(factory, db_session)
    c = contact(factory, placed.employer_user.employer_id)
    confirmed = placed.step(db_session, "contract_signed")
    waiting = placed.step(db_session, "arrival_met")
    with app.test_request_context():
        steps.confirm_step(db_session, placed.employer_user, confirmed.id)
        _link, token = steps.issue_link(db_session, placed.caseworker, waiting.id,
                                        contact_id=c.id)
    base = f"/placements/{placed.placement.id}"
    forms = [(f"{base}/steps/{confirmed.id}/contest", ("text",)),
             (f"{base}/steps/{waiting.id}/link", ("contact_id",)),
             (f"{base}/retention", ("months", "retained")),
             (f"{base}/end", ("reason",))]
    log_in(client, placed.caseworker)
    for action, names in forms:
        for value in HOSTILE:
            resp = _post(client, action, {n: value for n in names}, base)
            assert resp.status_code < 500 and resp.mimetype == "text/html", (action, value)
            assert resp.status_code in (303, 400, 409, 422), (action, value, resp.status_code)
    client.get("/logout")
    public = f"/onboarding/confirm/{token}"
    for value in HOSTILE[1:3]:  # too long, a NUL: the rest is a fine note
        resp = _post(client, public, {"note": value}, public)
        assert resp.status_code == 422, (value, resp.status_code)
    db_session.expire_all()
    assert db_session.get(OnboardingStep, waiting.id).status == "waiting"
