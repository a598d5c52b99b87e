"""A programme's numbers (contacts) and its own items' reminders, through the programme API."""

from __future__ import annotations

BASE = {"code": "NP-QA-HOSP", "name": "Nepal → Qatar hospitality", "origin_country": "NP",
        "destination_country": "QA", "sector": "Hospitality"}


def test_contacts_and_reminders_are_created_read_and_updated(client, factory):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={
        **BASE, "contacts": {"helpline": "+974 4000 1111", "emergency": "999"},
        "checklist_config": {"added": [{"stage": "arrival", "key": "qid", "title": "QID issued",
                                        "reminder": "Collect your Qatar ID card"}]}})
    assert resp.status_code == 201, resp.get_json()
    prog = resp.get_json()
    assert prog["contacts"] == {"helpline": "+974 4000 1111", "emergency": "999"}
    assert prog["checklist_config"]["added"][0]["reminder"] == "Collect your Qatar ID card"
    upd = client.patch(f"/api/v1/programmes/{prog['id']}", headers=h, json={
        "contacts": {"helpline": "+974 4000 1111", "emergency": "999",
                     "embassy": "+974 4467 5283"}})
    assert upd.status_code == 200, upd.get_json()
    got = client.get(f"/api/v1/programmes/{prog['id']}", headers=h).get_json()
    assert got["contacts"]["embassy"] == "+974 4467 5283"


def test_a_programme_without_contacts_has_none(client, factory):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json=BASE)
    assert resp.status_code == 201 and resp.get_json()["contacts"] == {}


def test_a_number_that_is_no_number_is_422_on_its_field(client, factory):
    h = factory.headers(factory.user("admin"))
    resp = client.post("/api/v1/programmes/", headers=h, json={
        **BASE, "contacts": {"helpline": "call Ram", "fax": "1"},
        "checklist_config": {"added": [{"stage": "arrival", "key": "qid", "title": "QID",
                                        "reminder": " "}]}})
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert {"contacts.helpline", "contacts.fax"} <= fields, fields
    assert any(f.startswith("checklist_config.added") for f in fields), fields


def test_a_programme_from_before_contacts_reads_as_none_of_its_own(app, client, factory,
                                                                    db_session):
    from journey.messaging.bridge import recipient_for

    prog = factory.programme(contacts=None)  # as 0020 leaves the programmes it finds
    got = client.get(f"/api/v1/programmes/{prog.id}",
                     headers=factory.headers(factory.user("admin"))).get_json()
    assert got["contacts"] is None
    cw = factory.user("caseworker")
    p = factory.participant(cw, programme_id=prog.id)
    with app.app_context():
        assert recipient_for(db_session, p).params["phone"] == app.config["HELPLINE"]
    assert client.get(f"/welcome?lang=en&programme={prog.id}").status_code == 200
