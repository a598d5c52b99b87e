"""Audit filters by actor, participant, days and action, in the API and on the page; bad filters
are 422 with the message beside the field, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from tests.web.test_pages import HTML, log_in, text


def _field_error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found.group(1)


def _ids(resp) -> set[int]:
    assert resp.status_code == 200, resp.get_json()
    return {e["id"] for e in resp.get_json()["items"]}


def test_api_filters_by_actor_participant_and_days(client, factory, db_session):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    a, b = factory.participant(cw), factory.participant(cw)
    events = db_session.scalars(sa.select(AuditEvent)).all()
    about_a = {e.id for e in events if (e.object_type == "participant" and e.object_id == a.id)
               or e.details.get("participant_id") == a.id}
    assert about_a
    h = factory.headers(admin)
    got = _ids(client.get(f"/api/v1/audit-events/?participant={a.reference.lower()}&per_page=100",
                          headers=h))
    assert got == about_a
    by_cw = _ids(client.get(f"/api/v1/audit-events/?actor={cw.username}&per_page=100", headers=h))
    assert by_cw and all(e.actor_id == cw.id for e in events if e.id in by_cw)
    old = AuditEvent(occurred_at=datetime(2020, 3, 5, 23, 59, tzinfo=UTC), actor_id=None,
                     action="tests:thing:poke", object_type="thing", details={})
    db_session.add(old)  # written as an old event: the log is append-only
    db_session.flush()
    day = _ids(client.get("/api/v1/audit-events/?date_from=2020-03-05&date_to=2020-03-05",
                          headers=h))
    assert day == {old.id}
    assert not _ids(client.get("/api/v1/audit-events/?date_from=2020-03-06&date_to=2020-03-06",
                               headers=h))
    backwards = client.get("/api/v1/audit-events/?date_from=2020-03-06&date_to=2020-03-05",
                           headers=h)
    assert backwards.status_code == 422
    unknown = client.get("/api/v1/audit-events/?actor=nobody.here", headers=h)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "actor"
    assert b.id not in {e["object_id"] for e in client.get(
        f"/api/v1/audit-events/?participant={a.reference}", headers=h).get_json()["items"]}


def test_a_supervisor_cannot_find_another_office_participant(client, factory):
    office, away = factory.office(), factory.office()
    sup = factory.user("supervisor", office=office)
    theirs = factory.participant(factory.user("caseworker", office=away))
    resp = client.get(f"/api/v1/audit-events/?participant={theirs.reference}",
                      headers=factory.headers(sup))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "participant"


def test_page_filters_and_keeps_them_in_the_pager(client, factory, db_session):
    admin = factory.user("admin")
    cw = factory.user("caseworker")
    a = factory.participant(cw)
    for _i in range(3):
        factory.participant(cw)
    log_in(client, admin)
    resp = client.get(f"/audit?participant={a.reference}&actor={cw.username}", headers=HTML)
    assert resp.status_code == 200
    page = text(resp)
    assert f"participant {a.id}" in page
    assert f'value="{a.reference}"' in resp.get_data(as_text=True)
    today = datetime.now(UTC).date()
    resp = client.get(f"/audit?actor={cw.username}&date_from={today - timedelta(days=1)}"
                      f"&date_to={today}&per_page=1", headers=HTML)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    # The pager's links keep every filter.
    assert re.search(rf'href="/audit\?[^"]*actor={re.escape(cw.username)}[^"]*page=2', body) \
        or re.search(rf'href="/audit\?[^"]*page=2[^"]*actor={re.escape(cw.username)}', body)


def test_page_shows_bad_filters_beside_the_fields(client, factory):
    log_in(client, factory.user("admin"))
    bad = client.get("/audit?date_from=2026-13-45&date_to=yesterday", headers=HTML)
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in _field_error(bad, "date_from")
    assert _field_error(bad, "date_to")
    backwards = client.get("/audit?date_from=2026-03-06&date_to=2026-03-05", headers=HTML)
    assert backwards.status_code == 422 and _field_error(backwards, "date_to")
    unknown = client.get("/audit?actor=nobody.here&participant=ZZZZ-ZZZZ", headers=HTML)
    assert unknown.status_code == 422
    assert "No user" in _field_error(unknown, "actor")
    assert "No participant" in _field_error(unknown, "participant")
    long = client.get("/audit?participant=" + "X" * 40, headers=HTML)
    assert long.status_code == 422 and _field_error(long, "participant")


def test_page_size_errors_are_shown(client, factory):
    log_in(client, factory.user("admin"))
    resp = client.get("/audit?per_page=500", headers=HTML)
    assert resp.status_code == 422 and "1 to 100" in text(resp)
