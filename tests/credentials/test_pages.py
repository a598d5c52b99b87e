"""Public pages: the verification page (only what the holder agreed to show), the paste form,
issuer profiles."""

from __future__ import annotations

import re

from journey.core.audit import AuditEvent
from journey.credentials import services


def _issue(app, factory, db_session, passports, **kw):
    cw = factory.user("caseworker")
    p = factory.participant(cw, **kw)
    passports.full(p, cw)
    with app.test_request_context():
        cred = services.issue(db_session, cw, p, "passport")
    return cw, p, cred


def test_page_shows_status_issuer_dates_and_no_name_by_default(app, client, factory, db_session,
                                                               passports):
    _cw, p, cred = _issue(app, factory, db_session, passports)
    resp = client.get(f"/verify/{cred.uuid}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Valid" in html and "Skills passport" in html
    assert "Office" in html and cred.issued_at.date().isoformat() in html
    assert p.given_name not in html and p.family_name not in html
    assert "Food hygiene certificate" not in html  # no entry kinds disclosed
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    event = db_session.query(AuditEvent).filter_by(action="credentials:credential:verify_view",
                                                   object_id=cred.id).one()
    assert event.actor_id is None and event.details == {
        "participant_id": p.id, "status": "valid", "via": "page"}


def test_page_shows_the_name_and_kinds_the_holder_agreed_to(app, client, factory, db_session,
                                                            passports):
    _cw, p, cred = _issue(app, factory, db_session, passports)
    passports.disclose(p, "name", "qualification")
    html = client.get(f"/verify/{cred.uuid}").get_data(as_text=True)
    assert f"{p.given_name} {p.family_name}" in html
    assert "Food hygiene certificate" in html and "Barista course" in html
    assert "Prepare fish dishes" not in html  # a skill: not disclosed

    passports.disclose(p)  # agreement withdrawn: obeyed at once
    html = client.get(f"/verify/{cred.uuid}").get_data(as_text=True)
    assert p.given_name not in html and "Food hygiene certificate" not in html


def test_page_labels_in_english_and_the_holders_language(app, client, factory, db_session,
                                                         passports):
    _cw, _p, cred = _issue(app, factory, db_session, passports, language="fr")
    html = client.get(f"/verify/{cred.uuid}").get_data(as_text=True)
    assert '<span lang="en">' in html and '<span lang="fr">' in html


def test_revoked_and_unknown_on_the_page(app, client, factory, db_session, passports):
    cw, p, cred = _issue(app, factory, db_session, passports)
    supervisor = factory.user("supervisor")
    with app.test_request_context():
        services.revoke(db_session, supervisor, p, cred, reason="Replaced")
    html = client.get(f"/verify/{cred.uuid}").get_data(as_text=True)
    assert "Revoked" in html and "Replaced" not in html
    assert client.get("/verify/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/verify/not-a-uuid").status_code == 404


def _csrf(client) -> str:
    html = client.get("/verify").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_paste_form_checks_a_token_and_needs_the_csrf_token(app, client, factory, db_session,
                                                            passports):
    _cw, p, cred = _issue(app, factory, db_session, passports)
    assert client.post("/verify", data={"token": cred.token}).status_code == 400
    ok = client.post("/verify", data={"token": cred.token, "csrf_token": _csrf(client)})
    assert ok.status_code == 200 and "Valid" in ok.get_data(as_text=True)
    assert p.given_name not in ok.get_data(as_text=True)
    changed = cred.token[:-5] + ("A" if cred.token[-5] != "A" else "B") + cred.token[-4:]
    bad = client.post("/verify", data={"token": changed, "csrf_token": _csrf(client)})
    assert "Not genuine" in bad.get_data(as_text=True)
    empty = client.post("/verify", data={"token": " ", "csrf_token": _csrf(client)})
    assert empty.status_code == 422


def test_issuer_profile_validates(app, client, factory, profile_validator):
    office = factory.office()
    resp = client.get(f"/issuers/{office.id}")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert list(profile_validator.iter_errors(doc)) == []
    assert doc["name"] == office.name and doc["type"] == ["Profile"]
    assert client.get("/issuers/999999").status_code == 404
