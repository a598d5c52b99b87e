"""The staff view of a passport: entries with their verification, history pages, audited reads."""

from __future__ import annotations

from sqlmodel import select

from journey.core.audit import AuditEvent
from tests.passports.conftest import add
from tests.web.test_pages import HTML, log_in, text


def test_staff_page_lists_entries_with_verification_and_history(client, case, db_session):
    e = add(client, case, {"kind": "qualification", "title": "Diploma in culinary arts",
                           "formality": "formal", "country": "QA"})
    client.post(f"{case.base}/passport/entries/{e['id']}/verify",
                json={"level": "recognised", "evidence": "DGES recognition letter"},
                headers=case.headers)
    log_in(client, case.user)
    page = client.get(f"/participants/{case.participant.id}/passport", headers=HTML)
    body = text(page)
    assert page.status_code == 200
    assert "Diploma in culinary arts" in body
    assert "Recognised in the destination country" in body and "Acquired abroad" in body
    history_url = f"/participants/{case.participant.id}/passport/entries/{e['id']}/history"
    assert f'href="{history_url}"' in page.get_data(as_text=True)

    history = client.get(history_url, headers=HTML)
    assert history.status_code == 200
    assert "DGES recognition letter" in text(history) and "Self-declared" in text(history)
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == case.user.id, AuditEvent.action.like("passports:%:read"))).all()
    assert actions == ["passports:passport:read", "passports:history:read"]


def test_staff_page_needs_login_and_scope(client, case, factory):
    url = f"/participants/{case.participant.id}/passport"
    anonymous = client.get(url, headers=HTML)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    elsewhere = factory.user("caseworker")  # another office
    log_in(client, elsewhere)
    missing = client.get(url, headers=HTML)
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert case.participant.reference not in missing.get_data(as_text=True)


def test_employer_users_get_a_403_page(client, case, factory):
    log_in(client, factory.user("employer"))
    resp = client.get(f"/participants/{case.participant.id}/passport", headers=HTML)
    assert resp.status_code == 403 and resp.mimetype == "text/html"
