"""Patterns of complaints for reports (#14): counts by employer, recruiter (of the registry, by id
and named from it, #15; one named in free text grouped by its folded name, and counted with the
registry's recruiter of that name), category, office, state and month, with filters; the
restricted ones counted but never attributed by name to someone who does not see them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from journey.core.db import utcnow
from journey.core.errors import InvalidInput
from journey.employers.models import Recruiter
from journey.grievances import glass, patterns, services
from journey.grievances.models import Channel, Grievance
from tests.web.test_pages import HTML, log_in, text

LONG_AGO = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def recruiter(db_session, name: str) -> Recruiter:
    row = Recruiter(name=name, country="NP", licence_number="L-1", issuing_authority="DoFE",
                    licence_expires_on=date(2099, 1, 1), corridors=["NP-PT"], created_at=utcnow())
    db_session.add(row)
    db_session.flush()
    return row


@pytest.fixture
def reports(app, factory, db_session):
    office, other = factory.office(), factory.office()
    supervisor = factory.user("supervisor", office)
    caseworker = factory.user("caseworker", office)
    employer = factory.employer(name="Hotel Miramar")
    gulf = recruiter(db_session, "Gulf Recruiters Pvt. Ltd.")
    hidden = recruiter(db_session, "Hidden Manpower Agency")
    log = []

    def add(actor, now=None, **data):
        data = {"category": "wages", "description": "Unpaid for two months", **data}
        with app.test_request_context():
            g, _code = services.intake(db_session, actor, data, channel=Channel.STAFF, now=now)
        log.append(g)
        return g

    add(caseworker, against_employer_id=employer.id)
    add(caseworker, against_employer_id=employer.id, category="working_hours")
    add(caseworker, against_kind="recruiter", against_recruiter_id=gulf.id,
        category="recruitment_fees")
    # Named in words when it was logged: counted with the registry's recruiter of that name.
    add(caseworker, against_kind="recruiter", against_name="  gulf recruiters pvt ltd ",
        category="recruitment_fees", now=LONG_AGO)
    # Restricted: counted, never attributed for someone who does not see it in full.
    add(caseworker, against_recruiter_id=hidden.id, category="harassment_gbv")
    add(caseworker, against_employer_id=employer.id, category="harassment_gbv")
    for g in log:
        g.assignee_id = None
    elsewhere = factory.user("caseworker", other)
    add(elsewhere, against_employer_id=employer.id, category="housing")
    db_session.flush()
    return {"office": office, "other": other, "supervisor": supervisor, "caseworker": caseworker,
            "employer": employer, "admin": factory.user("admin"), "log": log, "gulf": gulf,
            "hidden": hidden, "add": add}


def _count(rows, key, value):
    return next((r["count"] for r in rows if r[key] == value), 0)


def test_counts_by_employer_recruiter_category_office_state_month(app, db_session, reports):
    r = reports
    with app.test_request_context():
        found = patterns.patterns(db_session, r["supervisor"])
    assert found["total"] == 6, "the supervisor's office only"
    assert found["by_employer"] == [{"employer_id": r["employer"].id, "name": "Hotel Miramar",
                                     "count": 2}]
    assert found["restricted_employer"] == 1
    # Picked from the registry, or named in words that fold to its name: one recruiter.
    assert found["by_recruiter"] == [{"recruiter_id": r["gulf"].id,
                                      "name": "Gulf Recruiters Pvt. Ltd.", "count": 2}]
    assert found["restricted_recruiter"] == 1
    assert "Hidden Manpower Agency" not in str(found)
    assert _count(found["by_category"], "category", "harassment_gbv") == 2, "restricted counted"
    assert _count(found["by_category"], "category", "recruitment_fees") == 2
    assert found["by_office"] == [{"office_id": r["office"].id, "name": r["office"].name,
                                   "count": 6}]
    assert found["by_state"] == [{"state": "received", "count": 6}]
    months = [m["month"] for m in found["by_month"]]
    assert months[0] == "2025-01" and months == sorted(months) and len(months) == 2


def test_a_focal_point_supervisor_sees_the_restricted_names(app, db_session, reports):
    r = reports
    with app.test_request_context():
        glass.add_focal_point(db_session, r["admin"], r["office"].id, r["supervisor"].id)
        found = patterns.patterns(db_session, r["supervisor"])
    assert found["restricted_recruiter"] == 0 and found["restricted_employer"] == 0
    assert "Hidden Manpower Agency" in [x["name"] for x in found["by_recruiter"]]
    assert _count(found["by_employer"], "employer_id", r["employer"].id) == 3


def test_filters_by_period_and_office(app, db_session, reports):
    r = reports
    with app.test_request_context():
        recent = patterns.patterns(db_session, r["supervisor"], date_from=datetime(
            2025, 2, 1).date())
        old = patterns.patterns(db_session, r["supervisor"], date_to=LONG_AGO.date())
        admin_all = patterns.patterns(db_session, r["admin"])
        admin_other = patterns.patterns(db_session, r["admin"], office_id=r["other"].id)
        # A supervisor asking for another office is told it is not theirs (as in My work).
        with pytest.raises(InvalidInput):
            patterns.patterns(db_session, r["supervisor"], office_id=r["other"].id)
    assert recent["total"] == 5 and old["total"] == 1
    assert [x["count"] for x in old["by_recruiter"]] == [1]
    assert admin_all["total"] == 7
    assert admin_other["total"] == 1 and admin_other["by_category"] == [
        {"category": "housing", "count": 1}]


def test_the_recruiter_is_linked_by_id_and_a_typed_name_stored_encrypted(db_session, reports):
    linked, typed = reports["log"][2], reports["log"][3]
    assert (linked.against_recruiter_id, linked.against_name) == (reports["gulf"].id, None)
    assert typed.against_recruiter_id is None
    raw = db_session.execute(sa.select(Grievance.__table__.c.against_name.cast(sa.Text))
                             .where(Grievance.__table__.c.id == typed.id)).scalar_one()
    assert "gulf" not in raw.lower()


def test_recruiters_outside_the_registry_are_grouped_by_their_folded_name(app, db_session,
                                                                          reports):
    r = reports
    r["add"](r["caseworker"], against_kind="recruiter", against_name="Shadow Agents Ltd.",
             category="recruitment_fees")
    r["add"](r["caseworker"], against_kind="recruiter", against_name="SHADOW agents ltd",
             category="recruitment_fees")
    with app.test_request_context():
        found = patterns.patterns(db_session, r["supervisor"])
    assert {"recruiter_id": None, "name": "Shadow Agents Ltd.", "count": 2} in found[
        "by_recruiter"]
    assert _count(found["by_recruiter"], "recruiter_id", r["gulf"].id) == 2


def test_the_page_names_recruiters_from_the_registry(client, reports):
    r = reports
    r["add"](r["caseworker"], against_kind="recruiter", against_name="Shadow Agents Ltd.")
    assert log_in(client, r["supervisor"]).status_code == 303
    body = text(client.get("/grievances/patterns", headers=HTML))
    assert "Gulf Recruiters Pvt. Ltd." in body
    assert "Shadow Agents Ltd. (not in the registry)" in body


def test_the_api_counts_and_refuses_bad_filters(client, factory, reports):
    r = reports
    url = "/api/v1/grievances/patterns"
    ok = client.get(f"{url}?from=2025-02-01&to=2099-12-31", headers=factory.headers(r["supervisor"]))
    assert ok.status_code == 200 and ok.json["total"] == 5
    assert ok.json["by_employer"][0]["name"] == "Hotel Miramar"
    assert "Hidden Manpower Agency" not in ok.get_data(as_text=True)
    assert client.get(url, headers=factory.headers(r["caseworker"])).status_code == 403
    assert client.get(f"{url}?office=1", headers=factory.headers(r["admin"])).status_code == 422
    backwards = client.get(f"{url}?from=2026-02-01&to=2026-01-01",
                           headers=factory.headers(r["admin"]))
    assert backwards.status_code == 422
    # An office that does not exist, or is not the supervisor's: a field error, not the audit
    # event's foreign key (the fuzzer found GET ...?office_id=765893276 answering 409).
    for user, office_id in ((r["admin"], 765893276), (r["supervisor"], r["other"].id)):
        refused = client.get(f"{url}?office_id={office_id}", headers=factory.headers(user))
        assert refused.status_code == 422, refused.get_json()
        assert [e["field"] for e in refused.get_json()["errors"]] == ["office_id"]
    mine = client.get(f"{url}?office_id={r['office'].id}", headers=factory.headers(r["supervisor"]))
    assert mine.status_code == 200 and mine.json["total"] == 6


def test_the_page_shows_an_unknown_office_beside_its_field(client, reports):
    from tests.web.test_pages import HTML, log_in

    log_in(client, reports["admin"])
    resp = client.get("/grievances/patterns?office_id=765893276", headers=HTML)
    assert resp.status_code == 422 and 'id="err-office_id"' in resp.get_data(as_text=True)


def test_the_page_is_a_table_in_the_users_language(client, db_session, reports):
    r = reports
    assert log_in(client, r["supervisor"]).status_code == 303
    page = client.get("/grievances/patterns", headers=HTML)
    body = text(page)
    assert page.status_code == 200 and 'id="by-employer"' in body and "Hotel Miramar" in body
    assert "Hidden Manpower Agency" not in body and "Restricted (not attributed)" in body
    bad = client.get("/grievances/patterns?from=2026-02-01&to=2026-01-01", headers=HTML)
    assert bad.status_code == 422 and 'id="err-to"' in bad.get_data(as_text=True)
    r["supervisor"].language = "fr"
    db_session.flush()
    french = text(client.get("/grievances/patterns", headers=HTML))
    assert 'lang="fr"' in french and "Hotel Miramar" in french
