"""Staff pages through the Flask test client: login, CSRF, redirects, the list, a record, errors."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from journey.consent import services as consent_services
from journey.core.audit import AuditEvent
from journey.core.auth import LoginAttempt, _throttle_key
from journey.core.db import utcnow
from journey.web.display import page_window
from tests.factories import PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    # Followed: "/" sends staff on to their start page, which has the header's logout form.
    page = client.get(path, headers=HTML, follow_redirects=True)
    match = _TOKEN_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, user, password: str = PASSWORD, next_: str | None = None):
    url = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(url, data={"username": user.username, "password": password,
                                  "csrf_token": csrf_token(client)}, headers=HTML)


def text(resp) -> str:
    """The page's HTML, entities decoded and whitespace collapsed, for phrase checks."""
    return re.sub(r"\s+", " ", unescape(resp.get_data(as_text=True)))


def results(resp) -> str:
    """What the list shows below the search form (the form echoes the search itself)."""
    body = text(resp)
    assert 'id="summary"' in body
    return body.partition('id="summary"')[2]


def row_links(resp) -> list[int]:
    """Participant ids linked from the list's rows, in order."""
    return [int(i) for i in re.findall(r'href="/participants/(\d+)"', resp.get_data(as_text=True))]


def assert_html_page(resp, status: int) -> None:
    assert resp.status_code == status
    assert resp.mimetype == "text/html"
    assert "Traceback" not in resp.get_data(as_text=True)


@pytest.fixture
def office_cw(factory):
    office = factory.office()
    return office, factory.user("caseworker", office=office)


# --- login and logout --------------------------------------------------------------------------

def test_login_page_offers_a_csrf_protected_form(client):
    resp = client.get("/login", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert 'name="username"' in body and 'type="password"' in body
    assert _TOKEN_RE.search(body)
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_login_with_right_password_opens_the_caseload(client, factory, office_cw):
    _office, cw = office_cw
    p = factory.participant(cw, given_name="Sunita", family_name="Gurung")
    resp = log_in(client, cw)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"
    # Staff start on My work when it is installed, else on the caseload.
    assert client.get("/", headers=HTML).headers["Location"] in ("/participants", "/work")
    home = client.get("/participants", headers=HTML)
    assert_html_page(home, 200)
    assert "Gurung, Sunita" in text(home)
    assert row_links(home) == [p.id]


def test_login_with_wrong_password_stays_anonymous(client, office_cw):
    _office, cw = office_cw
    resp = log_in(client, cw, password="not the password")
    assert_html_page(resp, 401)
    assert "Unknown username or wrong password." in text(resp)
    assert f'value="{cw.username}"' in text(resp)  # the username is kept, the password is not
    assert client.get("/", headers=HTML).status_code == 302


def test_throttled_login_shows_a_friendly_page(client, office_cw, app, db_session):
    _office, cw = office_cw
    # Failures are seeded directly: the per-test transaction would roll back the ones a failed
    # request stores (each request's savepoint is discarded on an error status).
    with app.test_request_context():
        key = _throttle_key(cw.username, "127.0.0.1")  # the test client's address
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        db_session.add(LoginAttempt(key=key, attempted_at=utcnow()))
    db_session.flush()
    resp = log_in(client, cw)  # even the right password, until the window passes
    assert_html_page(resp, 429)
    assert 0 < int(resp.headers["Retry-After"]) <= 2 ** app.config["LOGIN_MAX_FAILURES"]
    assert "Too many failed logins" in text(resp)
    assert client.get("/", headers=HTML).status_code == 302


def test_login_without_csrf_token_is_refused(client, office_cw):
    _office, cw = office_cw
    client.get("/login", headers=HTML)  # a session exists, but the form's token is missing
    resp = client.post("/login", data={"username": cw.username, "password": PASSWORD}, headers=HTML)
    assert_html_page(resp, 400)
    assert "The form expired" in text(resp)
    assert _TOKEN_RE.search(text(resp)), "the refused login offers a fresh form"
    assert client.get("/", headers=HTML).status_code == 302


def test_login_with_a_forged_csrf_token_is_refused(client, office_cw):
    _office, cw = office_cw
    csrf_token(client)
    resp = client.post("/login", data={"username": cw.username, "password": PASSWORD,
                                       "csrf_token": "forged"}, headers=HTML)
    assert resp.status_code == 400
    assert client.get("/", headers=HTML).status_code == 302


def test_next_returns_to_a_local_page(client, factory, office_cw):
    _office, cw = office_cw
    p = factory.participant(cw)
    resp = log_in(client, cw, next_=f"/participants/{p.id}")
    assert resp.headers["Location"] == f"/participants/{p.id}"


@pytest.mark.parametrize("target", [
    "//evil.example/phish",
    "https://evil.example/",
    "http:/evil.example",
    "/\\evil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "%2F%2Fevil.example",
])
def test_next_never_leads_to_another_site(client, office_cw, target):
    _office, cw = office_cw
    resp = log_in(client, cw, next_=target)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"


def test_anonymous_visitor_is_sent_to_login_and_back(client, factory, office_cw):
    _office, cw = office_cw
    p = factory.participant(cw, given_name="Hidden", family_name="Person")
    for path in ("/", "/participants?q=hidden&page=1", f"/participants/{p.id}", "/logout"):
        resp = client.get(path, headers=HTML)
        assert resp.status_code == 302
        location = urlsplit(resp.headers["Location"])
        assert location.path == "/login"
        assert "Hidden" not in text(resp)
        if path != "/logout":
            assert parse_qs(location.query)["next"] == [path]
    resp = log_in(client, cw, next_="/participants%3Fq%3Dhidden%26page%3D1")
    assert resp.headers["Location"] == "/participants?q=hidden&page=1"
    assert row_links(client.get(resp.headers["Location"], headers=HTML)) == [p.id]


def test_logged_in_user_visiting_login_goes_home(client, office_cw):
    _office, cw = office_cw
    log_in(client, cw)
    resp = client.get("/login", headers=HTML)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_logout_needs_a_post_with_csrf_token(client, office_cw):
    _office, cw = office_cw
    log_in(client, cw)
    page = client.get("/logout", headers=HTML)  # only asks; a link cannot log anyone out
    assert_html_page(page, 200)
    assert 'action="/logout"' in text(page)
    assert client.get("/participants", headers=HTML).status_code == 200

    assert client.post("/logout", headers=HTML).status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}, headers=HTML).status_code == 400
    assert client.get("/participants", headers=HTML).status_code == 200

    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/participants")}, headers=HTML)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert "You have logged out." in text(client.get("/login", headers=HTML))
    assert client.get("/", headers=HTML).status_code == 302


# --- the participants list ---------------------------------------------------------------------

def test_list_pages_through_everyone_with_the_total(client, factory, office_cw):
    _office, cw = office_cw
    people = [factory.participant(cw, given_name=f"Walker{i:02d}") for i in range(30)]
    log_in(client, cw)
    first = client.get("/participants", headers=HTML)
    assert_html_page(first, 200)
    assert "30 participants, showing 1–25" in text(first)
    assert 'href="/participants?page=2" rel="next"' in text(first)
    second = client.get("/participants?page=2", headers=HTML)
    assert "showing 26–30" in text(second)
    assert 'aria-current="page"' in text(second)
    seen = row_links(first) + row_links(second)
    assert len(seen) == 30 and set(seen) == {p.id for p in people}


def test_table_is_marked_up_for_screen_readers(client, factory, office_cw):
    _office, cw = office_cw
    factory.participant(cw)
    log_in(client, cw)
    body = text(client.get("/participants", headers=HTML))
    assert "<caption" in body
    assert body.count('<th scope="col">') == 6
    assert '<th scope="row">' in body
    assert '<label for="q">' in body and '<label for="stage">' in body


def test_search_by_name_phone_and_reference_keeps_the_search_in_paging(client, factory, office_cw):
    _office, cw = office_cw
    thapas = [factory.participant(cw, given_name=f"Ram{i:02d}", family_name="Thapa") for i in range(27)]
    other = factory.participant(cw, given_name="Gita", family_name="Rai", phone="+9779812345678")
    log_in(client, cw)

    resp = client.get("/participants?q=thapa", headers=HTML)
    assert "27 participants, showing 1–25" in text(resp)
    assert other.id not in row_links(resp)
    assert 'href="/participants?page=2&amp;q=thapa"' in resp.get_data(as_text=True)
    assert set(row_links(client.get("/participants?page=2&q=thapa", headers=HTML))) <= {p.id for p in thapas}

    assert row_links(client.get("/participants?q=%2B977+981-2345678", headers=HTML)) == [other.id]
    assert row_links(client.get(f"/participants?q={other.reference.lower()}", headers=HTML)) == [other.id]
    empty = client.get("/participants?q=nobody-like-this", headers=HTML)
    assert_html_page(empty, 200)
    assert "No participants match this search." in text(empty)


def test_stage_filter(client, factory, office_cw, db_session):
    _office, cw = office_cw
    training = factory.participant(cw)
    training.stage = "training"
    factory.participant(cw)
    db_session.flush()
    log_in(client, cw)
    resp = client.get("/participants?stage=training", headers=HTML)
    assert row_links(resp) == [training.id]
    assert '<option value="training" selected>' in resp.get_data(as_text=True)
    # The form's "All stages" and an empty search box send empty values: no filter.
    assert len(row_links(client.get("/participants?q=&stage=", headers=HTML))) == 2


@pytest.mark.parametrize("query", [
    "page=abc", "page=0", "page=-3", "page=99999999999999999999", "stage=nope",
    "stage=intake&stage=bogus", "q=" + "x" * 101,
])
def test_bad_query_shows_a_friendly_page(client, office_cw, query):
    _office, cw = office_cw
    log_in(client, cw)
    resp = client.get(f"/participants?{query}", headers=HTML)
    assert_html_page(resp, 422)
    body = text(resp)
    assert "We could not understand that search" in body
    assert "Must be one of" not in body  # our wording, not marshmallow's list of every value


def test_bad_query_is_html_even_without_an_accept_header(client, office_cw):
    _office, cw = office_cw
    log_in(client, cw)
    resp = client.get("/participants?page=abc")
    assert_html_page(resp, 422)
    assert not resp.is_json


def test_page_past_the_end_offers_the_last_page(client, factory, office_cw):
    _office, cw = office_cw
    factory.participant(cw)
    log_in(client, cw)
    resp = client.get("/participants?page=7", headers=HTML)
    assert_html_page(resp, 200)
    assert "Page 7 is past the end of the list." in text(resp)
    assert 'href="/participants?page=1"' in resp.get_data(as_text=True)


def test_search_never_shows_another_offices_participants(client, factory, office_cw):
    _office, cw = office_cw
    mine = factory.participant(cw, given_name="Shared", family_name="Name")
    stranger = factory.user("caseworker")
    theirs = factory.participant(stranger, given_name="Shared", family_name="Name",
                                 confirm_not_duplicate=True)
    log_in(client, cw)
    for query in ("", "?q=shared", f"?q={theirs.reference}", f"?q={theirs.phone}", "?stage=intake"):
        resp = client.get(f"/participants{query}", headers=HTML)
        assert theirs.id not in row_links(resp)
        assert theirs.reference not in results(resp)
    assert row_links(client.get("/participants?q=shared", headers=HTML)) == [mine.id]


def test_admin_sees_every_office(client, factory, office_cw):
    _office, cw = office_cw
    mine = factory.participant(cw)
    theirs = factory.participant(factory.user("caseworker"))
    log_in(client, factory.user("admin"))
    links = row_links(client.get("/participants?q=family", headers=HTML))
    assert {mine.id, theirs.id} <= set(links)


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_employer_and_partner_see_no_caseload(client, factory, office_cw, role):
    _office, cw = office_cw
    p = factory.participant(cw)
    log_in(client, factory.user(role))
    resp = client.get("/", headers=HTML)
    # Employers and partners start on their own pages (journey.employers.portal,
    # journey.referrals.partner_pages).
    start = {"employer": "/employer", "partner": "/partner"}[role]
    assert resp.status_code == 302 and resp.headers["Location"] == start
    resp = client.get(start, headers=HTML)
    assert_html_page(resp, 200)
    assert row_links(resp) == [] and p.reference not in text(resp)
    assert_html_page(client.get(f"/participants/{p.id}", headers=HTML), 403)


def test_list_views_are_audited(client, factory, office_cw, db_session):
    office, cw = office_cw
    p = factory.participant(cw)
    log_in(client, cw)
    client.get("/participants", headers=HTML)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "participants:participant:list", AuditEvent.actor_id == cw.id)).one()
    assert event.details["ids"] == [p.id] and event.office_id == office.id


# --- a participant's record --------------------------------------------------------------------

def test_record_shows_details_and_consent_per_purpose(client, factory, office_cw, db_session, app):
    _office, cw = office_cw
    p = factory.participant(cw, given_name="Anjali", family_name="Tamang", nationality="NP",
                            destination_country="PT", notes="Prefers calls after 6pm")
    with app.app_context():
        consent_services.grant(db_session, cw, p, purpose="case_management", method="signed")
        consent_services.grant(db_session, cw, p, purpose="updates", method="sms")
        consent_services.withdraw(db_session, cw, p, purpose="updates", method="sms")
    log_in(client, cw)
    resp = client.get(f"/participants/{p.id}", headers=HTML)
    assert_html_page(resp, 200)
    body = text(resp)
    assert "Anjali Tamang" in body and p.reference in body
    assert "Nepal" in body and "Portugal" in body and "Prefers calls after 6pm" in body
    status = dict(re.findall(r'<th scope="row">([^<]+)</th> <td><span class="(yes|no)">', body))
    assert status == {"Case management": "yes", "SMS and email updates": "no",
                      "Sharing with employers": "no", "Sharing with service providers": "no",
                      "Monitoring and evaluation": "no"}
    assert "History (2 records)" in body
    assert f'href="/participants/{p.id}/passport"' in body  # the skills passport, one click away
    assert "/skill-card" not in body  # a skill card only exists from return onwards
    actions = set(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == p.id, AuditEvent.actor_id == cw.id)))
    assert {"participants:participant:read", "consent:consent:read"} <= actions


def test_record_of_another_office_is_a_404_page(client, factory, office_cw):
    _office, cw = office_cw
    theirs = factory.participant(factory.user("caseworker"), given_name="Elsewhere")
    log_in(client, cw)
    resp = client.get(f"/participants/{theirs.id}", headers=HTML)
    assert_html_page(resp, 404)
    assert "Page not found" in text(resp)
    assert "Elsewhere" not in text(resp) and theirs.reference not in text(resp)
    # Exactly what a record that does not exist looks like, so ids cannot be probed.
    missing = client.get(f"/participants/{theirs.id + 100000}", headers=HTML)
    assert missing.status_code == 404
    # Byte for byte but the logout form's CSRF token, which is signed with the current second,
    # and the language switch's return address, which is the address typed (nothing learnt).
    def same(page):
        html = _TOKEN_RE.sub('name="csrf_token" value=""', page.get_data(as_text=True))
        return re.sub(r'name="next" value="[^"]*"', 'name="next" value=""', html)
    assert _TOKEN_RE.search(resp.get_data(as_text=True)) and same(missing) == same(resp)


@pytest.mark.parametrize("path", ["/participants/abc", "/participants/0", "/no-such-page"])
def test_unknown_addresses_are_html_404s(client, office_cw, path):
    _office, cw = office_cw
    log_in(client, cw)
    assert_html_page(client.get(path, headers=HTML), 404)


def test_pages_follow_the_users_language_direction(client, factory, office_cw):
    office, _cw = office_cw
    arabic = factory.user("caseworker", office=office, language="ar")
    log_in(client, arabic)
    assert '<html lang="ar" dir="rtl">' in text(client.get("/participants", headers=HTML))


@pytest.mark.parametrize(("page", "pages", "expected"), [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (1, 10, [1, 2, 3, None, 10]),
    (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
    (10, 10, [1, None, 8, 9, 10]),
    (4, 4, [1, 2, 3, 4]),
])
def test_pager_offers_first_last_and_neighbours(page, pages, expected):
    assert page_window(page, pages) == expected


def test_info_pages_linked_from_messages_are_public_and_in_the_readers_language(app, client):
    from flask_babel import force_locale
    from markupsafe import escape

    from journey.continuum.stages import Stage
    from journey.stages.checklists import definitions_for

    for path, stage in (("/welcome", Stage.ARRIVAL), ("/return", Stage.RETURN)):
        resp = client.get(f"{path}?lang=fr")
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        with app.test_request_context(), force_locale("fr"):
            title = str(stage.title)
            items = [str(d.reminder_text()) for d in definitions_for(stage, None)]
        assert str(escape(title)) in html and all(str(escape(i)) in html for i in items)
        assert title != stage.value


# --- hostile form posts (issue 10): no page answers 500 ----------------------------------------

# Percent-encoded bytes that are no UTF-8 (a lone surrogate's encoding, a stray byte), NUL, and
# direction overrides; each stands in every field of the form.
_HOSTILE_VALUES = ["%ED%A0%80", "%FF%FE", "a%00b", "%E2%80%AEevil", "%C2%B2"]


@pytest.mark.parametrize("value", _HOSTILE_VALUES)
@pytest.mark.parametrize(("path", "fields"), [
    ("/login", ("username", "password")),
    ("/verify", ("token",)),
])
def test_hostile_form_posts_never_break_a_page(client, office_cw, path, fields, value):
    token = csrf_token(client, path)
    body = "&".join([f"{name}={value}" for name in fields] + [f"csrf_token={token}"])
    resp = client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                       headers=HTML)
    assert resp.status_code < 500, (path, value, resp.status_code)
    assert_html_page(resp, resp.status_code)
