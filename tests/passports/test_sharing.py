"""Share links: consent first, the token shown once and stored hashed, expiry and revocation,
withdrawn consent, every view counted and audited; the public page, bilingual and minimal."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from html import unescape

from sqlmodel import select

from journey.consent import services as consent_services
from journey.core.audit import AuditEvent
from journey.passports.models import ShareLink
from tests.passports.conftest import add, fields_in_error

HTML = {"Accept": "text/html"}


def _share(client, case, **body):
    return client.post(f"{case.base}/share-links", json={"audience": "Hotel Atlântico", **body},
                       headers=case.headers)


def _path(created: dict) -> str:
    return "/shared/" + created["token"]


def _text(resp) -> str:
    return re.sub(r"\s+", " ", unescape(resp.get_data(as_text=True)))


def test_link_needs_consent_to_share_with_employers(client, case, factory):
    p = factory.participant(case.user, office_id=case.participant.office_id)
    resp = client.post(f"/api/v1/participants/{p.id}/share-links", json={"audience": "Hotel"},
                       headers=case.headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "consent-required"


def test_token_is_shown_once_and_only_its_hash_is_kept(client, case, db_session, app):
    resp = _share(client, case, kinds=["language", "occupation", "language"], expires_in_days=7)
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["url"] == app.config["PUBLIC_BASE_URL"] + _path(created)
    assert created["kinds"] == ["occupation", "language"] and created["status"] == "active"
    assert created["expires_at"] > created["created_at"]
    link = db_session.get(ShareLink, created["id"])
    assert link.token_hash == hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["token"] not in str(link.model_dump())
    listed = client.get(f"{case.base}/share-links", headers=case.headers)
    assert listed.status_code == 200
    assert created["token"] not in listed.get_data(as_text=True)
    assert [(x["id"], x["status"], x["view_count"]) for x in listed.get_json()] == [
        (created["id"], "active", 0)]
    events = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("passports:share:%"))).all()
    assert events == ["passports:share:create", "passports:share:read"]


def test_share_link_input_is_validated(client, case, app):
    limit = app.config["SHARE_LINK_MAX_DAYS"]
    assert fields_in_error(_share(client, case, expires_in_days=limit + 1)) == {"expires_in_days"}
    assert fields_in_error(_share(client, case, expires_in_days=0)) == {"expires_in_days"}
    assert fields_in_error(_share(client, case, kinds=["salary"])) == {"kinds.0"}
    assert fields_in_error(_share(client, case, employer_id=999_999)) == {"employer_id"}
    assert fields_in_error(client.post(f"{case.base}/share-links", json={},
                                       headers=case.headers)) == {"audience"}


def test_each_view_is_counted_and_audited_without_the_token_in_logs(client, case, db_session,
                                                                    caplog):
    created = _share(client, case).get_json()
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):
            assert client.get(_path(created), headers=HTML).status_code == 200
    assert created["token"] not in caplog.text
    assert "route=/shared/<token>" in caplog.text
    link = db_session.get(ShareLink, created["id"])
    db_session.refresh(link)
    assert link.view_count == 2 and link.last_viewed_at is not None
    views = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:share:view")).all()
    assert [(v.actor_id, v.object_type, v.object_id, v.office_id, v.details) for v in views] == [
        (None, "share_link", link.id, case.participant.office_id,
         {"participant_id": case.participant.id})] * 2
    listed = client.get(f"{case.base}/share-links", headers=case.headers).get_json()
    assert listed[0]["view_count"] == 2


def test_page_shows_allowed_kinds_with_verification_and_abroad_marks(client, case):
    lang = add(client, case, {"kind": "language", "language": "en", "listening": "B2",
                              "reading": "B1", "speaking": "B1", "writing": "A2"})
    client.post(f"{case.base}/passport/entries/{lang['id']}/verify",
                json={"level": "assessed", "evidence": "Test"}, headers=case.headers)
    add(client, case, {"kind": "experience", "title": "Line cook", "employer": "Hotel Doha",
                       "country": "QA", "start_date": "2020-01-01"})
    add(client, case, {"kind": "soft_skill", "title": "Secret hobby"})
    retired = add(client, case, {"kind": "experience", "title": "Old job", "country": "NP",
                                 "start_date": "2010-01-01"})
    client.post(f"{case.base}/passport/entries/{retired['id']}/retire", json={"reason": "Wrong"},
                headers=case.headers)
    created = _share(client, case, kinds=["language", "experience"]).get_json()
    resp = client.get(_path(created), headers=HTML)
    page = _text(resp)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    p = case.participant
    assert f"{p.given_name} {p.family_name}" in page
    assert "Line cook" in page and "Hotel Doha" in page and "Listening: B2" in page
    assert "Assessed or tested" in page and "Self-declared" in page and "Acquired abroad" in page
    assert "Secret hobby" not in page and "Old job" not in page
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert "<script" not in page


def test_page_is_in_the_participants_language_and_in_english(client, case):
    add(client, case, {"kind": "language", "language": "pt", "listening": "A2", "reading": "A2",
                       "speaking": "A2", "writing": "A1"})
    add(client, case, {"kind": "training", "title": "Hygiene"})
    created = _share(client, case).get_json()
    html = client.get(_path(created), headers=HTML).get_data(as_text=True)
    sections = re.findall(r'<article class="shared-passport" lang="(\w+)"', html)
    assert sections == ["fr", "en"]  # the participant reads French
    french, english = html.split('<article class="shared-passport" lang="en"', 1)
    assert "Formation" in french and "Training" in english  # a translated kind heading
    assert "Hygiene" in french and "Hygiene" in english


def test_english_speaker_gets_one_section(client, case, factory):
    p = factory.participant(case.user, office_id=case.participant.office_id, language="en",
                            consents=[{"purpose": "share_employers", "method": "signed"}])
    created = client.post(f"/api/v1/participants/{p.id}/share-links", json={"audience": "Hotel"},
                          headers=case.headers).get_json()
    html = client.get(_path(created), headers=HTML).get_data(as_text=True)
    assert re.findall(r'<article class="shared-passport" lang="(\w+)"', html) == ["en"]


def test_unknown_token_is_a_404_page(client, case, db_session):
    resp = client.get("/shared/not-a-real-token", headers=HTML)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:share:view")).all() == []


def test_revoked_link_is_gone(client, case, db_session):
    created = _share(client, case).get_json()
    url = f"{case.base}/share-links/{created['id']}/revoke"
    revoked = client.post(url, json={}, headers=case.headers)
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert revoked.get_json()["revoked_by"] == case.user.id
    again = client.post(url, json={}, headers=case.headers)
    assert again.status_code == 409 and again.get_json()["code"] == "already-revoked"
    resp = client.get(_path(created), headers=HTML)
    assert resp.status_code == 410 and resp.mimetype == "text/html"
    assert db_session.get(ShareLink, created["id"]).view_count == 0


def test_expired_link_is_gone(client, case, db_session):
    created = _share(client, case, expires_in_days=1).get_json()
    link = db_session.get(ShareLink, created["id"])
    link.created_at -= timedelta(days=2)
    link.expires_at -= timedelta(days=2)
    db_session.flush()
    assert client.get(_path(created), headers=HTML).status_code == 410
    listed = client.get(f"{case.base}/share-links", headers=case.headers).get_json()
    assert listed[0]["status"] == "expired"


def test_withdrawn_consent_kills_the_link(client, case, db_session, app):
    created = _share(client, case).get_json()
    assert client.get(_path(created), headers=HTML).status_code == 200
    with app.app_context():
        consent_services.withdraw(db_session, case.user, case.participant,
                                  purpose="share_employers", method="verbal")
    assert client.get(_path(created), headers=HTML).status_code == 410
    assert _share(client, case).status_code == 409


def test_link_of_another_participant_cannot_be_revoked_here(client, case, factory):
    created = _share(client, case).get_json()
    neighbour = factory.participant(case.user, office_id=case.participant.office_id)
    resp = client.post(f"/api/v1/participants/{neighbour.id}/share-links/{created['id']}/revoke",
                       json={}, headers=case.headers)
    assert resp.status_code == 404


def test_withdrawing_consent_revokes_links_for_good(client, case, db_session, factory):
    """Finding 3 of issue #11: after consent was given again, the old links opened again, and
    the API showed them active the whole time."""
    employer = factory.employer()
    first = _share(client, case, employer_id=employer.id).get_json()
    second = _share(client, case).get_json()
    boss = factory.user("employer", employer_id=employer.id)
    assert client.get(f"{case.base}/passport/disclosed",
                      headers=factory.headers(boss)).status_code == 200
    assert client.get(_path(first), headers=HTML).status_code == 200
    consents = f"{case.base}/consents"
    withdrawn = client.post(f"{consents}/share_employers/withdraw", json={"method": "verbal"},
                            headers=case.headers)
    assert withdrawn.status_code == 200, withdrawn.get_json()

    def listed():
        return {x["id"]: x for x in client.get(f"{case.base}/share-links",
                                                headers=case.headers).get_json()}

    for created in (first, second):
        assert client.get(_path(created), headers=HTML).status_code == 410
        shown = listed()[created["id"]]
        assert shown["status"] == "revoked" and shown["revoke_reason"] == "consent_withdrawn"
        assert shown["revoked_by"] == case.user.id and shown["revoked_at"]
    # The employer no longer sees the participant through the share.
    assert client.get(f"{case.base}/passport/disclosed",
                      headers=factory.headers(boss)).status_code == 404
    revocations = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "passports:share:revoke")).all()
    assert sorted(e.object_id for e in revocations) == sorted([first["id"], second["id"]])
    assert {e.details["reason"] for e in revocations} == {"consent_withdrawn"}

    # Consent given again: the old links stay closed, and revoked; a new link works.
    again = client.post(consents, json={"purpose": "share_employers", "method": "signed"},
                        headers=case.headers)
    assert again.status_code == 201, again.get_json()
    for created in (first, second):
        assert client.get(_path(created), headers=HTML).status_code == 410
        assert listed()[created["id"]]["status"] == "revoked"
    fresh = _share(client, case).get_json()
    assert fresh["status"] == "active" and fresh["revoke_reason"] is None
    assert client.get(_path(fresh), headers=HTML).status_code == 200


def test_a_link_revoked_by_staff_says_so(client, case):
    created = _share(client, case).get_json()
    revoked = client.post(f"{case.base}/share-links/{created['id']}/revoke", json={},
                          headers=case.headers).get_json()
    assert (revoked["status"], revoked["revoke_reason"]) == ("revoked", "revoked")
