"""The audit log page and the chain's verify endpoint: admins everything, supervisors their
office's events and no verify button, anyone else nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from tests.web.test_pages import HTML, csrf_token, log_in, text


def test_admin_verifies_the_chain_through_the_api(client, factory, db_session):
    admin = factory.user("admin")
    resp = client.post("/api/v1/audit/verify", json={}, headers=factory.headers(admin))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["intact"] is True and body["broken_at"] is None and body["reason"] is None
    assert body["checked"] >= 0
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auditlog:chain:verify")).one()
    assert event.actor_id == admin.id and event.details["intact"] is True


def test_supervisor_page_lists_their_office_events_only_without_verify(client, factory):
    office, away = factory.office(), factory.office()
    sup = factory.user("supervisor", office=office)
    mine = factory.participant(factory.user("caseworker", office=office))
    theirs = factory.participant(factory.user("caseworker", office=away))
    log_in(client, sup)
    resp = client.get("/audit?action=participants:", headers=HTML)
    assert resp.status_code == 200
    page = text(resp)
    assert f"participant {mine.id}" in page
    assert f"participant {theirs.id}" not in page
    assert "Verify the chain" not in page
    assert client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit")},
                       headers=HTML).status_code == 403


def test_page_filters_by_object_and_shows_errors_beside_the_field(client, factory):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    a, b = factory.participant(cw), factory.participant(cw)
    log_in(client, admin)
    page = text(client.get(f"/audit?object_type=participant&object_id={a.id}", headers=HTML))
    assert f"participant {a.id}" in page and f"participant {b.id}" not in page
    bad = client.get("/audit?object_id=abc", headers=HTML)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert re.search(r'id="f-object_id"[^>]*aria-invalid="true"', html)
    assert 'id="err-object_id"' in html


def test_admin_presses_verify_and_sees_the_result_once(client, factory):
    admin = factory.user("admin")
    log_in(client, admin)
    assert "Verify the chain" in text(client.get("/audit", headers=HTML))
    assert client.post("/audit/verify", data={}, headers=HTML).status_code == 400  # no CSRF
    resp = client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit")},
                       headers=HTML)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/audit")
    assert "The chain is intact" in text(client.get("/audit", headers=HTML))
    assert "The chain is intact" not in text(client.get("/audit", headers=HTML))


def test_anonymous_goes_to_login_and_caseworkers_are_refused(client, factory):
    assert client.get("/audit", headers=HTML).status_code == 302
    log_in(client, factory.user("caseworker"))
    assert client.get("/audit", headers=HTML).status_code == 403


def test_the_page_names_the_first_broken_link(chain_app):
    from journey.core.db import db
    from tests.auditlog.conftest import seal, write_events
    from tests.factories import Factory

    with chain_app.app_context(), db.job_session() as sess:
        admin = Factory(chain_app, sess).user("admin")
    write_events(chain_app, 3)
    seal(chain_app)
    with chain_app.app_context(), db.job_session() as sess:
        victim = sess.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()
    engine = sa.create_engine(chain_app.config["DATABASE_URL"])
    with engine.begin() as conn:
        on = " ON audit_events" if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TRIGGER audit_events_no_update{on}")
        conn.execute(sa.text("UPDATE audit_events SET object_id = 999 WHERE id = :id"),
                     {"id": victim})
    engine.dispose()
    client = chain_app.test_client()
    log_in(client, admin)
    client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit")}, headers=HTML)
    page = text(client.get("/audit", headers=HTML))
    assert f"The chain is broken at event {victim}." in page
    assert "Its content was changed after it was written." in page
