"""Entries are versioned: optimistic locking, verification with who/when/evidence, revisions for
every change, retirement instead of deletion, and scope."""

from __future__ import annotations

from sqlmodel import select

from journey.core.audit import AuditEvent
from journey.organisations.models import Office
from journey.passports.models import PassportEntryRevision
from tests.passports.conftest import COOK_URI, add, fields_in_error


def _entry_url(case, entry) -> str:
    return f"{case.base}/passport/entries/{entry['id']}"


def test_edit_needs_the_version_read(client, case):
    e = add(client, case, {"kind": "soft_skill", "title": "Teamwork"})
    url = _entry_url(case, e)
    missing = client.patch(url, json={"title": "Team work"}, headers=case.headers)
    assert missing.status_code == 428 and missing.get_json()["code"] == "precondition-required"

    ok = client.patch(url, json={"title": "Team work", "version": 1}, headers=case.headers)
    assert ok.status_code == 200 and ok.get_json()["version"] == 2 and ok.headers["ETag"] == '"2"'

    stale_body = client.patch(url, json={"title": "Teamwork", "version": 1}, headers=case.headers)
    assert stale_body.status_code == 409
    assert stale_body.get_json()["code"] == "stale-version"
    assert stale_body.get_json()["current_version"] == 2
    stale_header = client.patch(url, json={"title": "Teamwork"},
                                headers={**case.headers, "If-Match": '"1"'})
    assert stale_header.status_code == 412
    fresh_header = client.patch(url, json={"title": "Teamwork"},
                                headers={**case.headers, "If-Match": '"2"'})
    assert fresh_header.status_code == 200 and fresh_header.get_json()["title"] == "Teamwork"


def test_edit_is_validated_as_a_whole_and_strictly(client, case):
    e = add(client, case, {"kind": "experience", "title": "Cook", "country": "QA",
                           "start_date": "2020-01-01"})
    url = _entry_url(case, e)
    before = client.get(url, headers=case.headers).get_json()
    assert fields_in_error(client.patch(url, json={"end_date": "2019-01-01", "version": 1},
                                        headers=case.headers)) == {"end_date"}
    assert fields_in_error(client.patch(url, json={"salary": 1000, "version": 1},
                                        headers=case.headers)) == {"salary"}
    assert fields_in_error(client.patch(url, json={"kind": "skill", "version": 1},
                                        headers=case.headers)) == {"kind"}
    assert client.get(url, headers=case.headers).get_json() == before
    # Moving the job home recomputes "acquired abroad"; closing it keeps everything else.
    moved = client.patch(url, json={"country": "NP", "end_date": "2021-06-30", "version": 1},
                         headers=case.headers).get_json()
    assert (moved["acquired_abroad"], moved["end_date"], moved["title"]) == (
        False, "2021-06-30", "Cook")


def test_a_same_value_edit_changes_nothing(client, case, db_session):
    e = add(client, case, {"kind": "soft_skill", "title": "Teamwork"})
    resp = client.patch(_entry_url(case, e), json={"title": "Teamwork", "version": 1},
                        headers=case.headers)
    assert resp.status_code == 200 and resp.get_json()["version"] == 1
    assert len(db_session.scalars(select(PassportEntryRevision)).all()) == 1


def test_changing_the_code_renames_a_defaulted_title_only(client, case):
    named = add(client, case, {"kind": "occupation", "isco_code": "5120"})
    renamed = client.patch(_entry_url(case, named), json={"esco_uri": COOK_URI, "version": 1},
                           headers=case.headers).get_json()
    assert (renamed["title"], renamed["isco_code"]) == ("cook", "5120")
    own = add(client, case, {"kind": "occupation", "isco_code": "5120", "title": "Chef de partie"})
    kept = client.patch(_entry_url(case, own), json={"isco_code": "5131", "version": 1},
                        headers=case.headers).get_json()
    assert (kept["title"], kept["isco_code"]) == ("Chef de partie", "5131")


def test_verification_records_who_when_and_evidence(client, case, factory, db_session):
    office = db_session.get(Office, case.participant.office_id)
    supervisor = factory.user("supervisor", office=office)
    e = add(client, case, {"kind": "qualification", "title": "Diploma", "formality": "formal"})
    url = _entry_url(case, e)
    no_evidence = client.post(f"{url}/verify", json={"level": "certified"}, headers=case.headers)
    assert fields_in_error(no_evidence) == {"evidence"}
    bad_level = client.post(f"{url}/verify", json={"level": "blessed", "evidence": "x"},
                            headers=case.headers)
    assert fields_in_error(bad_level) == {"level"}

    resp = client.post(f"{url}/verify", json={"level": "certified", "evidence": "Original seen"},
                       headers=factory.headers(supervisor))
    body = resp.get_json()
    assert resp.status_code == 200 and resp.headers["ETag"] == '"2"'
    assert (body["verification"], body["verification_title"], body["verified_by"],
            body["evidence"]) == ("certified", "Certified", supervisor.id, "Original seen")
    assert body["verified_at"] is not None

    stale = client.post(f"{url}/verify", json={"level": "recognised", "evidence": "x",
                                               "version": 1}, headers=case.headers)
    assert stale.status_code == 409


def test_substantive_edit_drops_verification_and_history_keeps_it(client, case):
    e = add(client, case, {"kind": "training", "title": "Knife skills", "hours": 20})
    url = _entry_url(case, e)
    client.post(f"{url}/verify", json={"level": "assessed", "evidence": "Practical test passed"},
                headers=case.headers)
    edited = client.patch(url, json={"hours": 40, "version": 2, "reason": "Second module"},
                          headers=case.headers).get_json()
    assert (edited["verification"], edited["verified_by"], edited["verified_at"],
            edited["evidence"], edited["version"]) == ("self_declared", None, None, None, 3)

    history = client.get(f"{url}/history", headers=case.headers).get_json()
    assert [(r["version"], r["change"], r["snapshot"]["verification"]) for r in history] == [
        (1, "created", "self_declared"), (2, "verified", "assessed"),
        (3, "updated", "self_declared")]
    assert history[1]["snapshot"]["evidence"] == "Practical test passed"
    assert history[1]["snapshot"]["verified_by"] == case.user.id
    assert history[1]["snapshot"]["details"] == {"hours": 20}
    assert history[2]["snapshot"]["details"] == {"hours": 40}
    assert history[2]["reason"] == "Second module"
    assert all(r["changed_by"] == case.user.id for r in history)


def test_retire_keeps_the_entry_and_its_history(client, case, db_session):
    e = add(client, case, {"kind": "soft_skill", "title": "Teamwork"})
    url = _entry_url(case, e)
    assert fields_in_error(client.post(f"{url}/retire", json={}, headers=case.headers)) == {"reason"}
    resp = client.post(f"{url}/retire", json={"reason": "Entered twice"}, headers=case.headers)
    assert resp.status_code == 200 and resp.get_json()["retired_by"] == case.user.id
    passport = client.get(f"{case.base}/passport", headers=case.headers).get_json()
    assert passport["entries"] == []
    assert client.get(url, headers=case.headers).get_json()["retired_at"] is not None
    again = client.post(f"{url}/retire", json={"reason": "Twice"}, headers=case.headers)
    assert again.status_code == 409 and again.get_json()["code"] == "entry-retired"
    edit = client.patch(url, json={"title": "x", "version": 2}, headers=case.headers)
    assert edit.status_code == 409 and edit.get_json()["code"] == "entry-retired"
    history = client.get(f"{url}/history", headers=case.headers).get_json()
    assert [(r["change"], r["reason"]) for r in history] == [
        ("created", None), ("retired", "Entered twice")]
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "passport_entry", AuditEvent.object_id == e["id"])).all()
    assert actions.count("passports:entry:retire") == 1


def test_passport_lists_current_entries_by_kind_and_filters(client, case, db_session):
    add(client, case, {"kind": "training", "title": "Portuguese"})
    add(client, case, {"kind": "language", "language": "ne", "mother_tongue": True})
    add(client, case, {"kind": "occupation", "isco_code": "5120"})
    add(client, case, {"kind": "language", "language": "en", "listening": "A2", "reading": "A2",
                       "speaking": "A2", "writing": "A1"})
    resp = client.get(f"{case.base}/passport", headers=case.headers)
    body = resp.get_json()
    assert [e["kind"] for e in body["entries"]] == ["occupation", "language", "language", "training"]
    assert (body["disclosure"], body["version"]) == ([], 1)
    only = client.get(f"{case.base}/passport?kind=language&kind=training", headers=case.headers)
    assert [e["kind"] for e in only.get_json()["entries"]] == ["language", "language", "training"]
    assert fields_in_error(client.get(f"{case.base}/passport?kind=hobby", headers=case.headers)) \
        == {"kind.0"}
    reads = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:passport:read")).all()
    assert len(reads) == 2 and reads[0].object_id == case.participant.id


def test_disclosure_is_validated_and_versioned(client, case, db_session):
    url = f"{case.base}/passport"
    assert fields_in_error(client.patch(url, json={"disclosure": ["name", "salary"], "version": 1},
                                        headers=case.headers)) == {"disclosure.1"}
    assert client.patch(url, json={"disclosure": ["name"]}, headers=case.headers).status_code == 428
    ok = client.patch(url, json={"disclosure": ["language", "name", "name"], "version": 1},
                      headers=case.headers)
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    assert ok.get_json()["disclosure"] == ["name", "language"]
    stale = client.patch(url, json={"disclosure": []}, headers={**case.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url, headers=case.headers).get_json()["disclosure"] == ["name", "language"]
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:passport:update")).one()
    assert event.details["disclosure"] == ["name", "language"]


def test_other_offices_participants_and_other_participants_entries_are_missing(client, case,
                                                                               factory):
    other_office = factory.office()
    stranger = factory.participant(factory.user("admin"), office_id=other_office.id)
    e = add(client, case, {"kind": "soft_skill", "title": "Teamwork"})
    assert client.get(f"/api/v1/participants/{stranger.id}/passport",
                      headers=case.headers).status_code == 404
    # Same office, another participant: the entry id does not belong to them.
    neighbour = factory.participant(case.user, office_id=case.participant.office_id)
    for method, suffix, body in [("get", "", None), ("patch", "", {"title": "x", "version": 1}),
                                 ("post", "/verify", {"level": "assessed", "evidence": "x"}),
                                 ("post", "/retire", {"reason": "x"}), ("get", "/history", None)]:
        resp = client.open(f"/api/v1/participants/{neighbour.id}/passport/entries/{e['id']}{suffix}",
                           method=method.upper(), json=body, headers=case.headers)
        assert resp.status_code == 404, (method, suffix)
        assert resp.get_json()["code"] == "not-found"


def test_employer_users_cannot_read_passports(client, case, factory):
    employer = factory.user("employer")
    resp = client.get(f"{case.base}/passport", headers=factory.headers(employer))
    assert resp.status_code == 403
