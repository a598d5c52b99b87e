"""What an employer sees of a presented candidate: the name, passport entries and skill card
data, never gender identity, disability, contact details, notes or grievances."""

from __future__ import annotations

import json

from journey.grievances import services as grievances
from journey.passports import disclosure
from journey.passports import services as passports
from tests.employers.selection_helpers import open_vacancy, presented, setting
from tests.skillcards.helpers import card_for

SECRETS = {"gender_identity": "trans woman (told in confidence)",
           "disability_details": "uses a hearing aid", "phone": "+9779811122334",
           "email": "candidate.secret@example.org", "notes": "lives at 12 Hidden Lane"}
GRIEVANCE = "Unpaid overtime at the previous job"
HIDDEN_KEYS = {"gender_identity", "sex", "sex_self_described", "disability",
               "disability_details", "phone", "email", "notes", "date_of_birth", "address",
               "grievances", "nationality"}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _candidate(app, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v, disability="yes", **SECRETS)
    with app.test_request_context():
        entry = passports.add_entry(db_session, s.caseworker, p, "skill", {"title": "Knife skills"})
        passports.verify_entry(db_session, s.caseworker, p, entry, level="documents_seen",
                               evidence="Citizenship card no. 55-01-77 seen")
        grievances.intake(db_session, s.caseworker, {"category": "wages",
                                                     "description": GRIEVANCE},
                          channel="staff", participant=p)
    card_for(app, db_session, s.caseworker, p)
    return s, v, p, c


def _assert_hidden(text: str, data) -> None:
    for secret in (*SECRETS.values(), GRIEVANCE, "55-01-77"):
        assert secret.lstrip("+") not in text, secret
    assert not _keys(data) & HIDDEN_KEYS, _keys(data) & HIDDEN_KEYS


def test_the_disclosure_service_hides_sensitive_fields(app, factory, db_session):
    _s, _v, p, _c = _candidate(app, factory, db_session)
    with app.test_request_context():
        shown = disclosure.for_employer(db_session, p, {"number": "X", "issued_at": "2026-01-01",
                                                        "answers": {"skills": [],
                                                                    "preferred_location": "Home"}})
        summary = disclosure.summaries_for_employer(db_session, [p.id])
    assert shown["name"] == f"{p.given_name} {p.family_name}"
    assert [e["title"] for e in shown["entries"]] == ["Knife skills"]
    assert "evidence" not in shown["entries"][0]["fields"]
    assert "preferred_location" not in shown["skill_card"]
    _assert_hidden(json.dumps(shown, default=str), shown)
    assert summary[p.id]["skills"]["skills"] == ["Knife skills"]
    _assert_hidden(json.dumps(summary, default=str), summary)


def test_the_employer_api_shows_only_what_disclosure_allows(app, client, factory, db_session):
    s, v, p, c = _candidate(app, factory, db_session)
    h = factory.headers(s.employer_user)
    one = client.get(f"/api/v1/vacancies/{v.id}/candidates/{c.id}", headers=h)
    assert one.status_code == 200
    body = one.get_json()
    assert body["name"] == f"{p.given_name} {p.family_name}"
    assert body["entries"][0]["title"] == "Knife skills"
    assert body["skill_card"]["number"]
    _assert_hidden(one.get_data(as_text=True), body)
    many = client.get(f"/api/v1/vacancies/{v.id}/candidates", headers=h)
    assert many.get_json()["items"][0]["skills"]["skills"] == ["Knife skills"]
    _assert_hidden(many.get_data(as_text=True), many.get_json())


def test_each_read_is_audited_with_ids_only(app, client, factory, db_session):
    import sqlalchemy as sa

    from journey.core.audit import AuditEvent
    s, v, p, c = _candidate(app, factory, db_session)
    client.get(f"/api/v1/vacancies/{v.id}/candidates/{c.id}",
               headers=factory.headers(s.employer_user))
    event = db_session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "employers:candidacy:read"))
    assert event.actor_id == s.employer_user.id and event.object_id == c.id
    assert event.details["participant_id"] == p.id
    _assert_hidden(json.dumps(event.details), {})
    assert p.given_name not in json.dumps(event.details)
