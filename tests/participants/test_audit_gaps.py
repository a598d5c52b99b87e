"""Finding 7 of issue #11 (part): refused out-of-scope reads, and reads of checklists and costs,
are on the audit trail."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from tests.web.test_pages import log_in


def _events(db_session, action):
    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_a_refused_read_of_another_offices_participant_is_audited(client, factory, db_session):
    home = factory.user("caseworker")
    away = factory.user("caseworker")
    p = factory.participant(home)
    h = factory.headers(away)
    for path, permission in ((f"/api/v1/participants/{p.id}", "participants:read"),
                             (f"/api/v1/participants/{p.id}/costs", "costs:read"),
                             (f"/api/v1/participants/{p.id}/checklist", "participants:read")):
        assert client.get(path, headers=h).status_code == 404, path
        # The request rolled back; the refusal was written in its own transaction.
        event = _events(db_session, "participants:participant:refused")[-1]
        assert (event.actor_id, event.object_type, event.object_id) == (away.id, "participant", p.id)
        assert event.office_id == p.office_id  # the probed office's supervisors see it
        assert event.details == {"permission": permission, "actor_office_id": away.office_id}
    assert len(_events(db_session, "participants:participant:refused")) == 3
    # An id that exists nowhere is a plain 404, and nothing to record.
    assert client.get("/api/v1/participants/999999", headers=h).status_code == 404
    assert len(_events(db_session, "participants:participant:refused")) == 3


def test_a_refused_page_is_audited_too(client, factory, db_session):
    home = factory.user("caseworker")
    away = factory.user("caseworker")
    p = factory.participant(home)
    log_in(client, away)
    assert client.get(f"/participants/{p.id}").status_code == 404
    (event,) = _events(db_session, "participants:participant:refused")
    assert (event.actor_id, event.object_id) == (away.id, p.id)


def test_reads_of_checklists_and_costs_are_audited(client, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    h = factory.headers(cw)
    assert client.get(f"/api/v1/participants/{p.id}/checklist", headers=h).status_code == 200
    assert client.get(f"/api/v1/participants/{p.id}/costs", headers=h).status_code == 200
    for action in ("continuum:checklist:read", "costs:cost:read"):
        (event,) = _events(db_session, action)
        assert (event.actor_id, event.object_type, event.object_id, event.office_id) == \
            (cw.id, "participant", p.id, p.office_id)
