"""The return skill form: it opens itself at return, is pre-filled from the passport, and is
corrected and completed through the API."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import select

from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.versions import Precondition
from journey.participants.models import Participant
from journey.skillcards import services
from journey.skillcards.models import SkillCard, SkillForm
from tests.skillcards.helpers import entry, form_for, place


def _forms(db_session, p):
    return db_session.scalars(select(SkillForm).where(SkillForm.participant_id == p.id)
                              .order_by(SkillForm.id)).all()


def _url(p, suffix=""):
    return f"/api/v1/participants/{p.id}/skill-form{suffix}"


# --- the form opens itself -----------------------------------------------------------------------

def test_entering_return_opens_exactly_one_form_and_reintegration_keeps_it(kit, db_session):
    p = kit.participant(Stage.STAY)
    kit.passport(p)
    assert _forms(db_session, p) == []
    kit.move(p, "prepare_return")
    (form,) = _forms(db_session, p)
    assert (form.cycle, form.status, form.created_by) == (1, "open", kit.caseworker.id)
    assert form.answers == form.prefill and form.prefill["occupation"]["title"] == "Cook"
    kit.move(p, "return_home", return_date=date(2026, 11, 20))
    assert p.stage == "reintegration"
    assert [f.id for f in _forms(db_session, p)] == [form.id]
    opened = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:open", AuditEvent.object_id == form.id)).all()
    assert len(opened) == 1 and opened[0].details == {"participant_id": p.id, "cycle": 1}


def test_an_emergency_return_opens_the_form_too(kit, db_session):
    p = kit.participant(Stage.ARRIVAL)
    kit.move(p, "emergency_return", reason="Employer closed.", return_date=date(2026, 11, 20))
    (form,) = _forms(db_session, p)
    assert form.status == "open" and form.participant_id == p.id


def test_other_stages_open_no_form(kit, db_session):
    p = kit.participant(Stage.STAY)
    kit.move(p, "move_onward", destination_country="ES")
    assert p.stage == "onward"
    assert _forms(db_session, p) == []


def test_a_new_migration_cycle_gets_its_own_form(kit, db_session):
    p = kit.participant(Stage.STAY)
    kit.move(p, "prepare_return")
    # Hired again and back abroad: cycle 2 (set-up shortcut; the rehire path needs a departure).
    place(db_session, p, Stage.STAY, cycle=2)
    kit.move(p, "prepare_return")
    assert [(f.cycle, f.status) for f in _forms(db_session, p)] == [(1, "open"), (2, "open")]


# --- the pre-fill --------------------------------------------------------------------------------

def test_prefill_follows_the_passport(app, kit, db_session):
    p = kit.participant(Stage.STAY)
    e = kit.passport(p)
    with app.app_context():
        data = services.prefill(db_session, p, date(2026, 11, 23))
    assert data == {
        # The certified occupation beats the self-declared one recorded after it.
        "occupation": {"isco_code": "5120", "title": "Cook",
                       "esco_uri": "http://data.europa.eu/esco/occupation/"
                                   "90f75f67-495d-49fa-ab57-2f320e251d7e"},
        "sector": "Hospitality",
        "years_experience_home": 2.0,
        "years_experience_abroad": 3.5,  # overlapping jobs abroad counted once
        "last_overseas_employer": "Hotel Sevilla",
        "last_overseas_country": "ES",
        "skills": [{"title": "Knife skills", "esco_uri": None, "entry_id": e["knife"].id},
                   {"title": "Teamwork", "esco_uri": None, "entry_id": e["team"].id}],
        "certifications": [
            {"title": "HACCP level 2", "awarding_body": "CTEVT", "entry_id": e["haccp"].id},
            {"title": "Portuguese kitchen course", "awarding_body": None,
             "entry_id": e["course"].id}],
        "languages": [{"code": "pt", "listening": "B1", "reading": "A2", "speaking": "B1",
                       "writing": "A2"}],
        "preferred_location": None,
        "preferred_sector": None,
        "availability_date": None,
    }


def test_prefill_ties_go_to_the_latest_and_abroad_falls_back_to_the_programme_job(app, kit,
                                                                                  db_session):
    p = kit.participant(Stage.STAY)
    with app.app_context():
        entry(db_session, p, "occupation", "Bricklayer", isco_code="7112")
        entry(db_session, p, "occupation", "Mason", isco_code="7112")
        entry(db_session, p, "experience", "Still working", country="NP",
              start_date=date(2026, 5, 23))
        data = services.prefill(db_session, p, date(2026, 11, 23))
    assert data["occupation"]["title"] == "Mason"
    assert data["years_experience_home"] == 0.5  # an open-ended job counts up to today
    assert data["years_experience_abroad"] == 0.0
    # No experience abroad in the passport: the job the programme placed them in.
    assert (data["last_overseas_employer"], data["last_overseas_country"]) == ("Hotel Atlântico",
                                                                               "PT")
    assert data["skills"] == data["certifications"] == data["languages"] == []


def test_an_empty_passport_still_gives_the_whole_structure(app, kit, db_session):
    p = kit.participant(Stage.INTAKE, programme_id=None)
    with app.app_context():
        data = services.prefill(db_session, p)
    assert data["occupation"] == {"isco_code": None, "esco_uri": None, "title": None}
    assert (data["sector"], data["last_overseas_employer"], data["last_overseas_country"]) == (
        None, None, None)


# --- opening by hand and reading -----------------------------------------------------------------

def test_opening_by_hand_only_when_returning_and_only_once(client, factory, kit):
    h = factory.headers(kit.caseworker)
    p = kit.participant(Stage.STAY)
    refused = client.post(_url(p), headers=h)
    assert refused.status_code == 409 and refused.get_json()["code"] == "not-returning"
    kit.move(p, "prepare_return")  # the hook opened it already
    again = client.post(_url(p), headers=h)
    assert again.status_code == 200
    q = kit.participant(Stage.REINTEGRATION)
    made = client.post(_url(q), headers=h)
    assert made.status_code == 201 and made.headers["ETag"] == '"1"'
    same = client.post(_url(q), headers=h)
    assert same.status_code == 200 and same.get_json()["id"] == made.get_json()["id"]


def test_reading_the_form_is_audited_and_a_missing_form_is_a_404(client, factory, kit, db_session):
    h = factory.headers(kit.caseworker)
    p = kit.participant(Stage.STAY)
    missing = client.get(_url(p), headers=h)
    assert missing.status_code == 404 and missing.get_json()["code"] == "no-skill-form"
    kit.passport(p)
    kit.move(p, "prepare_return")
    resp = client.get(_url(p), headers=h)
    body = resp.get_json()
    assert resp.status_code == 200 and resp.headers["ETag"] == '"1"'
    assert body["prefill"]["last_overseas_country"] == "ES" and body["answers"] == body["prefill"]
    assert "link_token_hash" not in body
    assert db_session.scalar(select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:read", AuditEvent.object_id == body["id"],
        AuditEvent.actor_id == kit.caseworker.id)) == 1


def test_roles_and_offices(client, factory, kit, app, db_session):
    p = kit.participant(Stage.RETURN)
    form_for(app, db_session, kit.caseworker, p)
    assert client.get(_url(p), headers=factory.headers(kit.employer_user)).status_code == 403
    assert client.get(_url(p), headers=factory.headers(kit.other_supervisor)).status_code == 404
    assert client.get(_url(p), headers=factory.headers(kit.admin)).status_code == 200


# --- correcting ----------------------------------------------------------------------------------

def test_a_patch_changes_only_what_it_sends_at_the_version_read(client, factory, kit, app,
                                                                db_session):
    p = kit.participant(Stage.STAY)
    kit.passport(p)
    kit.move(p, "prepare_return")
    h = factory.headers(kit.caseworker)
    no_version = client.patch(_url(p), json={"answers": {"sector": "Tourism"}}, headers=h)
    assert no_version.status_code == 428
    resp = client.patch(_url(p), headers=h, json={"version": 1, "answers": {
        "sector": "Tourism", "occupation": {"isco_code": "5131"},
        "languages": [{"code": "por", "speaking": "B2"}, {"code": "en", "reading": "A2"}],
        "availability_date": "2027-01-15", "preferred_location": "Pokhara"}})
    assert resp.status_code == 200, resp.get_json()
    answers = resp.get_json()["answers"]
    assert resp.headers["ETag"] == '"2"'
    assert answers["sector"] == "Tourism" and answers["availability_date"] == "2027-01-15"
    # A corrected occupation keeps its title, loses the ESCO link it no longer matches.
    assert answers["occupation"] == {"isco_code": "5131", "title": "Cook", "esco_uri": None}
    # A list replaces the list; ISO 639-3 codes are stored as 639-1 where there is one.
    assert answers["languages"] == [
        {"code": "pt", "listening": None, "reading": None, "speaking": "B2", "writing": None},
        {"code": "en", "listening": None, "reading": "A2", "speaking": None, "writing": None}]
    assert answers["years_experience_abroad"] == 3.5  # untouched
    assert resp.get_json()["prefill"]["sector"] == "Hospitality"  # the pre-fill is kept as it was
    stale = client.patch(_url(p), headers=h, json={"version": 1, "answers": {"sector": "X"}})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    stale_header = client.patch(_url(p), headers={**h, "If-Match": '"1"'},
                                json={"answers": {"sector": "X"}})
    assert stale_header.status_code == 412
    update = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:update")).one()
    assert update.details["fields"] == ["availability_date", "languages", "occupation",
                                        "preferred_location", "sector"]


def _errors(resp):
    assert resp.status_code == 422, resp.get_json()
    return {(e["field"], e["code"]) for e in resp.get_json()["errors"]}


def test_invalid_answers_are_422s_field_by_field(client, factory, kit, app, db_session):
    p = kit.participant(Stage.RETURN)
    form_for(app, db_session, kit.caseworker, p)
    h = factory.headers(kit.caseworker)

    def patch(answers):
        return client.patch(_url(p), headers=h, json={"version": 1, "answers": answers})

    fields = {f for f, _c in _errors(patch({
        "occupation": {"isco_code": "51a"}, "last_overseas_country": "XX",
        "years_experience_home": 61, "years_experience_abroad": -1,
        "availability_date": "2027-13-01", "languages": [{"code": "zz", "listening": "D1"}],
        "skills": [{"title": " "}], "certifications": [{"awarding_body": "x"}],
        "sector": "s" * 101, "colour": "blue"}))}
    assert fields == {"answers.occupation.isco_code", "answers.last_overseas_country",
                      "answers.years_experience_home", "answers.years_experience_abroad",
                      "answers.availability_date", "answers.languages.0.code",
                      "answers.languages.0.listening", "answers.skills.0.title",
                      "answers.certifications.0.title", "answers.sector", "answers.colour"}
    assert ("answers.languages", "invalid") in _errors(patch({"languages": [{"code": "pt"},
                                                                            {"code": "por"}]}))
    assert _errors(patch({"occupation": {"isco_code": "9999"}})) == {
        ("answers.occupation.isco_code", "not-found")}
    stranger = kit.participant(Stage.STAY)
    theirs = entry(db_session, stranger, "skill", "Not yours")
    assert _errors(patch({"skills": [{"title": "Not yours", "entry_id": theirs.id}]})) == {
        ("answers.skills.0.entry_id", "not-found")}
    assert _errors(client.patch(_url(p), headers=h, json={"version": 1})) == {
        ("answers", "required")}
    db_session.expire_all()
    assert _forms(db_session, p)[0].version == 1  # nothing was written


# --- completing ----------------------------------------------------------------------------------

def test_completing_issues_a_card_once(app, client, factory, kit, db_session):
    p = kit.participant(Stage.STAY)
    kit.passport(p)
    kit.move(p, "prepare_return")
    h = factory.headers(kit.caseworker)
    resp = client.post(_url(p, "/complete"), headers=h,
                       json={"version": 1, "answers": {"preferred_sector": "Hotels"}})
    assert resp.status_code == 201, resp.get_json()
    card = resp.get_json()
    assert services.valid_card_number(card["number"])
    assert card["verification_url"] == (
        f"{app.config['PUBLIC_BASE_URL']}/cards/{card['public_id']}")
    assert len(card["public_id"]) == 32
    (form,) = _forms(db_session, p)
    db_session.refresh(form)
    assert (form.status, form.completed_via, form.completed_by) == ("completed", "caseworker",
                                                                    kit.caseworker.id)
    assert form.answers["preferred_sector"] == "Hotels" and form.id == card["form_id"]
    twice = client.post(_url(p, "/complete"), headers=h, json={"version": form.version})
    assert twice.status_code == 409 and twice.get_json()["code"] == "form-completed"
    late = client.patch(_url(p), headers=h, json={"version": form.version,
                                                   "answers": {"sector": "X"}})
    assert late.status_code == 409 and late.get_json()["code"] == "form-completed"
    assert client.post(_url(p, "/link"), headers=h).status_code == 409
    assert db_session.scalar(select(sa.func.count()).select_from(SkillCard).where(
        SkillCard.participant_id == p.id)) == 1
    actions = set(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("skillcards:%"))))
    assert {"skillcards:skill_form:complete", "skillcards:skill_card:issue"} <= actions


def test_completing_with_a_stale_version_or_bad_answers_issues_nothing(client, factory, kit, app,
                                                                      db_session):
    p = kit.participant(Stage.RETURN)
    form_for(app, db_session, kit.caseworker, p)
    h = factory.headers(kit.caseworker)
    assert client.post(_url(p, "/complete"), headers=h, json={}).status_code == 428
    assert client.post(_url(p, "/complete"), headers=h, json={"version": 7}).status_code == 409
    bad = client.post(_url(p, "/complete"), headers=h,
                      json={"version": 1, "answers": {"occupation": {"isco_code": "9999"}}})
    assert bad.status_code == 422
    assert db_session.scalar(select(sa.func.count()).select_from(SkillCard).where(
        SkillCard.participant_id == p.id)) == 0


def test_a_card_asks_credentials_to_issue_through_its_public_service(app, kit, db_session,
                                                                    monkeypatch):
    from journey.credentials import services as credentials

    seen = []
    real_issue = credentials.issue

    def spy(sess, actor, participant, scope, **kw):
        seen.append((sess, actor.id, participant.id, scope, kw["card"]))
        return real_issue(sess, actor, participant, scope, **kw)

    monkeypatch.setattr(credentials, "issue", spy)
    p = kit.participant(Stage.RETURN)
    form = form_for(app, db_session, kit.caseworker, p)
    with app.test_request_context():
        card = services.complete_form(db_session, kit.caseworker, p, form, expected=Precondition(body=1))
    [(sess, actor_id, pid, scope, facts)] = seen
    # Same session (one transaction); credentials gets the card's facts, not the card itself.
    assert (sess, actor_id, pid, scope) == (db_session, kit.caseworker.id, p.id, "skill_card")
    assert facts == credentials.CardFacts(number=card.number, answers=form.answers)
    assert card.credential_id is not None


def test_demo_card_is_idempotent(app, kit, db_session):
    from journey.skillcards.demo import load_demo_skill_card

    p = kit.participant(Stage.REINTEGRATION)
    kit.passport(p)
    with app.test_request_context():
        first = load_demo_skill_card(db_session, kit.caseworker, p)
        again = load_demo_skill_card(db_session, kit.caseworker, p)
        elsewhere = load_demo_skill_card(db_session, kit.caseworker,
                                         kit.participant(Stage.STAY))
    assert first is not None and again.id == first.id and elsewhere is None
    assert db_session.get(Participant, p.id).stage == "reintegration"
