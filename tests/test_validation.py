"""Bad input always gets application/problem+json, field by field, and never a 500.

Every refusal here is also checked to have written nothing: the request commits only on success.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey import create_app
from journey.core.db import db, metadata, utcnow
from journey.organisations.models import Office
from tests.factories import DROP as _DROP
from tests.factories import PASSWORD
from tests.factories import registration_body as _body

PROBLEM = "application/problem+json"
URL = "/api/v1/participants/"


@pytest.fixture
def caseworker(factory):
    return factory.user("caseworker")


@pytest.fixture
def h(factory, caseworker):
    return factory.headers(caseworker)


def _counts(db_session) -> dict[str, int]:
    """Rows per table, in one round trip."""
    tables = metadata.sorted_tables
    row = db_session.execute(sa.select(*(
        sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables))).one()
    return dict(zip((t.name for t in tables), row, strict=True))


def _problem(resp, status: int, code: str) -> dict:
    """Assert the response is a problem document with this status and code; return it."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    problem = resp.get_json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"].endswith("/" + code)
    assert problem["title"]
    assert problem["request_id"] == resp.headers["X-Request-ID"]
    for err in problem.get("errors", []):
        assert set(err) == {"field", "code", "message"}
        assert err["message"] and isinstance(err["message"], str)
    return problem


def _fields(problem: dict) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in problem.get("errors", [])}


# --- field-by-field errors on registration -----------------------------------------------------

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
_REQUIRED = ("given_name", "family_name", "date_of_birth", "sex", "nationality", "origin_country")

# id: (changes to a valid body, the exact [field, code] pairs expected)
FIELD_CASES = {
    "bad phone number": ({"phone": "12345"}, {("phone", "invalid")}),
    "phone with an impossible length": ({"phone": "+1" + "9" * 50}, {("phone", "invalid")}),
    "phone not a string": ({"phone": 9779812345678}, {("phone", "invalid")}),
    "unknown language": ({"language": "xx"}, {("language", "invalid")}),
    "date of birth in the future": ({"date_of_birth": TOMORROW}, {("date_of_birth", "invalid")}),
    "date of birth before 1900": ({"date_of_birth": "1899-12-31"}, {("date_of_birth", "invalid")}),
    "impossible date": ({"date_of_birth": "1990-02-30"}, {("date_of_birth", "invalid")}),
    "missing required fields": ({f: _DROP for f in _REQUIRED},
                                {(f, "required") for f in _REQUIRED}),
    "required field null": ({"given_name": None}, {("given_name", "invalid")}),
    "blank name": ({"family_name": "   "}, {("family_name", "invalid")}),
    "name too long": ({"given_name": "x" * 101}, {("given_name", "length")}),
    "unknown field": ({"favourite_colour": "blue"}, {("favourite_colour", "unknown-field")}),
    "sex not in the list": ({"sex": "robot"}, {("sex", "not-allowed")}),
    "self-described sex with sex other than another": (
        {"sex": "female", "sex_self_described": "in my own words"},
        {("sex_self_described", "invalid")}),
    "channel sms without phone": ({"phone": None, "channels": ["sms"]},
                                  {("channels", "needs-phone")}),
    "channel email without email": ({"channels": ["email"]}, {("channels", "needs-email")}),
    "channel listed twice": ({"channels": ["sms", "sms"]}, {("channels", "invalid")}),
    "channels not a list": ({"channels": "sms"}, {("channels", "invalid")}),
    "invalid country code": ({"nationality": "XX"}, {("nationality", "invalid")}),
    "alpha-3 country code": ({"origin_country": "NPL"}, {("origin_country", "invalid")}),
    "invalid time zone": ({"timezone": "Mars/Olympus_Mons"}, {("timezone", "invalid")}),
    "bad email": ({"email": "not-an-address"}, {("email", "invalid")}),
    "id too large for any database": ({"programme_id": 10**30}, {("programme_id", "invalid")}),
    "programme that does not exist": ({"programme_id": 987654}, {("programme_id", "not-found")}),
    "bad initial consent": ({"consents": [{"purpose": "marketing", "method": "verbal"}]},
                            {("consents.0.purpose", "not-allowed")}),
    "several problems at once": ({"phone": "12345", "timezone": "Nowhere", "sex": "robot"},
                                 {("phone", "invalid"), ("timezone", "invalid"),
                                  ("sex", "not-allowed")}),
}


@pytest.mark.parametrize(("changes", "expected"), FIELD_CASES.values(), ids=FIELD_CASES.keys())
def test_registration_errors_are_field_by_field(client, h, db_session, changes, expected):
    before = _counts(db_session)
    resp = client.post(URL, json=_body(**changes), headers=h)
    problem = _problem(resp, 422, "validation-failed")
    assert _fields(problem) == expected
    assert _counts(db_session) == before


def test_future_birth_date_message_says_why(client, h):
    problem = client.post(URL, json=_body(date_of_birth=TOMORROW), headers=h).get_json()
    assert problem["errors"][0]["message"] == "Date of birth cannot be in the future."


def test_a_valid_body_is_accepted(client, h, db_session):
    """The control for the cases above: only the change each case makes is wrong."""
    before = _counts(db_session)
    assert client.post(URL, json=_body(), headers=h).status_code == 201
    assert _counts(db_session)["participants"] == before["participants"] + 1


def test_registering_in_another_office_is_refused(client, factory, h, db_session):
    elsewhere = factory.office()
    before = _counts(db_session)
    resp = client.post(URL, json=_body(office_id=elsewhere.id), headers=h)
    assert _fields(_problem(resp, 422, "validation-failed")) == {("office_id", "not-allowed")}
    assert _counts(db_session) == before


@pytest.mark.parametrize("field", ["given_name", "notes"])
def test_nul_character_in_a_string_is_a_field_error(client, h, db_session, field):
    before = _counts(db_session)
    resp = client.post(URL, json=_body(**{field: "Sun\x00ita"}), headers=h)
    assert _fields(_problem(resp, 422, "validation-failed")) == {(field, "invalid")}
    assert _counts(db_session) == before


# --- updates -----------------------------------------------------------------------------------

PATCH_CASES = {
    "unknown field": ({"favourite_colour": "blue"}, {("favourite_colour", "unknown-field")}),
    "null for a required field": ({"sex": None}, {("sex", "invalid")}),
    "bad phone": ({"phone": "0000"}, {("phone", "invalid")}),
    "email channel without email": ({"channels": ["email"]}, {("channels", "needs-email")}),
    "version is not a number": ({"version": "one"}, {("version", "invalid")}),
}


@pytest.mark.parametrize(("changes", "expected"), PATCH_CASES.values(), ids=PATCH_CASES.keys())
def test_update_errors_are_field_by_field_and_change_nothing(client, factory, caseworker, h,
                                                             db_session, changes, expected):
    p = factory.participant(caseworker)
    before = _counts(db_session)
    resp = client.patch(f"{URL}{p.id}", json={"version": 1, **changes}, headers=h)
    assert _fields(_problem(resp, 422, "validation-failed")) == expected
    assert _counts(db_session) == before
    # The service may have changed the loaded object before refusing; none of it is kept.
    after = client.get(f"{URL}{p.id}", headers=h).get_json()
    assert (after["version"], after["channels"], after["phone"]) == (1, ["sms"], p.phone)


# --- other endpoints' bodies --------------------------------------------------------------------

OTHER_BODIES = {
    "user with an unknown role": ("/api/v1/users", {"username": "someone", "full_name": "Some One",
                                                    "role": "superuser", "password": "x" * 12},
                                  {("role", "not-allowed")}),
    "user with a short password": ("/api/v1/users", {"username": "someone", "full_name": "Some One",
                                                     "role": "admin", "password": "short"},
                                   {("password", "length")}),
    "caseworker without an office": ("/api/v1/users",
                                     {"username": "someone", "full_name": "Some One",
                                      "role": "caseworker", "password": "x" * 12},
                                     {("office_id", "required")}),
    "office with a bad time zone": ("/api/v1/offices", {"code": "KTM-2", "name": "Kathmandu 2",
                                                        "country": "NP", "timezone": "Asia/Nowhere"},
                                    {("timezone", "invalid")}),
    "employer with a bad country": ("/api/v1/employers", {"name": "Hotel", "country": "Portugal"},
                                    {("country", "invalid")}),
    "provider of an unknown kind": ("/api/v1/service-providers",
                                    {"name": "Clinic", "country": "PT", "kind": "astrology"},
                                    {("kind", "not-allowed")}),
    "programme to its own origin": ("/api/v1/programmes/",
                                    {"code": "NP-NP", "name": "Nowhere", "origin_country": "NP",
                                     "destination_country": "NP", "sector": "Care"},
                                    {("destination_country", "invalid")}),
    "token for too many days": ("/api/v1/auth/tokens",
                                {"username": "someone", "password": "x", "expires_in_days": 10**6},
                                {("expires_in_days", "invalid")}),
    "token without a password": ("/api/v1/auth/tokens", {"username": "someone"},
                                 {("password", "required")}),
}


@pytest.mark.parametrize(("url", "body", "expected"), OTHER_BODIES.values(), ids=OTHER_BODIES.keys())
def test_other_create_endpoints_report_fields_too(client, factory, url, body, expected):
    headers = factory.headers(factory.user("admin"))
    resp = client.post(url, json=body, headers=headers)
    assert _fields(_problem(resp, 422, "validation-failed")) == expected


def test_consent_with_an_unknown_method_is_a_field_error(client, factory, caseworker, h,
                                                         db_session):
    p = factory.participant(caseworker)
    before = _counts(db_session)
    resp = client.post(f"{URL}{p.id}/consents", json={"purpose": "updates", "method": "pigeon"},
                       headers=h)
    assert _fields(_problem(resp, 422, "validation-failed")) == {("method", "not-allowed")}
    assert _counts(db_session) == before


# --- the body itself ----------------------------------------------------------------------------

MIB = 1024 * 1024
BODY_CASES = {
    "oversized body": (dict(data=b'{"notes": "' + b"x" * MIB + b'"}', content_type="application/json"),
                       413, "payload-too-large", set()),
    "text/plain": (dict(data='{"given_name": "Sunita"}', content_type="text/plain"),
                   415, "unsupported-media-type", set()),
    "form encoded": (dict(data={"given_name": "Sunita"}), 415, "unsupported-media-type", set()),
    "malformed JSON": (dict(data='{"given_name": "Sunita",', content_type="application/json"),
                       400, "bad-request", {("_body", "invalid")}),
    "invalid UTF-8": (dict(data=b'{"given_name": "\xff"}', content_type="application/json"),
                      400, "bad-request", {("_body", "invalid")}),
    "JSON array": (dict(json=[_body()]), 422, "validation-failed", {("_schema", "invalid")}),
    "JSON null": (dict(data="null", content_type="application/json"),
                  422, "validation-failed", {("_schema", "invalid")}),
    "JSON string": (dict(json="Sunita"), 422, "validation-failed", {("_schema", "invalid")}),
    "empty JSON body": (dict(data="", content_type="application/json"),
                        422, "validation-failed", {(f, "required") for f in _REQUIRED}),
}


@pytest.mark.parametrize(("kwargs", "status", "code", "fields"), BODY_CASES.values(),
                         ids=BODY_CASES.keys())
def test_unusable_bodies_are_refused_as_problems(client, h, db_session, kwargs, status, code,
                                                 fields):
    before = _counts(db_session)
    resp = client.post(URL, headers=h, **kwargs)
    assert _fields(_problem(resp, status, code)) == fields
    assert _counts(db_session) == before


def test_size_and_type_are_checked_before_authentication(client):
    """No need to parse what an anonymous caller sent before telling them it is unusable."""
    big = client.post(URL, data=b"x" * (MIB + 1), content_type="application/json")
    _problem(big, 413, "payload-too-large")
    _problem(client.post(URL, data="x", content_type="text/plain"), 415, "unsupported-media-type")


def test_deeply_nested_json_is_a_bad_request_not_a_crash(client, h):
    depth = 100_000  # 200 kB: well under the body limit
    resp = client.post(URL, data="[" * depth + "]" * depth, content_type="application/json", headers=h)
    _problem(resp, 400, "bad-request")


# --- the path and the method --------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/participants/99999999999999999999999",
    "/api/v1/participants/99999999999999999999999/consents",
    "/api/v1/participants/abc",
    "/api/v1/participants/0",
    "/api/v1/participants/-1",
    "/api/v1/participants/1.5",
    "/api/v1/programmes/99999999999999999999999",
    "/api/v1/no-such-thing",
    "/api/v2/participants/",
])
def test_paths_that_name_nothing_are_404_problems(client, h, path):
    problem = _problem(client.get(path, headers=h), 404, "not-found")
    assert "errors" not in problem


def test_huge_id_on_a_write_is_404_and_writes_nothing(client, h, db_session):
    before = _counts(db_session)
    resp = client.patch("/api/v1/participants/99999999999999999999999",
                        json={"notes": "x", "version": 1}, headers=h)
    _problem(resp, 404, "not-found")
    assert _counts(db_session) == before


INT4_MAX = 2**31 - 1
_NEW = {"given_name": "Big", "family_name": "Id", "date_of_birth": "1990-01-01", "sex": "male",
        "nationality": "NP", "origin_country": "NP"}
# Ids the URL converter (up to 18 digits) and the schemas (up to 2**62) accept, but which do not
# fit the 32-bit integer id columns the migrations create.
BEYOND_INT4 = {
    "participant path": ("GET", f"/api/v1/participants/{INT4_MAX + 1}", None, {404}),
    "participant path, 18 digits": ("GET", "/api/v1/participants/999999999999999999", None, {404}),
    "consents path": ("GET", f"/api/v1/participants/{INT4_MAX + 1}/consents", None, {404}),
    "programme path": ("GET", f"/api/v1/programmes/{INT4_MAX + 1}", None, {404}),
    "token path": ("DELETE", f"/api/v1/auth/tokens/{INT4_MAX + 1}", None, {404}),
    "list filter": ("GET", f"{URL}?office_id={INT4_MAX + 1}", None, {200, 422}),
    "audit filter": ("GET", f"/api/v1/audit-events/?actor_id={INT4_MAX + 1}", None, {200, 422}),
    "office in a body": ("POST", URL, {**_NEW, "office_id": INT4_MAX + 1}, {422}),
    "programme in a body": ("POST", URL, {**_NEW, "office_id": "{office}",
                                          "programme_id": INT4_MAX + 1}, {422}),
}


@pytest.mark.parametrize(("method", "path", "body", "ok"), BEYOND_INT4.values(),
                         ids=BEYOND_INT4.keys())
def test_ids_beyond_the_column_range_are_not_a_crash(request, backend, client, factory, db_session,
                                                     method, path, body, ok):
    headers = factory.headers(factory.user("admin"))
    if body and body.get("office_id") == "{office}":
        body = {**body, "office_id": factory.office().id}
    before = _counts(db_session)
    resp = client.open(path, method=method, json=body, headers=headers)
    assert resp.status_code in ok, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert resp.mimetype == PROBLEM
    assert _counts(db_session)["participants"] == before["participants"]


def test_largest_id_that_fits_is_a_plain_404(client, h):
    resp = client.get(f"/api/v1/participants/{INT4_MAX}", headers=h)
    assert _problem(resp, 404, "not-found")["detail"] == "No such participant."


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/api/v1/participants/", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("PUT", "/api/v1/participants/1", {"GET", "HEAD", "OPTIONS", "PATCH"}),
    ("DELETE", "/api/v1/audit-events/", {"GET", "HEAD", "OPTIONS"}),
    ("PATCH", "/api/v1/auth/me", {"GET", "HEAD", "OPTIONS"}),
])
def test_wrong_method_is_405_with_allow(client, h, db_session, method, path, allowed):
    before = _counts(db_session)
    resp = client.open(path, method=method, json={}, headers=h)
    _problem(resp, 405, "method-not-allowed")
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == allowed
    assert _counts(db_session) == before


# --- query parameters ---------------------------------------------------------------------------

QUERY_CASES = {
    "per_page=0": ("per_page=0", {("per_page", "invalid")}),
    "per_page=1000": ("per_page=1000", {("per_page", "invalid")}),
    "per_page not a number": ("per_page=ten", {("per_page", "invalid")}),
    "page=0": ("page=0", {("page", "invalid")}),
    "huge page": ("page=99999999999999999999", {("page", "invalid")}),
    "sort by an unknown field": ("sort=unknownfield", {("sort", "invalid")}),
    "sort with an empty part": ("sort=family_name,", {("sort", "invalid")}),
    "stage=bogus": ("stage=bogus", {("stage.0", "not-allowed")}),
    "a good and a bad stage": ("stage=intake&stage=bogus", {("stage.1", "not-allowed")}),
    "sex=bogus": ("sex=bogus", {("sex.0", "not-allowed")}),
    "bad country filter": ("nationality=ZZ", {("nationality", "invalid")}),
    "huge office id": ("office_id=99999999999999999999", {("office_id", "invalid")}),
    "empty search": ("q=", {("q", "length")}),
    "overlong search": ("q=" + "a" * 101, {("q", "length")}),
}


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES.values(), ids=QUERY_CASES.keys())
def test_invalid_list_parameters_are_422(client, h, db_session, query, expected):
    before = _counts(db_session)
    resp = client.get(f"{URL}?{query}", headers=h)
    assert _fields(_problem(resp, 422, "validation-failed")) == expected
    # A refused listing is not audited either.
    assert _counts(db_session) == before


def test_valid_list_parameters_are_accepted(client, h):
    """The control for the cases above."""
    resp = client.get(f"{URL}?per_page=100&page=1&sort=-family_name,id&stage=intake&sex=female"
                      "&nationality=np&q=Sun", headers=h)
    assert resp.status_code == 200
    assert resp.get_json()["per_page"] == 100


@pytest.mark.parametrize(("url", "ok"), [
    (URL + "?q=Sun%00ita", {200, 422}),
    ("/api/v1/auth/tokens", {401, 422}),
])
def test_nul_in_a_search_or_a_login_is_not_a_crash(request, backend, client, h, url, ok):
    if url.endswith("tokens"):
        resp = client.post(url, json={"username": "case\x00worker", "password": PASSWORD})
    else:
        resp = client.get(url, headers=h)
    assert resp.status_code in ok, resp.get_data(as_text=True)


# --- nothing is written when a request is refused ----------------------------------------------

def test_a_refusal_after_the_insert_rolls_the_insert_back(client, h, db_session):
    """The participant row is flushed before the second consent is refused; none of it stays."""
    before = _counts(db_session)
    twice = [{"purpose": "updates", "method": "sms"}, {"purpose": "updates", "method": "verbal"}]
    resp = client.post(URL, json=_body(consents=twice), headers=h)
    _problem(resp, 409, "consent-already-given")
    assert _counts(db_session) == before
    # And the same body without the repeat goes through, so the refusal was the only obstacle.
    assert client.post(URL, json=_body(consents=twice[:1]), headers=h).status_code == 201


# --- an unexpected error -----------------------------------------------------------------------

@pytest.fixture
def crashing_app(app, fresh_database_url, monkeypatch):
    """A separate app, on its own database, with a route that writes and then fails."""
    url = fresh_database_url(at_head=True)
    crashing = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                           "PASSWORD_HASH_PROFILE": "cheapest"})

    @crashing.post("/api/v1/boom")
    def boom():
        db.session.add(Office(code="BOOM", name="Half-made office", country="NP",
                              timezone="Asia/Kathmandu", created_at=utcnow()))
        db.session.flush()
        raise RuntimeError("Sunita Gurung +9779812345678 broke it")

    yield crashing
    crashing.extensions["journey_db"].engine.dispose()


def test_unexpected_error_is_a_500_problem_without_the_exception_text(crashing_app, caplog):
    resp = crashing_app.test_client().post("/api/v1/boom", json={},
                                           headers={"X-Request-ID": "boom-request-0001"})
    problem = _problem(resp, 500, "internal-error")
    assert problem["request_id"] == "boom-request-0001"
    shown = json.dumps({k: v for k, v in problem.items() if k != "request_id"}).lower()
    for leak in ("sunita", "9779812345678", "runtimeerror", "traceback", "boom", "broke"):
        assert leak not in shown, leak
    # The log names the exception type and the request, never the message.
    logged = [r.getMessage() for r in caplog.records if r.name == "journey.core.errors"]
    assert logged == ["unhandled RuntimeError request_id=boom-request-0001"]
    assert "Sunita" not in caplog.text
    # What the failing request had written was rolled back.
    with crashing_app.app_context(), db.job_session() as s:
        assert s.scalars(sa.select(Office.id)).all() == []


# --- hostile inputs (issue 10): each was a 500, or was accepted and stored altered ---------------

HUGE = 10909724611286747136  # beyond any id column, and beyond a 64-bit integer
P = "/api/v1/participants/{p}"

# id: (method, path, JSON body, extra headers, expected status, expected [field, code] pairs)
HOSTILE = {
    # Ids in bodies and query strings: one Id field, 1..2**31-1, never an OverflowError.
    "huge entry_id for a credential": (
        "POST", P + "/credentials", {"scope": "entry", "entry_id": HUGE}, {}, 422,
        {("entry_id", "invalid")}),
    "huge employer_id on a share link": (
        "POST", P + "/share-links", {"audience": "Hotel", "employer_id": HUGE}, {}, 422,
        {("employer_id", "invalid")}),
    "huge employer_id on a transition": (
        "POST", P + "/transitions", {"event": "preselect", "version": 1, "employer_id": HUGE}, {},
        422, {("employer_id", "invalid")}),
    "huge id in a bulk transition": (
        "POST", "/api/v1/participants/transitions", {"event": "preselect",
                                                     "participant_ids": [HUGE]}, {}, 422,
        {("participant_ids.0", "invalid")}),
    "huge version": (
        "PATCH", P, {"notes": "x", "version": HUGE}, {}, 422, {("version", "invalid")}),
    # Integers are strict: never truncated, never read from text or booleans in JSON.
    "office_id 1.5": ("POST", URL, _body(office_id=1.5), {}, 422, {("office_id", "invalid")}),
    "office_id as text": ("POST", URL, _body(office_id="1"), {}, 422, {("office_id", "invalid")}),
    "office_id true": ("POST", URL, _body(office_id=True), {}, 422, {("office_id", "invalid")}),
    "version 1.0": ("PATCH", P, {"notes": "x", "version": 1.0}, {}, 422, {("version", "invalid")}),
    "share link days 14.5": (
        "POST", P + "/share-links", {"audience": "Hotel", "expires_in_days": 14.5}, {}, 422,
        {("expires_in_days", "invalid")}),
    # Query strings: ASCII digits only.
    "query office_id=1.5": ("GET", URL + "?office_id=1.5", None, {}, 422, {("office_id", "invalid")}),
    "query page=² (a Unicode digit)": ("GET", URL + "?page=%C2%B2", None, {}, 422,
                                       {("page", "invalid")}),
    "query huge actor_id": ("GET", f"/api/v1/audit-events/?actor_id={HUGE}", None, {}, 422,
                            {("actor_id", "invalid")}),
    # Lone surrogates: JSON can carry them, no database can store them.
    "lone surrogate in a name": ("POST", URL, _body(given_name="Sun\ud800ita"), {}, 422,
                                 {("given_name", "invalid")}),
    "lone surrogate in nested text": (
        "POST", URL, _body(consents=[{"purpose": "updates", "method": "verbal",
                                      "note": "\udfff"}]), {}, 422,
        {("consents.0.note", "invalid")}),
    "lone surrogate in a key": ("POST", URL, {**_body(), "\ud800": 1}, {}, 422,
                                {("\\ud800", "invalid")}),
    "lone surrogate in a passport entry": (
        "POST", P + "/passport/entries", {"kind": "soft_skill", "title": "\ud83d"}, {}, 422,
        {("title", "invalid")}),
    "lone surrogate in an update": ("PATCH", P, {"notes": "a\udc00b", "version": 1}, {}, 422,
                                    {("notes", "invalid")}),
    # If-Match: only ASCII digits are versions.
    "If-Match superscript two": ("PATCH", P, {"notes": "x"}, {"If-Match": '"²"'}, 412, set()),
    "If-Match Arabic-Indic one": ("PATCH", P, {"notes": "x"}, {"If-Match": '"١"'}, 412, set()),
    "If-Match on a passport": ("PATCH", P + "/passport", {"disclosure": []}, {"If-Match": '"²"'},
                               412, set()),
    # Names: no direction overrides, and something visible.
    "right-to-left override in a name": ("POST", URL, _body(family_name="Gur\u202eung"), {}, 422,
                                         {("family_name", "invalid")}),
    "left-to-right embedding in a name": ("POST", URL, _body(given_name="\u202aSunita"), {}, 422,
                                          {("given_name", "invalid")}),
    "isolate in a name": ("POST", URL, _body(given_name="\u2067Sunita\u2069"), {}, 422,
                          {("given_name", "invalid")}),
    "name of zero-width and direction marks": (
        "POST", URL, _body(given_name="\u200b\u200f\u200e\u2060\ufeff"), {}, 422,
        {("given_name", "invalid")}),
    "name of ideographic spaces": ("POST", URL, _body(family_name="\u3000\u00a0"), {}, 422,
                                   {("family_name", "invalid")}),
    "line break in a name": ("POST", URL, _body(family_name="Gurung\nSmith"), {}, 422,
                             {("family_name", "invalid")}),
    "override in an update's name": ("PATCH", P, {"given_name": "a\u202eb", "version": 1}, {},
                                     422, {("given_name", "invalid")}),
    "override in notes": ("POST", URL, _body(notes="paid \u202e0001"), {}, 422,
                          {("notes", "invalid")}),
    "control character in notes": ("POST", URL, _body(notes="bell\x07"), {}, 422,
                                   {("notes", "invalid")}),
    "override in a user's full name": (
        "POST", "/api/v1/users", {"username": "spoof1", "full_name": "Admin\u202e",
                                  "role": "admin", "password": PASSWORD}, {}, 422,
        {("full_name", "invalid")}),
    "override in a share link's audience": (
        "POST", P + "/share-links", {"audience": "Hotel \u202eLtd"}, {}, 422,
        {("audience", "invalid")}),
    # Languages: a BCP 47 tag, not a POSIX locale read as its first two letters.
    "POSIX locale as a language": ("POST", URL, _body(language="en_US.UTF-8"), {}, 422,
                                   {("language", "invalid")}),
    "language with an underscore": ("POST", URL, _body(language="pt_PT"), {}, 422,
                                    {("language", "invalid")}),
    "POSIX locale in an update": ("PATCH", P, {"language": "en_US.UTF-8", "version": 1}, {}, 422,
                                  {("language", "invalid")}),
}


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "expected"),
                         HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_inputs_are_refused_field_by_field(client, factory, db_session, method, path,
                                                   body, headers, status, expected):
    office = factory.office()
    admin = factory.user("admin")
    p = factory.participant(factory.user("caseworker", office=office), office_id=office.id)
    auth = factory.headers(admin)
    before = _counts(db_session)
    data = None if body is None else json.dumps(body)  # \ud800 travels escaped, as JSON allows
    resp = client.open(path.format(p=p.id), method=method, data=data,
                       content_type="application/json" if data else None,
                       headers={**auth, **headers})
    code = {412: "precondition-failed", 422: "validation-failed"}[status]
    problem = _problem(resp, status, code if status == 422 else resp.get_json()["code"])
    assert _fields(problem) == expected
    assert _counts(db_session) == before


# id: (changes to a valid registration, what is stored)
ACCEPTED = {
    "a region subtag is normalised, visibly documented": ({"language": "pt-PT"},
                                                          {"language": "pt"}),
    "joiners inside a name are letters' business": ({"given_name": "\u0938\u0941\u200d\u0928"},
                                                     {"given_name": "\u0938\u0941\u200d\u0928"}),
    "right-to-left names are fine": ({"family_name": "\u0639\u0644\u064a"},
                                     {"family_name": "\u0639\u0644\u064a"}),
    "a right-to-left mark in notes is fine": ({"notes": "\u0639\u0644\u064a\u200f 3"},
                                              {"notes": "\u0639\u0644\u064a\u200f 3"}),
    "an office id that is an integer": ({"office_id": "{office}"}, {"office_id": "{office}"}),
}


@pytest.mark.parametrize(("changes", "stored"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_controls_for_hostile_inputs_are_accepted(client, factory, changes, stored):
    office = factory.office()
    headers = factory.headers(factory.user("caseworker", office=office))
    fill = {k: (office.id if v == "{office}" else v) for k, v in changes.items()}
    resp = client.post(URL, json=_body(**fill), headers=headers)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert {k: body[k] for k in stored} == {k: (office.id if v == "{office}" else v)
                                           for k, v in stored.items()}
