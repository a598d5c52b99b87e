"""The foundation: intake, the transition table's graph, deadlines across weekends and holidays,
a resolution needs a decision, an appeal links to the original."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from journey.core.errors import InvalidInput
from journey.core.versions import Precondition
from journey.grievances import services
from journey.grievances.models import Channel, Grievance, State
from journey.grievances.states import FINAL_STATES, INITIAL_STATE, TRANSITIONS
from journey.organisations.calendar import Calendar
from journey.organisations.models import OfficeHoliday


def test_the_graph_has_one_initial_state_reaches_every_state_and_no_dead_end():
    targets = {t.target for t in TRANSITIONS}
    assert [s for s in State if s not in targets] == [INITIAL_STATE]
    reached, frontier = {INITIAL_STATE}, [INITIAL_STATE]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(State)
    for state in State:
        leaving = [t for t in TRANSITIONS if state in t.sources]
        assert bool(leaving) == (state not in FINAL_STATES), state


def test_business_days_skip_the_weekend_and_a_holiday():
    # Friday 27 November 2026, 15:00 in Lisbon (UTC+0 in winter); Monday 30 is a holiday.
    cal = Calendar("Europe/Lisbon", "12345", frozenset({date(2026, 11, 30)}))
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert cal.add_business_days(friday, 2) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    # Counted from the start of the next working day (Tuesday 1 December).
    assert cal.add_business_days(saturday, 2) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    # A Sunday-to-Thursday week (ISO 7, 1-4).
    gulf = Calendar("UTC", "71234", frozenset())
    thursday = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert gulf.add_business_days(thursday, 1) == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _log(factory, db_session, actor, **data):
    data = {"category": "wages", "severity": "medium", "description": "Unpaid for two months",
            **data}
    return services.intake(db_session, actor, data, channel=Channel.STAFF)


def test_intake_sets_deadlines_from_the_office_calendar(factory, db_session):
    office = factory.office(timezone="UTC")
    db_session.add(OfficeHoliday(office_id=office.id, day=date(2026, 11, 30), name="Holiday",
                                 created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    worker = factory.user("caseworker", office)
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    g, code = services.intake(db_session, worker, {
        "category": "wages", "severity": "high", "description": "Unpaid"},
        channel=Channel.STAFF, now=friday)
    assert g.ack_due_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert g.resolve_due_at == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 5 business days
    assert g.reference == f"GR-2026-{g.id:06d}"
    assert services.find_by_code(db_session, code.lower().replace("-", " ")) is g
    assert g.tracking_hash != code and len(code) == 14


def test_harassment_is_restricted_by_default(factory, db_session):
    worker = factory.user("caseworker", factory.office())
    g, _code = _log(factory, db_session, worker, category="harassment_gbv")
    assert g.confidentiality == "restricted"


def test_no_resolution_without_a_decision_and_an_appeal_links_to_the_original(factory, db_session):
    worker = factory.user("caseworker", factory.office())
    g, _code = _log(factory, db_session, worker)
    for event in ("acknowledge", "start_review"):
        services.transition(db_session, worker, g, event, expected=Precondition())
    with pytest.raises(InvalidInput) as err:
        services.transition(db_session, worker, g, "resolve", {"resolution_summary": "Paid"},
                            expected=Precondition())
    assert [e["field"] for e in err.value.errors] == ["decision"]
    assert g.state == State.IN_REVIEW
    services.transition(db_session, worker, g, "resolve",
                        {"decision": "upheld", "resolution_summary": "Wages paid"},
                        expected=Precondition())
    _g, appeal, code = services.transition(db_session, worker, g, "appeal",
                                           {"note": "Only half was paid"},
                                           expected=Precondition())
    assert g.state == State.APPEALED and appeal.appeal_of_id == g.id and code
    assert appeal.state == State.RECEIVED and appeal.description == "Only half was paid"
    assert db_session.get(Grievance, appeal.id).appeal_of_id == g.id


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def test_a_list_masks_a_restricted_row_and_a_name_search_does_not_find_it(factory, db_session):
    from journey.grievances import queries
    from journey.grievances.models import FocalPoint

    office = factory.office()
    worker, other = factory.user("caseworker", office), factory.user("caseworker", office)
    focal = factory.user("supervisor", office)
    db_session.add(FocalPoint(office_id=office.id, user_id=focal.id,
                              created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    p = factory.participant(worker, given_name="Sita", family_name="Karki")
    g, _code = services.intake(db_session, worker, {"category": "harassment_gbv",
                                                    "description": "x"},
                               channel=Channel.STAFF, participant=p)
    seen = queries.listing(db_session, other)
    assert seen["total"] == 1 and seen["items"][0]["masked"]
    assert seen["items"][0]["participant_id"] is None
    assert seen["items"][0]["participant_name"] is None
    assert queries.listing(db_session, other, q="karki")["total"] == 0
    assert queries.listing(db_session, other, q=g.reference.lower())["total"] == 1
    assert queries.listing(db_session, other, participant_id=p.id)["total"] == 0
    by_focal = queries.listing(db_session, focal, q="karki")
    assert by_focal["total"] == 1 and by_focal["items"][0]["participant_name"] == "Sita Karki"


def test_a_restricted_grievance_leaves_no_trail_from_the_person_to_it(factory, db_session):
    """The timeline (read by anyone who reads the record) keeps no id of a restricted grievance,
    and a masked row shows no category and is not found by filtering on its category."""
    from journey.core.timeline import recorded
    from journey.grievances import queries

    office = factory.office()
    worker, other = factory.user("caseworker", office), factory.user("caseworker", office)
    p = factory.participant(worker)
    restricted, _c = services.intake(db_session, worker, {"category": "harassment_gbv",
                                                          "description": "x"},
                                     channel=Channel.STAFF, participant=p)
    standard, _c = services.intake(db_session, worker, {"category": "wages", "description": "y"},
                                   channel=Channel.STAFF, participant=p)
    logged = [e["data"] for e in recorded(db_session, p.id) if e["kind"] == "grievance_logged"]
    assert logged == [{"restricted": True}, {"grievance_id": standard.id}]
    rows = {r["id"]: r for r in queries.listing(db_session, other)["items"]}
    assert rows[restricted.id]["masked"] and rows[restricted.id]["category"] is None
    assert rows[standard.id]["category"] == "wages"
    assert queries.listing(db_session, other, category="harassment_gbv")["total"] == 0
    assert queries.listing(db_session, worker, category="harassment_gbv")["total"] == 1


def test_the_appeal_of_a_complaint_by_sms_sends_its_own_receipt(factory, db_session):
    """The SMS webhook answers the first receipt itself; the appeal's code must still reach the
    number that complained, through the outbox."""
    from notifications.models import OutboxMessage

    worker = factory.user("caseworker", factory.office())
    g, _code = services.intake(db_session, None, {"category": "wages", "description": "x"},
                               channel=Channel.SMS, contact_phone="+9779812345678",
                               send_receipt=False)
    receipts = sa.select(OutboxMessage).where(OutboxMessage.template == "grievance_acknowledged")
    assert db_session.scalars(receipts).all() == []
    for event, data in (("acknowledge", {}), ("resolve", {"decision": "not_upheld",
                                                          "resolution_summary": "Paid late"})):
        services.transition(db_session, worker, g, event, data, expected=Precondition())
    _g, appeal, code = services.transition(db_session, worker, g, "appeal",
                                           {"note": "Still unpaid"}, expected=Precondition())
    (receipt,) = db_session.scalars(receipts).all()
    assert receipt.recipient == "+9779812345678" and code in receipt.body


def test_information_received_after_the_deadline_is_breached_at_once(factory, db_session):
    worker = factory.user("caseworker", factory.office())
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    g, _code = services.intake(db_session, worker, {"category": "wages", "description": "x",
                                                    "severity": "critical"},
                               channel=Channel.STAFF, now=start)
    for event in ("acknowledge", "start_review"):
        services.transition(db_session, worker, g, event, expected=Precondition(), now=start)
    # Asked two days in, a day after the 24 hours ran out; the clock stops for a day.
    services.transition(db_session, worker, g, "request_information",
                        {"note": "Payslips?", "pause_clock": True}, expected=Precondition(),
                        now=start + timedelta(days=2))
    assert g.sla_status == "paused"
    services.transition(db_session, worker, g, "information_received",
                        expected=Precondition(), now=start + timedelta(days=3))
    assert g.resolve_due_at == start + timedelta(days=2)
    assert g.sla_status == "breached" and g.clock_paused_at is None
