"""Triage: an open grievance's category, severity, confidentiality, whom it is against, the
outcome wanted and the language are corrected through one service, the API (PATCH) and a page;
a new category or severity moves both deadlines; the complainant's words never change; a
resolved grievance and a stale version are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.errors import Conflict, InvalidInput, ProblemError
from journey.core.versions import Precondition
from journey.grievances import services, triage
from journey.grievances.models import Channel, GrievanceEntry
from tests.web.test_pages import HTML, csrf_token, log_in, text

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app, factory, db_session):
    office = factory.office(timezone="UTC")
    cw = factory.user("caseworker", office=office)
    with app.test_request_context():
        g, _code = services.intake(db_session, None, {
            "category": "other", "description": "Boss took my passport"},
            channel=Channel.SMS, contact_phone="+9779812345678", now=MONDAY, send_receipt=False)
        services.assign(db_session, cw, g, cw.id, expected=None)
    db_session.flush()
    return office, cw, g


def test_a_complaint_by_sms_is_triaged_and_its_deadlines_follow(app, db_session, world):
    _office, cw, g = world
    assert g.resolve_due_at == MONDAY + timedelta(days=14)  # medium: 10 business days
    with app.test_request_context():
        triage.update(db_session, cw, g, {"category": "document_confiscation",
                                          "severity": "high", "against_kind": "employer",
                                          "against_name": "Gulf Star Farms"},
                      expected=Precondition(body=g.version))
    assert (g.category, g.severity, g.against_kind, g.against_name) == (
        "document_confiscation", "high", "employer", "Gulf Star Farms")
    assert g.resolve_due_at == MONDAY + timedelta(days=7)  # high: 5 business days
    assert g.ack_due_at == MONDAY + timedelta(days=2)  # unchanged: 2 business days either way
    assert g.description == "Boss took my passport"
    entry = db_session.scalars(sa.select(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "updated")).one()
    assert entry.body == "category, severity, against_kind, against_name"
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grievances:grievance:update")).one()
    assert event.details["category"] == "document_confiscation"
    assert "against_name" in event.details["changed"] and "Gulf" not in str(event.details)


def test_refused_when_resolved_stale_invalid_or_masked(app, db_session, factory, world):
    office, cw, g = world
    with app.test_request_context():
        with pytest.raises(Conflict):
            triage.update(db_session, cw, g, {"severity": "low"},
                          expected=Precondition(body=g.version + 1))
        with pytest.raises(InvalidInput) as err:
            triage.update(db_session, cw, g, {"against_kind": "recruiter"},
                          expected=Precondition(body=g.version))
        assert [e["field"] for e in err.value.errors] == ["against_recruiter_id"]
        triage.update(db_session, cw, g, {"confidentiality": "restricted"},
                      expected=Precondition(body=g.version))
        other = factory.user("caseworker", office=office)
        with pytest.raises(ProblemError) as err:  # masked for them: they cannot change it
            triage.update(db_session, other, g, {"severity": "low"}, expected=None)
        assert err.value.status == 403
        for event, data in (("acknowledge", {}), ("resolve", {"decision": "upheld",
                                                              "resolution_summary": "Returned"})):
            services.transition(db_session, cw, g, event, data, expected=None)
        with pytest.raises(ProblemError) as err:
            triage.update(db_session, cw, g, {"severity": "low"}, expected=None)
        assert (err.value.status, err.value.code) == (409, "not-open")


def test_the_api_patches_at_the_version_read(client, factory, world):
    _office, cw, g = world
    h = factory.headers(cw)
    resp = client.patch(f"/api/v1/grievances/{g.id}", headers=h,
                        json={"category": "wages", "version": g.version})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["category"] == "wages" and resp.headers["ETag"] == f'"{g.version + 1}"'
    stale = client.patch(f"/api/v1/grievances/{g.id}", headers=h,
                         json={"category": "housing", "version": g.version})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    bad = client.patch(f"/api/v1/grievances/{g.id}", headers=h,
                       json={"category": "gossip", "version": g.version + 1})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in bad.get_json()["errors"]] == ["category"]


def test_the_page_corrects_shows_errors_beside_fields_and_a_conflict(client, db_session, world):
    _office, cw, g = world
    log_in(client, cw)
    path = f"/grievances/{g.id}/edit"
    detail = client.get(f"/grievances/{g.id}", headers=HTML).get_data(as_text=True)
    assert f'href="{path}"' in detail
    form = client.get(path, headers=HTML)
    assert form.status_code == 200 and "Correct grievance" in text(form)
    base = {"category": "wages", "severity": "critical", "confidentiality": "standard",
            "against_kind": "recruiter", "against_name": "", "desired_outcome": "",
            "language": "ne", "version": str(g.version)}
    refused = client.post(path, headers=HTML, data={**base, "csrf_token": csrf_token(client, path)})
    assert refused.status_code == 422
    assert 'id="err-against_recruiter_id"' in refused.get_data(as_text=True)
    saved = client.post(path, headers=HTML, data={**base, "against_name": "Lucky Manpower",
                                                  "csrf_token": csrf_token(client, path)})
    assert saved.status_code == 303
    db_session.refresh(g)
    assert (g.category, g.severity, g.language, g.against_name) == (
        "wages", "critical", "ne", "Lucky Manpower")
    assert g.resolve_due_at == MONDAY + timedelta(hours=24)
    stale = client.post(path, headers=HTML, data={**base, "severity": "low",
                                                  "against_name": "Lucky Manpower",
                                                  "csrf_token": csrf_token(client, path)})
    assert stale.status_code == 409
    page = text(stale)
    assert "Someone else changed this record" in page and "Critical" in page and "Low" in page
    db_session.refresh(g)
    assert g.severity == "critical"


def test_restricting_a_grievance_later_removes_its_id_from_the_persons_timeline(
        app, db_session, factory):
    from journey.core.timeline import recorded

    office = factory.office()
    cw = factory.user("caseworker", office=office)
    p = factory.participant(cw)
    with app.test_request_context():
        g, _code = services.intake(db_session, cw, {"category": "wages", "description": "x"},
                                   channel=Channel.STAFF, participant=p)
        other, _code = services.intake(db_session, cw, {"category": "housing",
                                                        "description": "y"},
                                       channel=Channel.STAFF, participant=p)
        triage.update(db_session, cw, g, {"category": "harassment_gbv",
                                          "confidentiality": "restricted"},
                      expected=Precondition(body=g.version))
    logged = [e["data"] for e in recorded(db_session, p.id) if e["kind"] == "grievance_logged"]
    assert logged == [{"restricted": True}, {"grievance_id": other.id}]
