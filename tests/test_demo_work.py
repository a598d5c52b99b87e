"""The demo gives caseworkers a caseload and something in My work and the triage (#13), and
loading it twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core import timeline
from journey.core.auth import User
from journey.core.db import utcnow
from journey.demo.workload import REPLY_ID, UNKNOWN_ID
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.workbench import services as workbench
from notifications.models import InboundMessage
from tests.web.test_pages import HTML, log_in, text


def _load(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _user(db_session, username: str) -> User:
    return db_session.scalars(sa.select(User).where(User.username == username)).one()


def _snapshot(db_session):
    people = db_session.execute(sa.select(Participant.id, Participant.caseworker_id,
                                          Participant.version).order_by(Participant.id)).all()
    inbound = db_session.scalar(sa.select(sa.func.count()).select_from(InboundMessage))
    events = db_session.scalar(sa.select(sa.func.count()).select_from(timeline.JourneyEvent))
    return people, inbound, events


def test_the_demo_assigns_caseworkers_and_fills_my_work(app, connection, db_session, client):
    output = _load(app)
    assert "/work" in output and "/messages/triage" in output
    caseworker = _user(db_session, "caseworker")
    ktm = db_session.scalars(sa.select(Office).where(Office.code == "KTM")).one()
    office = db_session.execute(sa.select(Participant.caseworker_id).where(
        Participant.office_id == ktm.id)).scalars().all()
    mine = [c for c in office if c == caseworker.id]
    unassigned = [c for c in office if c is None]
    assert len(mine) > len(office) // 2, "most go to the demo caseworker"
    assert 1 <= len(unassigned) < len(mine), "a few are left to assign"
    assert set(office) <= {caseworker.id, None}
    lisbon = _user(db_session, "caseworker.lisbon")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Participant).where(
        Participant.caseworker_id == lisbon.id)) > 0

    # One person with something in each part of My work.
    with app.test_request_context():
        work = workbench.my_work(db_session, caseworker)
    sections = work["sections"]
    overdue = {i["participant_id"] for i in sections["overdue"]["items"]}
    soon = {i["participant_id"] for i in sections["permits_30"]["items"]}
    replies = {i["participant_id"] for i in sections["replies"]["items"]}
    assert overdue & soon & replies, sections
    today = utcnow().date()
    assert all(i["due_date"] < today for i in sections["overdue"]["items"])
    assert work["triage"]["count"] >= 1
    reply = db_session.scalars(sa.select(InboundMessage).where(
        InboundMessage.provider_id == REPLY_ID)).one()
    p = db_session.get(Participant, reply.participant_id)
    assert p.caseworker_id == caseworker.id and reply.sender == p.phone and reply.needs_attention
    entries = [e for e in timeline.recorded(db_session, p.id) if e["kind"] == "message_received"]
    assert [e["data"] for e in entries] == [{"inbound_id": reply.id, "needs_attention": True}]
    stranger = db_session.scalars(sa.select(InboundMessage).where(
        InboundMessage.provider_id == UNKNOWN_ID)).one()
    assert stranger.participant_id is None and stranger.keyword is None

    # And the pages show them to the demo caseworker and the supervisor.
    assert log_in(client, caseworker, "journey-demo-2026").status_code == 303
    page = text(client.get("/work", headers=HTML))
    assert "When is my flight?" in page and p.family_name in page
    triage = text(client.get("/messages/triage", headers=HTML))
    assert "How can I apply for hotel work in Portugal?" in triage
    assert "+9779812345678" not in triage  # the sender is masked


def test_loading_the_demo_again_changes_nothing(app, connection, db_session):
    _load(app)
    before = _snapshot(db_session)
    output = _load(app)
    assert "nothing changed" in output
    assert _snapshot(db_session) == before
