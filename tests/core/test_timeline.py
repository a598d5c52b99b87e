"""The shared timeline: recorded entries and what providers contribute, merged in time order."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey import create_app
from journey.continuum.services import record_permit, timeline
from journey.core.domains import load
from journey.domains import DOMAINS
from notifications.models import OutboxMessage


@pytest.fixture
def person(factory):
    office = factory.office()
    user = factory.user("caseworker", office=office)
    return user, factory.participant(user, office_id=office.id, channels=["sms"])


def test_messages_come_from_messagings_provider_in_time_order(client, factory, db_session,
                                                              person):
    user, p = person
    (msg,) = db_session.scalars(sa.select(OutboxMessage).where(OutboxMessage.participant_id == p.id))
    # At the same instant, recorded entries come before what providers add.
    msg.created_at = p.created_at
    db_session.flush()
    with factory.app.app_context():
        permit = record_permit(db_session, user, p, {"type": "work_visa", "issuing_country": "PT"})
    body = client.get(f"/api/v1/participants/{p.id}/timeline",
                      headers=factory.headers(user)).get_json()
    assert [e["kind"] for e in body["events"]] == ["stage_entered", "message", "permit_recorded"]
    message = body["events"][1]
    assert message == {"id": msg.id, "kind": "message", "occurred_at": message["occurred_at"],
                       "actor_id": None, "stage": None, "reason": None,
                       "data": {"channel": "sms", "template": "stage_entered.intake",
                                "language": "ne", "status": "queued", "skip_reason": None}}
    assert body["events"][2]["data"]["permit_id"] == permit.id

    # A message written later sorts after the permit.
    msg.created_at = p.created_at + timedelta(days=3650)
    db_session.flush()
    body = client.get(f"/api/v1/participants/{p.id}/timeline",
                      headers=factory.headers(user)).get_json()
    assert [e["kind"] for e in body["events"]] == ["stage_entered", "permit_recorded", "message"]


def test_the_timeline_reads_no_other_domains_tables(app, database_url, db_session, person):
    """Without messaging's provider the outbox does not show: the timeline itself never reads it."""
    _user, p = person
    domains = [dataclasses.replace(d, timeline_providers=()) if d.name == "messaging" else d
               for d in load(DOMAINS)]
    other = create_app({"DATABASE_URL": database_url, "LOG_TRACEBACKS": False}, domains=domains)
    try:
        with app.app_context():
            assert [e["kind"] for e in timeline(db_session, p)["events"]] == ["stage_entered",
                                                                              "message"]
        with other.app_context():
            assert [e["kind"] for e in timeline(db_session, p)["events"]] == ["stage_entered"]
    finally:
        other.extensions["journey_db"].engine.dispose()
