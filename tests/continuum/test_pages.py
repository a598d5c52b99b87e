"""The journey in the browser, through the Flask test client: next steps with the reasons a
step would be refused (before and after trying), moves, overrides, and the checklist."""

from __future__ import annotations

import sqlalchemy as sa

from journey.continuum.models import ChecklistItem, ItemStatus
from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.timeline import JourneyEvent
from journey.participants.models import Participant
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text

ORIENTATION = "Pre-departure orientation, including the rights and grievance briefing"


def _stage(db_session, p) -> str:
    return db_session.scalar(sa.select(Participant.stage).where(Participant.id == p.id))


def _post(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTML)


def _step(body: str, event: str) -> str:
    """The record page's block for one next step."""
    blocks = [b for b in body.split('<li class="step" id="step-') if b.startswith(f'{event}"')]
    assert blocks, f"no step {event}"
    return blocks[0].partition('id="checklist"')[0]


def test_the_record_page_shows_the_stage_next_steps_and_why_a_step_would_be_refused(
        client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    log_in(client, journey_kit.caseworker)
    resp = client.get(f"/participants/{p.id}", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert 'id="journey"' in body and "Next steps" in body
    assert "Pre-departure" in body  # the stage, in the section
    depart = _step(body, "depart")
    # Refused before anyone tries: every unmet guard, in words, and no button.
    assert "Not possible yet" in depart
    assert "A visa or work permit must be granted and still valid." in depart
    assert "Required checklist items are not done" in depart
    assert "Move to" not in depart
    # The caseworker cannot override: no override link for them.
    assert "Override" not in depart
    # A step without guards has its button and its required field.
    block = _step(body, "block_travel")
    assert "Move to Travel blocked" in block or "Move to" in block
    assert 'name="reason"' in block and "required" in block
    # The stage's checklist, with a Done button per item.
    assert 'id="checklist"' in body and "orientation" in body.lower()


def test_an_allowed_move_redirects_and_changes_the_stage(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.INTAKE)
    log_in(client, journey_kit.caseworker)
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Move to" in _step(body, "preselect")
    resp = _post(client, f"/participants/{p.id}/move/preselect",
                 {"version": p.version, "stage": "intake", "reason": "Interview passed"},
                 page=f"/participants/{p.id}")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/participants/{p.id}#journey")
    assert _stage(db_session, p) == "preselection"
    page = client.get(resp.headers["Location"], headers=HTML)
    assert "moved to Pre-selection" in text(page)


def test_a_refused_move_shows_the_reasons_not_a_500(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    log_in(client, journey_kit.caseworker)
    resp = _post(client, f"/participants/{p.id}/move/depart",
                 {"version": p.version, "stage": "pre_departure", "arrival_date": "2026-12-01"},
                 page=f"/participants/{p.id}")
    assert_html_page(resp, 409)
    body = text(resp)
    assert "This step is refused because" in body
    assert "A visa or work permit must be granted and still valid." in body
    assert _stage(db_session, p) == "pre_departure"


def test_a_missing_required_field_is_shown_beside_it(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE)
    log_in(client, journey_kit.caseworker)
    resp = _post(client, f"/participants/{p.id}/move/depart",
                 {"version": p.version, "stage": "pre_departure", "arrival_date": "not a date"},
                 page=f"/participants/{p.id}")
    assert_html_page(resp, 422)
    body = text(resp)
    assert 'id="f-err-arrival_date"' in body and 'aria-invalid="true"' in body
    assert _stage(db_session, p) == "pre_departure"


def test_a_stale_version_shows_the_conflict(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.INTAKE)
    log_in(client, journey_kit.caseworker)
    resp = _post(client, f"/participants/{p.id}/move/preselect",
                 {"version": p.version + 5, "stage": "intake"}, page=f"/participants/{p.id}")
    assert_html_page(resp, 409)
    assert "Someone else changed this record" in text(resp)
    assert _stage(db_session, p) == "intake"


def test_a_move_without_the_csrf_token_is_refused(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.INTAKE)
    log_in(client, journey_kit.caseworker)
    resp = client.post(f"/participants/{p.id}/move/preselect",
                       data={"version": p.version, "stage": "intake"}, headers=HTML)
    assert_html_page(resp, 400)
    assert _stage(db_session, p) == "intake"


def test_a_supervisor_overrides_with_a_reason_only(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    log_in(client, journey_kit.supervisor)
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Override with a reason" in _step(body, "depart")
    form = client.get(f"/participants/{p.id}/move/depart", headers=HTML)
    assert_html_page(form, 200)
    assert 'name="override_reason"' in text(form)
    data = {"version": p.version, "stage": "pre_departure", "arrival_date": "2026-12-01",
            "override": "yes", "override_reason": "  "}
    resp = _post(client, f"/participants/{p.id}/move/depart", data,
                 page=f"/participants/{p.id}/move/depart")
    assert_html_page(resp, 422)
    assert "Explain why the conditions are overridden." in text(resp)
    assert 'id="f-err-override_reason"' in text(resp)
    assert _stage(db_session, p) == "pre_departure"

    data["override_reason"] = "Permit confirmed by the embassy by phone"
    resp = _post(client, f"/participants/{p.id}/move/depart", data,
                 page=f"/participants/{p.id}/move/depart")
    assert resp.status_code == 303
    assert _stage(db_session, p) == "arrival"
    audit = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "continuum:participant:transition",
        AuditEvent.object_id == p.id)).one()
    assert "permit_granted" in audit.details["overridden"]
    override = db_session.scalars(sa.select(JourneyEvent).where(
        JourneyEvent.participant_id == p.id, JourneyEvent.kind == "guard_overridden")).one()
    assert override.reason == "Permit confirmed by the embassy by phone"


def test_a_caseworker_cannot_force_an_override(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    log_in(client, journey_kit.caseworker)
    form = client.get(f"/participants/{p.id}/move/depart", headers=HTML)
    assert 'name="override_reason"' not in text(form)
    resp = _post(client, f"/participants/{p.id}/move/depart",
                 {"version": p.version, "stage": "pre_departure", "arrival_date": "2026-12-01",
                  "override": "yes", "override_reason": "I say so"},
                 page=f"/participants/{p.id}")
    assert_html_page(resp, 403)
    assert "Only a supervisor can override" in text(resp)
    assert _stage(db_session, p) == "pre_departure"


def test_ticking_checklist_items_until_the_step_is_allowed(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRESELECTION, ready=False)
    log_in(client, journey_kit.caseworker)
    items = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.stage == "preselection",
        ChecklistItem.required.is_(True))).all()
    assert items
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Required checklist items are not done" in _step(body, "start_training")
    for item in items:
        resp = _post(client, f"/participants/{p.id}/checklist/{item.id}",
                     {"version": item.version, "status": "done"}, page=f"/participants/{p.id}")
        assert resp.status_code == 303
        assert resp.headers["Location"].endswith("#checklist")
    for item in items:
        db_session.refresh(item)
        assert item.status == ItemStatus.DONE and item.version == 2
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Move to" in _step(body, "start_training")


def test_a_quick_tick_keeps_the_evidence_and_an_edit_sets_it(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRESELECTION, ready=False)
    item = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.stage == "preselection")).first()
    log_in(client, journey_kit.caseworker)
    page = f"/participants/{p.id}/checklist/{item.id}"
    assert_html_page(client.get(page, headers=HTML), 200)
    resp = _post(client, page, {"version": 1, "status": "in_progress", "due_date": "2026-12-24",
                                "evidence_note": "Documents requested"})
    assert resp.status_code == 303
    resp = _post(client, page, {"version": 2, "status": "done"}, page=f"/participants/{p.id}")
    assert resp.status_code == 303
    db_session.refresh(item)
    assert item.status == "done" and item.evidence_note == "Documents requested"
    assert str(item.due_date) == "2026-12-24"
    body = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Documents requested" in body


def test_a_checklist_edit_with_errors_or_a_stale_version(client, journey_kit, db_session):
    p = journey_kit.participant(Stage.PRESELECTION, ready=False)
    item = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.stage == "preselection")).first()
    log_in(client, journey_kit.caseworker)
    page = f"/participants/{p.id}/checklist/{item.id}"
    bad = _post(client, page, {"version": 1, "status": "finished", "due_date": "soon"})
    assert_html_page(bad, 422)
    body = text(bad)
    assert 'id="err-status"' in body and 'id="err-due_date"' in body
    assert _post(client, page, {"version": 1, "status": "blocked",
                                "evidence_note": "Waiting for the school"}).status_code == 303
    stale = _post(client, page, {"version": 1, "status": "done", "evidence_note": "Certificate"})
    assert_html_page(stale, 409)
    body = text(stale)
    assert "Someone else changed this record" in body
    assert "Waiting for the school" in body and "Certificate" in body  # both versions
    assert 'name="version" value="2"' in body
    db_session.refresh(item)
    assert item.status == "blocked" and item.evidence_note == "Waiting for the school"


def test_another_offices_participant_is_missing(client, journey_kit, factory, db_session):
    p = journey_kit.participant(Stage.INTAKE)
    stranger = factory.user("caseworker")
    log_in(client, stranger)
    assert_html_page(client.get(f"/participants/{p.id}/move/preselect", headers=HTML), 404)
    resp = _post(client, f"/participants/{p.id}/move/preselect",
                 {"version": p.version, "stage": "intake"}, page="/")
    assert_html_page(resp, 404)
    assert _stage(db_session, p) == "intake"
