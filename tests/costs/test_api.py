"""Costs over the API: recording one, editing it at the version read, and the Employer Pays flag."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.costs.models import Cost

VISA = {"category": "visa_fee", "amount": "120.00", "currency": "EUR", "paid_by": "employer"}


def _record(client, headers, p, **body):
    resp = client.post(f"/api/v1/participants/{p.id}/costs", json={**VISA, **body}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _patch(client, headers, p, cost_id, body, **extra_headers):
    return client.patch(f"/api/v1/participants/{p.id}/costs/{cost_id}", json=body,
                        headers={**headers, **extra_headers})


def test_a_cost_is_edited_at_the_version_read(client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    cost = _record(client, h, p)
    assert cost["version"] == 1 and cost["employer_pays_breach"] is False

    resp = _patch(client, h, p, cost["id"], {"paid_by": "migrant", "note": "Paid at the agent",
                                             "version": 1})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["paid_by"] == "migrant" and body["version"] == 2 and resp.headers["ETag"] == '"2"'
    # A visa fee paid by the migrant breaks Employer Pays: the API says so, as the guard does.
    assert body["employer_pays_breach"] is True
    row = db_session.get(Cost, cost["id"])
    db_session.refresh(row)
    assert row.paid_by == "migrant" and row.note == "Paid at the agent" and row.version == 2
    audit = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "costs:cost:update", AuditEvent.object_id == cost["id"])).one()
    assert audit.details["fields"] == ["note", "paid_by"]
    assert "Paid at the agent" not in str(audit.details)  # free text stays out of the trail


def test_a_stale_or_missing_version_is_refused_and_nothing_changes(client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    cost = _record(client, h, p)
    assert _patch(client, h, p, cost["id"], {"amount": "130.00"}).status_code == 428
    assert _patch(client, h, p, cost["id"], {"amount": "130.00", "version": 1}).status_code == 200
    stale = _patch(client, h, p, cost["id"], {"amount": "999.00", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale-version"
    assert stale.get_json()["current_version"] == 2
    stale_header = _patch(client, h, p, cost["id"], {"amount": "999.00"}, **{"If-Match": '"1"'})
    assert stale_header.status_code == 412
    row = db_session.get(Cost, cost["id"])
    db_session.refresh(row)
    assert str(row.amount) == "130.00" and row.version == 2


def test_invalid_fields_and_other_participants_costs(client, factory, db_session):
    cw = factory.user("caseworker")
    p, q = factory.participant(cw), factory.participant(cw)
    h = factory.headers(cw)
    cost = _record(client, h, p)
    bad = _patch(client, h, p, cost["id"], {"amount": "-1", "currency": "eur", "version": 1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"amount", "currency"}
    # The cost exists, but belongs to another participant: missing, not forbidden.
    assert _patch(client, h, q, cost["id"], {"note": "x", "version": 1}).status_code == 404
    assert _patch(client, h, p, 999999, {"note": "x", "version": 1}).status_code == 404


def test_an_unchanged_edit_keeps_the_version(client, factory):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    cost = _record(client, h, p)
    resp = _patch(client, h, p, cost["id"], {"currency": "EUR", "version": 1})
    assert resp.status_code == 200 and resp.get_json()["version"] == 1
