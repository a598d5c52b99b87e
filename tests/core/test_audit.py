"""The audit log is append-only and holds no personal data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core import audit
from journey.core.audit import AuditEvent


def test_audit_rows_cannot_be_changed_or_deleted(app, factory, db_session):
    cw = factory.user("caseworker")
    with app.app_context():
        audit.record(db_session, "tests:thing:poke", actor_id=cw.id, object_type="thing",
                     object_id=1)
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "tests:thing:poke")).one()
    for stmt in (sa.update(AuditEvent).where(AuditEvent.id == event.id).values(action="x:y:z"),
                 sa.delete(AuditEvent).where(AuditEvent.id == event.id)):
        nested = db_session.begin_nested()
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db_session.execute(stmt)
        nested.rollback()


def test_action_tags_must_be_domain_subject_action(app, db_session):
    with app.app_context(), pytest.raises(ValueError, match="domain:subject:action"):
        audit.record(db_session, "participant-created", actor_id=None, object_type="participant")


def test_details_refuse_free_structures(app, db_session):
    with app.app_context(), pytest.raises(TypeError):
        audit.record(db_session, "tests:thing:poke", actor_id=None, object_type="thing",
                     person={"name": "Sunita"})


def test_supervisor_queries_their_office_trail_with_filters(client, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    cw = factory.user("caseworker", office=office)
    p = factory.participant(cw)
    h = factory.headers(sup)
    client.get(f"/api/v1/participants/{p.id}", headers=h)
    body = client.get(f"/api/v1/audit-events/?object_type=participant&object_id={p.id}",
                      headers=h).get_json()
    assert [e["action"] for e in body["items"]] == ["participants:participant:read",
                                                    "participants:participant:create"]
    prefix = client.get("/api/v1/audit-events/?action=participants:", headers=h).get_json()
    assert prefix["total"] >= 2
    assert all(e["action"].startswith("participants:") for e in prefix["items"])
    since = client.get("/api/v1/audit-events/?since=2999-01-01T00:00:00Z", headers=h).get_json()
    assert since["total"] == 0
    naive = client.get("/api/v1/audit-events/?since=2020-01-01T00:00:00", headers=h)
    assert naive.status_code == 422
