"""Finding 10 (personal data in clear at rest) and finding 11 (read_sensitive protected only the
gender identity), on both databases: what the tables hold, what the API and pages show, the blind
index, and key rotation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from journey.core import crypto, keys
from journey.core.crypto import Keyring
from journey.core.policy import Role
from journey.participants import services
from journey.participants.models import Participant
from notifications.hooks import hooks_for
from tests.factories import registration_body

PHONE = "+9779812345678"
SECRETS = {"gender_identity": "Non-binary person", "disability_details": "Uses a wheelchair",
           "notes": "Told us about a debt to the recruiter", "sex": "another",
           "sex_self_described": "Third gender (tesro lingi)", "email": "sunita.secret@example.org"}
PERMIT = "WP-PT-7781234"


def _register(client, factory, user=None, **kw):
    user = user or factory.user("caseworker")
    resp = client.post("/api/v1/participants/", json=registration_body(**{**SECRETS, **kw}),
                       headers=factory.headers(user))
    assert resp.status_code == 201, resp.get_json()
    return user, resp.get_json()


def _raw(db_session, table: str, row_id: int) -> dict:
    return dict(db_session.execute(sa.text(f"SELECT * FROM {table} WHERE id = :id"),  # noqa: S608
                                   {"id": row_id}).mappings().one())


def test_raw_tables_hold_no_clear_value(client, factory, db_session):
    """Finding 10: a raw SQL read of participants and permits shows none of the values."""
    user, body = _register(client, factory)
    resp = client.post(f"/api/v1/participants/{body['id']}/permits", headers=factory.headers(user),
                       json={"type": "work_permit", "issuing_country": "PT", "number": PERMIT})
    assert resp.status_code == 201
    row = _raw(db_session, "participants", body["id"])
    dump = repr(row)
    for value in [*SECRETS.values(), PHONE, PHONE.lstrip("+"), "9812345678"]:
        if value != "another":
            assert value not in dump
    for column in ("gender_identity", "disability_details", "notes", "sex_self_described",
                   "phone", "email"):
        assert row[column].startswith("j1.test1."), column
    assert row["phone_index"].startswith("test1:")
    assert row["given_name"] == "Sunita"  # names stay in clear: the list sorts and searches them
    permit = _raw(db_session, "permits", resp.get_json()["id"])
    assert PERMIT not in repr(permit) and permit["number"].startswith("j1.test1.")
    # Through the API everything reads back.
    got = client.get(f"/api/v1/participants/{body['id']}", headers=factory.headers(user)).get_json()
    assert {k: got[k] for k in SECRETS} == SECRETS and got["phone"] == PHONE
    permits = client.get(f"/api/v1/participants/{body['id']}/permits",
                         headers=factory.headers(user)).get_json()
    assert permits[0]["number"] == PERMIT


def test_update_round_trip_and_the_index_follows_the_phone(client, factory, db_session):
    user, body = _register(client, factory)
    h = factory.headers(user)
    resp = client.patch(f"/api/v1/participants/{body['id']}", headers={**h, "If-Match": '"1"'},
                        json={"phone": "+9779800000001", "notes": "new notes"})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["phone"], resp.get_json()["notes"]) == ("+9779800000001", "new notes")
    row = _raw(db_session, "participants", body["id"])
    assert row["phone_index"] == crypto.keyring().blind_index("+9779800000001")
    assert "9800000001" not in row["search_text"]


def test_duplicate_phone_is_found_through_the_blind_index(client, factory):
    user, first = _register(client, factory)
    resp = client.post("/api/v1/participants/", headers=factory.headers(user), json=registration_body(
        given_name="Other", family_name="Person", date_of_birth="1990-01-01", phone=PHONE))
    assert resp.status_code == 409
    assert resp.get_json()["matched_on"] == "phone"


def test_list_search_by_phone_uses_the_blind_index(client, factory, db_session):
    user, body = _register(client, factory)
    row = _raw(db_session, "participants", body["id"])
    assert "981" not in row["search_text"]  # the phone is no longer in the free-text column
    h = factory.headers(user)
    for q in ("+977 981-234 5678", "9779812345678", "Sunita"):
        found = client.get("/api/v1/participants/", query_string={"q": q}, headers=h).get_json()
        assert [p["id"] for p in found["items"]] == [body["id"]], q
    partial = client.get("/api/v1/participants/", query_string={"q": "98123"}, headers=h).get_json()
    assert partial["items"] == []  # a blind index matches whole numbers only


def test_inbound_sms_sender_is_matched_through_the_blind_index(app, client, factory, db_session):
    _user, body = _register(client, factory)
    with app.app_context():
        recipient = hooks_for(app).resolve_phone(db_session, PHONE)
        assert recipient is not None and recipient.participant_id == body["id"]
        assert hooks_for(app).resolve_phone(db_session, "+9779800099999") is None


def _policy_without_caseworker_sensitive(app: Flask, monkeypatch):
    table = dict(app.extensions["journey_policy"])
    table["participants:read_sensitive"] = frozenset({Role.ADMIN, Role.SUPERVISOR})
    monkeypatch.setitem(app.extensions, "journey_policy", table)


def test_sensitive_fields_need_read_sensitive(app, client, factory, monkeypatch):
    """Finding 11: a role that may read the participant but not read_sensitive sees none of the
    sensitive fields, in the API or on the page."""
    office = factory.office()
    supervisor = factory.user("supervisor", office=office)
    caseworker = factory.user("caseworker", office=office)
    _user, body = _register(client, factory, user=supervisor)
    _policy_without_caseworker_sensitive(app, monkeypatch)
    sensitive = ("gender_identity", "sex_self_described", "disability_details", "notes")

    seen = client.get(f"/api/v1/participants/{body['id']}",
                      headers=factory.headers(caseworker)).get_json()
    assert seen["reference"] == body["reference"] and seen["phone"] == PHONE
    assert not set(sensitive) & seen.keys()
    full = client.get(f"/api/v1/participants/{body['id']}",
                      headers=factory.headers(supervisor)).get_json()
    assert {k: full[k] for k in sensitive} == {k: SECRETS[k] for k in sensitive}

    from tests.web.test_pages import HTML, log_in, text

    log_in(client, caseworker)
    page = text(client.get(f"/participants/{body['id']}", headers=HTML))
    assert "Sunita" in page
    for k in sensitive:
        assert SECRETS[k] not in page, k


def test_rotation_reencrypts_in_batches_and_lookups_work_halfway(app, client, factory, db_session):
    user, first = _register(client, factory)
    _user, second = _register(client, factory, user=user, given_name="Maya", phone="+9779811111111",
                              date_of_birth="1991-01-01")
    old = app.extensions["journey_keyring"]
    new = Keyring([("k2", b"k" * 32), *app.config["DATA_KEYS"]])
    factory_ = app.extensions["journey_db"].session_factory

    class Stop(Exception):
        pass

    def stop_after_first_batch(_n):
        raise Stop

    app.extensions["journey_keyring"] = new
    crypto.activate(new)
    try:
        try:
            keys.rotate(factory_, new, batch=1, progress=stop_after_first_batch)
        except Stop:
            pass
        db_session.expire_all()
        rows = [_raw(db_session, "participants", pid) for pid in (first["id"], second["id"])]
        assert [crypto.key_id(r["phone"]) for r in rows] == ["k2", "test1"]
        # Half done: both keys decrypt, and both indexes are found.
        with app.app_context():
            assert services.find_duplicate(db_session, phone="+9779811111111", key="x",
                                           date_of_birth=None)[1] == second["reference"]
            assert services.find_duplicate(db_session, phone=PHONE, key="x",
                                           date_of_birth=None)[1] == first["reference"]
        got = client.get(f"/api/v1/participants/{second['id']}",
                         headers=factory.headers(user)).get_json()
        assert got["notes"] == SECRETS["notes"]
        with factory_() as sess:
            assert keys.count_stale(sess, new) > 0
        keys.rotate(factory_, new, batch=1)  # resumes: only what is left
        with factory_() as sess:
            assert keys.count_stale(sess, new) == 0
            counts = keys.status(sess)
        assert set(counts["participants.notes"]) == {"k2"}
        assert set(counts["participants.phone_index"]) == {"k2"}
        db_session.expire_all()
        p = db_session.get(Participant, second["id"])
        assert p.phone == "+9779811111111" and p.phone_index.startswith("k2:")
        # The old key alone no longer reads the rotated values.
        raw = _raw(db_session, "participants", first["id"])["notes"]
        assert crypto.key_id(raw) == "k2"
    finally:
        app.extensions["journey_keyring"] = old
        crypto.activate(old)


def test_keys_cli_status_and_rotate(app, client, factory):
    _register(client, factory)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["keys", "status"])
    assert out.exit_code == 0, out.output
    assert "current key: test1" in out.output and "participants.notes: test1=1" in out.output
    out = runner.invoke(args=["keys", "rotate", "--batch", "10"])
    assert out.exit_code == 0, out.output
    assert "0 rows rewritten" in out.output  # already under the current key: nothing to do
