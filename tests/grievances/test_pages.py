"""The grievance pages through the test client: the list and its filters, intake (the tracking
code shown once), one grievance (in full, and masked for a caseworker outside its circle), its
steps, notes and assignee, errors beside the fields, the record page's section, and the pages in
Arabic (right to left) and Nepali."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from journey.core.versions import Precondition
from journey.grievances import services
from journey.grievances.models import Channel, FocalPoint, Grievance, GrievanceEntry
from tests.web.test_pages import HTML, csrf_token, log_in, text


@pytest.fixture
def world(factory):
    office = factory.office()
    cw = factory.user("caseworker", office=office, full_name="Asha Caseworker")
    other = factory.user("caseworker", office=office, full_name="Bikash Other")
    sup = factory.user("supervisor", office=office, full_name="Chandra Supervisor")
    p = factory.participant(cw, given_name="Sita", family_name="Karki")
    return office, cw, other, sup, p


def _log(app, db_session, actor, participant=None, **data):
    data = {"category": "wages", "severity": "medium",
            "description": "Unpaid for two months at the farm", **data}
    with app.test_request_context():
        g, code = services.intake(db_session, actor, data, channel=Channel.STAFF,
                                  participant=participant)
    db_session.flush()
    return g, code


def _post(client, path, data, token_from):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)},
                       headers=HTML)


def _fresh(db_session, g):
    """The grievance as the requests left it (they change it in their own session)."""
    db_session.refresh(g)
    return g


def test_intake_for_a_participant_shows_the_tracking_code_once(client, world, db_session):
    _office, cw, *_rest, p = world
    log_in(client, cw)
    form = client.get(f"/participants/{p.id}/grievances/new", headers=HTML)
    assert form.status_code == 200
    page = text(form)
    assert "Sita Karki" in page and "Language for replies" in page
    assert "restricted for Harassment and gender-based violence" in page  # the default explained
    assert f'<option value="{cw.id}" selected>' in form.get_data(as_text=True)  # given to me

    resp = _post(client, f"/participants/{p.id}/grievances/new",
                 {"category": "wages", "severity": "high", "description": "Unpaid since May",
                  "assignee_id": str(cw.id), "against_kind": "recruiter",
                  "against_name": "Quick Jobs Ltd"}, f"/participants/{p.id}/grievances/new")
    assert resp.status_code == 303
    g = db_session.scalars(sa.select(Grievance).where(Grievance.participant_id == p.id)).one()
    assert resp.headers["Location"] == f"/grievances/{g.id}"
    shown = text(client.get(resp.headers["Location"], headers=HTML))
    assert f"Give the complainant this tracking code: {g.tracking_code}" in shown
    assert "Unpaid since May" in shown and "Quick Jobs Ltd" in shown
    again = text(client.get(f"/grievances/{g.id}", headers=HTML))
    assert g.tracking_code not in again  # never shown again
    assert "Unpaid since May" in again


def test_intake_errors_are_beside_the_fields(client, world):
    _office, cw, *_rest = world
    log_in(client, cw)
    resp = _post(client, "/grievances/new",
                 {"category": "", "description": " ", "against_kind": "other",
                  "contact_email": "not-an-email"}, "/grievances/new")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    for field in ("category", "description", "contact_email"):
        assert f'id="err-{field}"' in body, field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', body, re.S), field
    assert 'value="not-an-email"' in body  # what was typed is kept
    # The service's own check (whom it is against) is beside its field too.
    resp = _post(client, "/grievances/new",
                 {"category": "wages", "description": "x", "against_kind": "other"},
                 "/grievances/new")
    assert resp.status_code == 422 and 'id="err-against_name"' in resp.get_data(as_text=True)


def test_an_unnamed_person_with_a_contact(client, world, db_session):
    _office, cw, *_rest = world
    log_in(client, cw)
    resp = _post(client, "/grievances/new",
                 {"category": "housing", "description": "Twelve people in one room",
                  "contact_phone": "+351912345678", "language": "pt"}, "/grievances/new")
    assert resp.status_code == 303
    g = db_session.get(Grievance, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert g.participant_id is None and g.contact_phone == "+351912345678"
    assert g.language == "pt" and g.assignee_id == cw.id  # none chosen: whoever logs it
    assert "+351912345678" in text(client.get(f"/grievances/{g.id}", headers=HTML))


def test_the_list_filters_pages_and_masks(app, client, world, db_session):
    office, cw, other, sup, p = world
    mine, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    _theirs, _c = _log(app, db_session, other, None, category="housing", severity="high",
                       assignee_id=other.id)
    secret, _c = _log(app, db_session, other, p, category="harassment_gbv",
                      description="He touched me", assignee_id=other.id,
                      against_kind="other", against_name="The foreman Ram")
    log_in(client, cw)
    resp = client.get("/grievances", headers=HTML)
    assert resp.status_code == 200
    body = text(resp)
    assert "3 grievances" in body
    row = body.partition(secret.reference)[2].partition("</tr>")[0]
    assert "Restricted" in row and "Karki" not in row
    assert "foreman" not in body and "touched" not in body
    assert "Sita Karki" in body.partition(mine.reference)[2].partition("</tr>")[0]

    only_mine = text(client.get("/grievances?mine=1&open=1", headers=HTML))
    assert "1 grievance" in only_mine and mine.reference in only_mine
    high = text(client.get("/grievances?severity=high&category=housing", headers=HTML))
    assert "1 grievance" in high and mine.reference not in high
    # A name search never finds the restricted one; its reference does.
    by_name = text(client.get("/grievances?q=karki", headers=HTML))
    assert mine.reference in by_name and secret.reference not in by_name
    assert secret.reference in text(client.get(f"/grievances?q={secret.reference}", headers=HTML))
    assert client.get("/grievances?severity=enormous", headers=HTML).status_code == 422
    assert client.get("/grievances?page=0", headers=HTML).status_code == 422
    past = text(client.get("/grievances?page=9", headers=HTML))
    assert "past the end of the list" in past


def test_the_list_pages(app, client, world, db_session):
    _office, cw, *_rest = world
    for _ in range(27):
        _log(app, db_session, cw)
    log_in(client, cw)
    first = client.get("/grievances", headers=HTML).get_data(as_text=True)
    assert "27 grievances" in first and 'rel="next"' in first
    second = text(client.get("/grievances?page=2", headers=HTML))
    assert "showing 26–27" in second


def test_a_non_focal_caseworker_sees_a_restricted_grievance_masked(app, client, world, db_session):
    office, cw, other, sup, p = world
    g, _c = _log(app, db_session, other, p, category="harassment_gbv",
                 description="He touched me at night", desired_outcome="Move me elsewhere",
                 assignee_id=other.id, against_kind="other", against_name="The foreman Ram")
    log_in(client, cw)
    resp = client.get(f"/grievances/{g.id}", headers=HTML)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    for hidden in ("touched", "Move me", "foreman", "Karki", "Sita", p.reference):
        assert hidden not in body, hidden
    assert g.reference in body and "Restricted" in body
    assert "break-glass" not in body  # a caseworker cannot break the glass
    # Nor act on it: a clear 403.
    resp = _post(client, f"/grievances/{g.id}/entries", {"body": "hello"}, f"/grievances/{g.id}")
    assert resp.status_code == 403 and "This grievance is restricted" in text(resp)
    assert client.get(f"/grievances/{g.id}/transitions/acknowledge",
                      headers=HTML).status_code == 403

    log_in(client, sup)
    masked = client.get(f"/grievances/{g.id}", headers=HTML).get_data(as_text=True)
    assert f'href="/grievances/{g.id}/break-glass"' in masked and "touched" not in masked
    # A focal point sees it in full.
    db_session.add(FocalPoint(office_id=office.id, user_id=sup.id,
                              created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db_session.flush()
    full = text(client.get(f"/grievances/{g.id}", headers=HTML))
    assert "He touched me at night" in full and "The foreman Ram" in full


def test_steps_acknowledge_review_and_resolve_with_a_decision(app, client, world, db_session):
    _office, cw, *_rest, p = world
    g, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    log_in(client, cw)
    detail = f"/grievances/{g.id}"
    page = client.get(detail, headers=HTML).get_data(as_text=True)
    assert f'action="/grievances/{g.id}/transitions/acknowledge"' in page
    resp = _post(client, f"{detail}/transitions/acknowledge",
                 {"version": str(g.version), "state": "received"}, detail)
    assert resp.status_code == 303 and _fresh(db_session, g).state == "acknowledged"
    resp = _post(client, f"{detail}/transitions/start_review",
                 {"version": str(g.version), "state": "acknowledged"}, detail)
    assert resp.status_code == 303 and _fresh(db_session, g).state == "in_review"

    # Resolve without a decision: the error beside the field.
    step = f"{detail}/transitions/resolve"
    assert "Resolution summary" in text(client.get(step, headers=HTML))
    resp = _post(client, step, {"version": str(g.version), "state": "in_review",
                                "resolution_summary": "Paid in full"}, step)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="err-decision"' in body and "Paid in full" in body
    resp = _post(client, step, {"version": str(g.version), "state": "in_review",
                                "decision": "upheld", "resolution_summary": "Paid in full"}, step)
    assert resp.status_code == 303
    assert _fresh(db_session, g).state == "resolved" and g.decision == "upheld"
    shown = text(client.get(detail, headers=HTML))
    assert "Decision: Upheld" in shown and "Paid in full" in shown
    kinds = [e.event for e in db_session.scalars(sa.select(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "transition"))]
    assert kinds == ["receive", "acknowledge", "start_review", "resolve"]


def test_a_stale_version_shows_the_conflict_and_a_refused_step_says_why(
        app, client, world, db_session):
    _office, cw, *_rest = world
    g, _c = _log(app, db_session, cw, assignee_id=cw.id)
    log_in(client, cw)
    detail = f"/grievances/{g.id}"
    with app.test_request_context():
        services.transition(db_session, cw, g, "acknowledge", expected=Precondition())
    db_session.flush()
    # The form read version 1 in "acknowledged"... but it moved on meanwhile (version 2).
    resp = _post(client, f"{detail}/transitions/start_review",
                 {"version": "1", "state": "acknowledged"}, detail)
    assert resp.status_code == 409
    assert "Someone else changed this record" in text(resp)
    # Acknowledging again is not possible from there: refused, with why.
    resp = _post(client, f"{detail}/transitions/acknowledge",
                 {"version": str(g.version), "state": "received"}, detail)
    assert resp.status_code == 409 and "This step is not possible now." in text(resp)
    # An appeal window that has passed is an unmet condition, listed.
    app.config["GRIEVANCE_APPEAL_DAYS"] = -1
    try:
        with app.test_request_context():
            for event, data in (("start_review", {}),
                                ("resolve", {"decision": "not_upheld",
                                             "resolution_summary": "No evidence"})):
                services.transition(db_session, cw, g, event, data, expected=Precondition())
        db_session.flush()
        resp = _post(client, f"{detail}/transitions/appeal",
                     {"version": str(g.version), "state": "resolved", "note": "Unfair"}, detail)
    finally:
        app.config["GRIEVANCE_APPEAL_DAYS"] = 30
    assert resp.status_code == 409
    body = text(resp)
    assert "Some conditions for this step are not met." in body and "has passed" in body


def test_wait_for_information_pauses_the_clock_when_asked(app, client, world, db_session):
    _office, cw, *_rest = world
    g, _c = _log(app, db_session, cw, assignee_id=cw.id)
    with app.test_request_context():
        for event in ("acknowledge", "start_review"):
            services.transition(db_session, cw, g, event, expected=Precondition())
    db_session.flush()
    log_in(client, cw)
    step = f"/grievances/{g.id}/transitions/request_information"
    form = text(client.get(step, headers=HTML))
    assert "Pause the clock" in form and "stands still" in form
    resp = _post(client, step, {"version": str(g.version), "state": "in_review",
                                "pause_clock": "yes"}, step)
    assert resp.status_code == 422 and 'id="err-note"' in resp.get_data(as_text=True)
    resp = _post(client, step, {"version": str(g.version), "state": "in_review",
                                "pause_clock": "yes", "note": "Payslips from May"}, step)
    assert resp.status_code == 303
    assert _fresh(db_session, g).state == "waiting" and g.sla_status == "paused"
    assert g.clock_paused_at is not None
    page = text(client.get(f"/grievances/{g.id}", headers=HTML))
    assert "Clock paused" in page and "Payslips from May" in page


def test_notes_public_replies_and_assignment(app, client, world, db_session):
    _office, cw, other, sup, p = world
    g, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    log_in(client, cw)
    detail = f"/grievances/{g.id}"
    resp = _post(client, f"{detail}/entries", {"body": " "}, detail)
    assert resp.status_code == 422 and 'id="err-body"' in resp.get_data(as_text=True)
    assert _post(client, f"{detail}/entries", {"body": "Called the employer"},
                 detail).status_code == 303
    assert _post(client, f"{detail}/entries", {"body": "We are looking into it", "public": "yes"},
                 detail).status_code == 303
    page = text(client.get(detail, headers=HTML))
    assert "Internal note" in page and "Called the employer" in page
    assert "Public reply (sent to the complainant)" in page and "We are looking into it" in page

    resp = _post(client, f"{detail}/assignee", {"assignee_id": "999999", "version": str(g.version)},
                 detail)
    assert resp.status_code == 422 and 'id="err-assignee_id"' in resp.get_data(as_text=True)
    resp = _post(client, f"{detail}/assignee", {"assignee_id": str(other.id), "version": "1"},
                 detail)
    assert resp.status_code == 303 and _fresh(db_session, g).assignee_id == other.id
    assert "Bikash Other" in text(client.get(detail, headers=HTML))
    # A stale version: the conflict view, nothing overwritten.
    resp = _post(client, f"{detail}/assignee", {"assignee_id": str(sup.id), "version": "1"},
                 detail)
    assert resp.status_code == 409 and "Someone else changed this record" in text(resp)
    assert _fresh(db_session, g).assignee_id == other.id


def test_the_record_page_lists_the_grievances_the_user_sees_in_full(app, client, world,
                                                                     db_session):
    _office, cw, other, _sup, p = world
    seen, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    hidden, _c = _log(app, db_session, other, p, category="harassment_gbv",
                      description="He touched me", assignee_id=other.id)
    log_in(client, cw)
    body = client.get(f"/participants/{p.id}", headers=HTML).get_data(as_text=True)
    section = body.partition('id="grievances"')[2].partition("</section>")[0]
    assert seen.reference in section and hidden.reference not in section
    assert f'href="/participants/{p.id}/grievances/new"' in section
    # The timeline shows both were logged, and nothing about the restricted one.
    timeline = body.partition('id="timeline"')[2]
    assert timeline.count("Grievance logged") == 2
    assert "touched" not in body and "Harassment" not in body


def test_a_participant_outside_the_scope_cannot_be_named(client, factory, world):
    _office, cw, *_rest = world
    elsewhere = factory.user("caseworker", office=factory.office())
    stranger = factory.participant(elsewhere)
    log_in(client, cw)
    assert client.get(f"/participants/{stranger.id}/grievances/new",
                      headers=HTML).status_code == 404


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("ne", "ltr")])
def test_the_pages_render_in_arabic_and_nepali(app, client, world, db_session, lang, direction):
    _office, cw, *_rest, p = world
    g, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    log_in(client, cw)
    cw.language = lang
    db_session.flush()
    for path in ("/grievances", "/grievances/new", f"/grievances/{g.id}",
                 f"/grievances/{g.id}/transitions/resolve", f"/participants/{p.id}"):
        resp = client.get(path, headers=HTML)
        assert resp.status_code == 200, path
        assert f'<html lang="{lang}" dir="{direction}">' in resp.get_data(as_text=True), path


def test_an_appeal_opens_a_linked_grievance_with_its_own_code(app, client, world, db_session):
    _office, cw, *_rest, p = world
    g, _c = _log(app, db_session, cw, p, assignee_id=cw.id)
    with app.test_request_context():
        for event, data in (("acknowledge", {}),
                            ("resolve", {"decision": "not_upheld", "resolution_summary": "No"})):
            services.transition(db_session, cw, g, event, data, expected=Precondition())
    db_session.flush()
    log_in(client, cw)
    step = f"/grievances/{g.id}/transitions/appeal"
    assert f'href="{step}"' in client.get(f"/grievances/{g.id}", headers=HTML).get_data(
        as_text=True)
    resp = _post(client, step, {"version": str(g.version), "state": "resolved",
                                "note": "The payslips were forged"}, step)
    assert resp.status_code == 303
    appeal = db_session.scalars(sa.select(Grievance).where(Grievance.appeal_of_id == g.id)).one()
    assert resp.headers["Location"] == f"/grievances/{appeal.id}"
    page = text(client.get(resp.headers["Location"], headers=HTML))
    assert f"Give the complainant its tracking code: {appeal.tracking_code}" in page
    assert "The payslips were forged" in page and f'href="/grievances/{g.id}"' in page
    assert appeal.reference in text(client.get(f"/grievances/{g.id}", headers=HTML))


def test_the_record_section_links_to_all_of_a_persons_grievances(client, world, db_session,
                                                                 app, monkeypatch):
    from journey.grievances import page_forms

    _office, cw, _other, _sup, p = world
    mine = [_log(app, db_session, cw, p)[0] for _ in range(2)]
    elsewhere, _code = _log(app, db_session, cw)
    monkeypatch.setattr(page_forms, "PAGE_SIZE", 1)
    log_in(client, cw)
    record = client.get(f"/participants/{p.id}", headers=HTML).get_data(as_text=True)
    link = f'href="/grievances?participant_id={p.id}"'
    assert link in record and "All 2 grievances" in record
    listed = client.get(f"/grievances?participant_id={p.id}", headers=HTML)
    assert listed.status_code == 200
    html = listed.get_data(as_text=True)
    assert mine[0].reference in html or mine[1].reference in html
    assert elsewhere.reference not in html
    assert f'name="participant_id" value="{p.id}"' in html  # the filters keep the person
    assert client.get("/grievances?participant_id=abc", headers=HTML).status_code == 422
