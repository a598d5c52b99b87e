"""Office calendars through the API and the admin page: working days and holidays edited,
validated (422 beside the field), versioned, audited, and used by the deadlines of new
grievances."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.grievances import services
from journey.grievances.models import Channel
from journey.organisations.models import Office, OfficeHoliday
from tests.web.test_pages import HTML, assert_html_page, csrf_token, log_in, text

FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def cal(factory):
    office = factory.office(timezone="UTC")
    return {"office": office, "admin": factory.user("admin"),
            "worker": factory.user("caseworker", office)}


def _url(cal, tail=""):
    return f"/api/v1/offices/{cal['office'].id}/{tail}"


def _ack_due(app, db_session, cal):
    db_session.expire_all()  # the requests changed the office in their own sessions
    with app.test_request_context():
        g, _code = services.intake(db_session, cal["worker"], {
            "category": "wages", "severity": "medium", "description": "Unpaid"},
            channel=Channel.STAFF, now=FRIDAY)
    return g.ack_due_at


def test_the_api_changes_working_days_and_holidays_and_new_deadlines_follow(
        app, client, factory, db_session, cal):
    headers = factory.headers(cal["admin"])
    # Monday to Friday: Friday 15:00 plus two business days is Tuesday 1 December 15:00.
    assert _ack_due(app, db_session, cal) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    got = client.get(_url(cal, "working-days"), headers=headers)
    assert got.status_code == 200
    assert got.get_json()["working_days"] == [1, 2, 3, 4, 5] and got.get_json()["holidays"] == []
    version = got.get_json()["version"]
    assert got.headers["ETag"] == f'"{version}"'

    added = client.post(_url(cal, "holidays"), json={"day": "2026-11-30", "name": "Holiday"},
                        headers=headers)
    assert added.status_code == 201 and added.get_json()["day"] == "2026-11-30"
    # Monday 30 is a holiday now: Wednesday 2 December.
    assert _ack_due(app, db_session, cal) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)

    # A Saturday working week too (Sunday off): Saturday 28 and Tuesday 1.
    put = client.put(_url(cal, "working-days"), json={"working_days": [6, 1, 2, 3, 4, 5],
                                                      "version": version + 1}, headers=headers)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["working_days"] == [1, 2, 3, 4, 5, 6]
    assert _ack_due(app, db_session, cal) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    listed = client.get(_url(cal, "holidays"), headers=headers).get_json()
    assert [h["name"] for h in listed] == ["Holiday"]
    gone = client.delete(_url(cal, f"holidays/{listed[0]['id']}"), headers=headers)
    assert gone.status_code == 204
    # Saturday 28 and Monday 30: Monday 30 November.
    assert _ack_due(app, db_session, cal) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

    actions = set(db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "office", AuditEvent.object_id == cal["office"].id)))
    assert {"organisations:office_calendar:update", "organisations:office_holiday:create",
            "organisations:office_holiday:delete"} <= actions
    assert db_session.get(Office, cal["office"].id).version == version + 3


@pytest.mark.parametrize("body, field", [
    ({"working_days": []}, "working_days"),
    ({"working_days": [0, 8]}, "working_days"),
    ({"working_days": ["monday"]}, "working_days"),
    ({}, "working_days"),
])
def test_invalid_working_days_are_field_errors(client, factory, cal, body, field):
    resp = client.put(_url(cal, "working-days"), json={**body, "version": 1},
                      headers=factory.headers(cal["admin"]))
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert {e["field"].split(".")[0] for e in resp.get_json()["errors"]} == {field}


@pytest.mark.parametrize("body, field", [
    ({"day": "2026-02-30", "name": "x"}, "day"),
    ({"day": "1900-01-01", "name": "x"}, "day"),
    ({"day": "2026-12-25", "name": "  "}, "name"),
    ({"day": "2026-12-25"}, "name"),
])
def test_invalid_holidays_are_field_errors(client, factory, cal, body, field):
    resp = client.post(_url(cal, "holidays"), json=body, headers=factory.headers(cal["admin"]))
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]


def test_a_date_is_a_holiday_once_and_a_stale_version_is_refused(client, factory, cal):
    headers = factory.headers(cal["admin"])
    body = {"day": "2026-12-25", "name": "Christmas"}
    assert client.post(_url(cal, "holidays"), json=body, headers=headers).status_code == 201
    again = client.post(_url(cal, "holidays"), json=body, headers=headers)
    assert again.status_code == 422 and again.get_json()["errors"][0]["code"] == "taken"
    stale = client.put(_url(cal, "working-days"), json={"working_days": [1], "version": 1},
                       headers=headers)
    assert stale.status_code == 409
    assert client.put(_url(cal, "working-days"), json={"working_days": [1]},
                      headers=headers).status_code == 428
    assert client.put(_url(cal, "working-days"), json={"working_days": [1]},
                      headers={**headers, "If-Match": '"1"'}).status_code == 412


def test_only_admins_change_a_calendar_and_holidays_of_another_office_are_not_found(
        client, factory, db_session, cal):
    sup = factory.user("supervisor", cal["office"])
    assert client.get(_url(cal, "working-days"), headers=factory.headers(sup)).status_code == 200
    assert client.post(_url(cal, "holidays"), json={"day": "2026-12-25", "name": "X"},
                       headers=factory.headers(sup)).status_code == 403
    other = factory.office()
    holiday = OfficeHoliday(office_id=other.id, day=datetime(2026, 12, 25).date(), name="X",
                            created_at=FRIDAY)
    db_session.add(holiday)
    db_session.flush()
    resp = client.delete(_url(cal, f"holidays/{holiday.id}"),
                         headers=factory.headers(cal["admin"]))
    assert resp.status_code == 404


def test_the_page_edits_working_days_and_holidays(app, client, db_session, cal):
    office = cal["office"]
    log_in(client, cal["admin"])
    page = f"/admin/offices/{office.id}/calendar"
    resp = client.get(page, headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert "Monday" in body and "Sunday" in body and "No holidays yet." in body
    link = client.get(f"/admin/office/{office.id}", headers=HTML).get_data(as_text=True)
    assert f'href="{page}"' in link

    token = csrf_token(client, page)
    # No day ticked: refused beside the field, nothing saved.
    refused = client.post(f"{page}/working-days", headers=HTML, data={
        "csrf_token": token, "version": "1"})
    assert_html_page(refused, 422)
    assert 'id="err-working_days"' in refused.get_data(as_text=True)
    done = client.post(f"{page}/working-days", headers=HTML, data={
        "csrf_token": token, "version": "1", "working_days": ["1", "2", "3", "4", "5", "6"]})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Office, office.id).working_days == "123456"

    bad = client.post(f"{page}/holidays", headers=HTML, data={
        "csrf_token": token, "version": "2", "day": "2026-13-01", "name": "Holiday"})
    assert_html_page(bad, 422)
    assert 'id="err-day"' in bad.get_data(as_text=True)
    stale = client.post(f"{page}/holidays", headers=HTML, data={
        "csrf_token": token, "version": "1", "day": "2026-11-30", "name": "Holiday"})
    assert_html_page(stale, 409)
    added = client.post(f"{page}/holidays", headers=HTML, data={
        "csrf_token": token, "version": "2", "day": "2026-11-30", "name": "Holiday"})
    assert added.status_code == 303
    assert "Holiday" in text(client.get(page, headers=HTML))
    # Saturday 28 works, Sunday off, Monday 30 a holiday: Friday 15:00 plus two is Tuesday 1.
    assert _ack_due(app, db_session, cal) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    holiday = db_session.scalar(sa.select(OfficeHoliday).where(
        OfficeHoliday.office_id == office.id))
    removed = client.post(f"{page}/holidays/{holiday.id}/delete", headers=HTML, data={
        "csrf_token": token, "version": "3"})
    assert removed.status_code == 303
    assert not db_session.scalars(sa.select(OfficeHoliday).where(
        OfficeHoliday.office_id == office.id)).all()


def test_the_page_is_for_admins(client, factory, cal):
    log_in(client, factory.user("supervisor", cal["office"]))
    resp = client.get(f"/admin/offices/{cal['office'].id}/calendar", headers=HTML)
    assert resp.status_code == 403
