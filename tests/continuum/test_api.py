"""Transitions through the API: versions, bulk moves, the timeline, checklists and permits."""

from __future__ import annotations

import sqlalchemy as sa

from journey.continuum.models import ChecklistItem
from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.versions import Precondition
from journey.participants.models import Participant


def _move(client, headers, p, event, **body):
    return client.post(f"/api/v1/participants/{p.id}/transitions", json={"event": event, **body},
                       headers=headers)


def test_a_transition_needs_the_version_and_refuses_a_stale_one(client, factory, journey_kit,
                                                                 db_session):
    p = journey_kit.participant(Stage.INTAKE)
    h = factory.headers(journey_kit.caseworker)
    assert _move(client, h, p, "preselect").status_code == 428
    ok = client.post(f"/api/v1/participants/{p.id}/transitions", json={"event": "preselect"},
                     headers={**h, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = client.post(f"/api/v1/participants/{p.id}/transitions",
                        json={"event": "join_local_track"}, headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "stale-version"
    db_session.refresh(p)
    assert p.stage == "preselection"


def test_a_write_racing_on_the_same_version_loses(app, db_session, journey_kit):
    """Two requests read version 1; the second to write must fail, not overwrite."""
    from journey.continuum.services import apply_transition
    from journey.core.errors import Conflict

    p = journey_kit.participant(Stage.INTAKE)
    # Another process moved the participant after we loaded it.
    db_session.execute(sa.update(Participant).where(Participant.id == p.id).values(version=2))
    with app.test_request_context():
        try:
            apply_transition(db_session, journey_kit.caseworker, p, "preselect", {},
                             expected=Precondition(body=1))
        except Conflict as err:
            assert err.code == "stale-version"
        else:
            raise AssertionError("a stale write went through")


def test_unknown_event_is_a_field_error_and_wrong_stage_lists_allowed_events(client, factory,
                                                                             journey_kit):
    p = journey_kit.participant(Stage.INTAKE)
    h = factory.headers(journey_kit.caseworker)
    bad = _move(client, h, p, "teleport", version=1)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "event"
    wrong = _move(client, h, p, "depart", version=1, arrival_date="2026-11-01")
    assert wrong.status_code == 409
    assert wrong.get_json()["allowed_events"] == ["preselect", "withdraw"]


def test_bulk_moves_each_participant_on_its_own(client, factory, journey_kit, db_session):
    ready = [journey_kit.participant(Stage.PRESELECTION) for _ in range(2)]
    not_ready = journey_kit.participant(Stage.PRESELECTION, ready=False)
    wrong_stage = journey_kit.participant(Stage.ARRIVAL)
    stranger = factory.participant(factory.user("caseworker"))
    ids = [ready[0].id, not_ready.id, wrong_stage.id, stranger.id, ready[1].id, 99999]
    resp = client.post("/api/v1/participants/transitions", headers=factory.headers(journey_kit.caseworker),
                       json={"event": "start_training", "participant_ids": ids})
    assert resp.status_code == 200
    body = resp.get_json()
    results = {r["participant_id"]: r for r in body["results"]}
    assert [r["participant_id"] for r in body["results"]] == ids
    assert results[ready[0].id]["result"] == "done" and results[ready[0].id]["stage"] == "training"
    assert results[not_ready.id]["result"] == "refused"
    assert "Screening interview" in results[not_ready.id]["reasons"][0]
    assert results[wrong_stage.id]["code"] == "event-not-allowed"
    assert results[stranger.id]["result"] == "not_found"
    assert results[99999]["result"] == "not_found"
    assert (body["done"], body["refused"]) == (2, 4)
    stages = dict(db_session.execute(sa.select(Participant.id, Participant.stage)
                                     .where(Participant.id.in_(ids))).all())
    assert stages[ready[1].id] == "training" and stages[not_ready.id] == "preselection"


def test_bulk_by_filter(client, factory, journey_kit, db_session):
    cohort = [journey_kit.participant(Stage.INTAKE) for _ in range(3)]
    resp = client.post("/api/v1/participants/transitions", headers=factory.headers(journey_kit.supervisor),
                       json={"event": "preselect", "filter": {"stage": ["intake"]}})
    body = resp.get_json()
    assert body["done"] == 3
    assert {r["participant_id"] for r in body["results"]} == {p.id for p in cohort}
    both = client.post("/api/v1/participants/transitions", headers=factory.headers(journey_kit.supervisor),
                       json={"event": "preselect", "filter": {}, "participant_ids": [1]})
    assert both.status_code == 422


def test_timeline_orders_everything_with_actor_reason_and_time_in_stage(client, factory, journey_kit):
    p = journey_kit.participant(Stage.INTAKE)
    cw = journey_kit.caseworker
    h = factory.headers(cw)
    _move(client, h, p, "preselect", version=1)
    _move(client, h, p, "withdraw", version=2, reason="Found work at home")
    body = client.get(f"/api/v1/participants/{p.id}/timeline", headers=h).get_json()
    journey = [e for e in body["events"] if e["kind"] != "message"]
    kinds = [e["kind"] for e in journey]
    assert kinds[0] == "stage_entered"  # registration
    assert kinds[-2:] == ["stage_left", "stage_entered"]
    last = journey[-1]
    assert last["data"]["to_stage"] == "withdrawn" and last["reason"] == "Found work at home"
    assert last["actor_id"] == cw.id
    assert [s["stage"] for s in body["time_in_stage"]] == ["intake", "preselection", "withdrawn"]
    assert all(s["days"] >= 0 for s in body["time_in_stage"])
    assert "permit_recorded" in kinds and "checklist_updated" not in kinds
    # Each stage entered queued a message in the participant's language, shown with its status.
    messages = [e["data"] for e in body["events"] if e["kind"] == "message"]
    assert [m["template"] for m in messages] == [
        "stage_entered.intake", "stage_entered.preselection", "stage_entered.withdrawn"]
    assert {(m["channel"], m["language"], m["status"]) for m in messages} == {("sms", "ne", "queued")}


def test_checklist_updates_are_versioned_audited_and_on_the_timeline(client, factory, journey_kit,
                                                                    db_session):
    p = journey_kit.participant(Stage.INTAKE, ready=False)
    h = factory.headers(journey_kit.caseworker)
    items = client.get(f"/api/v1/participants/{p.id}/checklist", headers=h).get_json()
    assert [i["key"] for i in items] == ["aspirations", "consent_explained"]
    item = items[0]
    assert item["status"] == "pending" and item["due_date"] is not None
    done = client.patch(f"/api/v1/participants/{p.id}/checklist/{item['id']}", headers=h,
                        json={"status": "done", "evidence_note": "Interview notes filed", "version": 1})
    assert done.status_code == 200
    assert done.get_json()["completed_by"] == journey_kit.caseworker.id
    stale = client.patch(f"/api/v1/participants/{p.id}/checklist/{item['id']}", headers=h,
                         json={"status": "blocked", "version": 1})
    assert stale.status_code == 409
    back = client.patch(f"/api/v1/participants/{p.id}/checklist/{item['id']}", headers=h,
                        json={"status": "in_progress", "version": 2}).get_json()
    assert back["completed_at"] is None and back["completed_by"] is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "continuum:checklist_item:update", AuditEvent.object_id == item["id"])) == 2
    timeline = client.get(f"/api/v1/participants/{p.id}/timeline", headers=h).get_json()
    updates = [e for e in timeline["events"] if e["kind"] == "checklist_updated"]
    assert [(u["data"]["from_status"], u["data"]["to_status"]) for u in updates] == [
        ("pending", "done"), ("done", "in_progress")]


def test_programme_checklist_configuration(app, factory, journey_kit, db_session):
    prog = factory.programme(checklist_config={
        "disabled": ["language_course"],
        "renamed": {"training_completed": "Culinary course completed (level 4)"},
        "added": [{"stage": "training", "key": "food_hygiene", "title": "Food hygiene certificate",
                   "required": True, "due_days": 30}],
    })
    p = journey_kit.participant(Stage.TRAINING, ready=False, programme_id=prog.id)
    items = {i.key: i for i in db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id, ChecklistItem.stage == "training"))}
    assert set(items) == {"training_completed", "food_hygiene"}
    assert items["training_completed"].title == "Culinary course completed (level 4)"
    assert items["food_hygiene"].required is True


def test_registration_opens_the_intake_checklist_as_the_programme_adapts_it(client, factory,
                                                                          journey_kit, db_session):
    prog = factory.programme(checklist_config={
        "disabled": ["aspirations"],
        "added": [{"stage": "intake", "key": "photo", "title": "Photo taken", "required": False}],
    })
    h = factory.headers(journey_kit.caseworker)
    resp = client.post("/api/v1/participants/", headers=h, json={
        "given_name": "Sita", "family_name": "Rai", "date_of_birth": "1994-03-02", "sex": "female",
        "nationality": "NP", "origin_country": "NP", "programme_id": prog.id,
        "consents": [{"purpose": "case_management", "method": "signed"}]})
    assert resp.status_code == 201 and resp.headers["ETag"] == '"1"'
    pid = resp.get_json()["id"]
    items = set(db_session.scalars(sa.select(ChecklistItem.key).where(
        ChecklistItem.participant_id == pid, ChecklistItem.stage == "intake")))
    assert items == {"consent_explained", "photo"}
    consents = client.get(f"/api/v1/participants/{pid}/consents", headers=h).get_json()
    assert consents["current"]["case_management"] is True


def test_permits_are_recorded_validated_and_their_reads_audited(client, factory, journey_kit,
                                                                db_session):
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    h = factory.headers(journey_kit.caseworker)
    bad = client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json={
        "type": "work_visa", "issuing_country": "PT", "issued_on": "2026-05-01",
        "expires_on": "2026-04-01"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "expires_on"
    made = client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json={
        "type": "work_visa", "issuing_country": "PT", "status": "applied", "number": "PT-V-123456",
        "applied_on": "2026-10-01", "employer_tied": True}).get_json()
    upd = client.patch(f"/api/v1/participants/{p.id}/permits/{made['id']}", headers=h,
                       json={"status": "granted", "decided_on": "2026-11-01", "version": 1})
    assert upd.status_code == 200 and upd.get_json()["status"] == "granted"
    listed = client.get(f"/api/v1/participants/{p.id}/permits", headers=h).get_json()
    assert listed[0]["number"] == "PT-V-123456"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "continuum:permit:read", AuditEvent.object_id == p.id)) == 1
    audit_rows = db_session.scalars(sa.select(AuditEvent.details).where(
        AuditEvent.action.like("continuum:permit:%"))).all()
    assert "PT-V-123456" not in str(audit_rows)


def test_a_permit_tied_to_an_employer_that_does_not_exist_is_a_field_error(client, factory,
                                                                          journey_kit):
    """Found by the fuzzer: PostgreSQL's foreign key refused it at flush, a 500."""
    p = journey_kit.participant(Stage.PRE_DEPARTURE, ready=False)
    h = factory.headers(journey_kit.caseworker)
    body = {"type": "work_visa", "issuing_country": "PT", "employer_id": 1040}
    bad = client.post(f"/api/v1/participants/{p.id}/permits", headers=h, json=body)
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [{"field": "employer_id", "code": "not-found",
                                         "message": "No such employer."}]
    made = client.post(f"/api/v1/participants/{p.id}/permits", headers=h,
                       json={"type": "work_visa", "issuing_country": "PT"}).get_json()
    upd = client.patch(f"/api/v1/participants/{p.id}/permits/{made['id']}", headers=h,
                       json={"employer_id": 1040, "version": 1})
    assert upd.status_code == 422 and upd.get_json()["errors"][0]["field"] == "employer_id"


def test_stages_endpoint_describes_the_table_in_the_users_language(client, factory):
    user = factory.user("caseworker", language="fr")
    body = client.get("/api/v1/stages", headers=factory.headers(user)).get_json()
    intake = next(s for s in body if s["stage"] == "intake")
    assert intake["title"] == "Accueil"
    assert [e["event"] for e in intake["events"]] == ["preselect", "withdraw"]
