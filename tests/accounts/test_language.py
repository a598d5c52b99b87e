"""A user's language: the header's switch, the account page, and which language a page is in
(an explicit choice, then the user's setting, then Accept-Language, then English)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from journey.config import SUPPORTED_LANGUAGES
from journey.core.audit import AuditEvent
from journey.core.i18n import LANGUAGE_COOKIE, autonym, language_choices
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _lang(resp) -> str:
    match = re.search(r'<html lang="([^"]+)" dir="(\w+)"', resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:300]
    return f"{match.group(1)}/{match.group(2)}"


def _events(db_session, user_id):
    return db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "accounts:user:language", AuditEvent.object_id == user_id)).all()


def test_every_shipped_language_is_offered_by_its_own_name():
    choices = dict(language_choices())
    assert list(choices) == list(SUPPORTED_LANGUAGES)
    assert choices["en"] == "English" and choices["fr"] == "Français"
    assert choices["ar"] == "العربية" and choices["ne"] == "नेपाली"
    assert choices["am"] == "አማርኛ" and choices["th"] == "ไทย"
    assert autonym("id") == "Bahasa Indonesia"


def test_the_login_page_has_the_switch_without_a_session(client):
    resp = client.get("/login", headers=HTML)
    html = resp.get_data(as_text=True)
    form = html[html.index('class="language-switch"') - 200:]
    assert 'method="get" action="/language"' in form
    assert '<option value="ar" lang="ar">العربية</option>' in html
    assert '<option value="en" lang="en" selected>English</option>' in html


def test_a_visitors_choice_is_a_cookie_honoured_on_the_next_page(client):
    resp = client.get("/language?language=ar&next=/login%3Fnext%3D/participants%26lang%3Dfr")
    assert resp.status_code == 303
    # Back where the switch was used, without the ?lang= that would outvote the choice.
    assert resp.headers["Location"] == "/login?next=%2Fparticipants"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=ar;") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert _lang(client.get("/login", headers=HTML)) == "ar/rtl"
    # A link's ?lang= (messages carry it) is an explicit choice too, for that page.
    assert _lang(client.get("/login?lang=fr", headers=HTML)) == "fr/ltr"


def test_the_switch_refuses_an_unknown_language_and_another_site(client):
    resp = client.get("/language?language=xx&next=//evil.example/")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert "Set-Cookie" not in resp.headers or LANGUAGE_COOKIE not in resp.headers["Set-Cookie"]


def test_accept_language_then_english(client):
    assert _lang(client.get("/login", headers={**HTML, "Accept-Language": "es-MX,es;q=0.9"})) \
        == "es/ltr"
    assert _lang(client.get("/login", headers={**HTML, "Accept-Language": "de, ja"})) == "en/ltr"
    assert _lang(client.get("/login", headers=HTML)) == "en/ltr"


def test_a_users_setting_beats_accept_language_and_the_visitor_cookie(client, factory):
    user = factory.user("caseworker", language="ne")
    client.set_cookie(LANGUAGE_COOKIE, "fr")
    log_in(client, user)
    resp = client.get("/account", headers={**HTML, "Accept-Language": "es"})
    assert _lang(resp) == "ne/ltr"


def test_a_logged_in_users_switch_saves_the_setting_audited(client, factory, db_session):
    user = factory.user("caseworker", language="en")
    log_in(client, user)
    page = client.get("/account", headers=HTML).get_data(as_text=True)
    form = page[page.index('class="language-switch"') - 200:]
    assert 'method="post" action="/language"' in form
    token = csrf_token(client, "/account")
    resp = client.post("/language", data={"language": "ar", "next": "/account",
                                          "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"] == "/account"
    db_session.refresh(user)
    assert user.language == "ar"
    (event,) = _events(db_session, user.id)
    assert event.actor_id == user.id and event.details["language"] == "ar"
    assert event.details["previous"] == "en"
    resp = client.get("/account", headers=HTML)
    assert _lang(resp) == "ar/rtl"
    assert '<option value="ar" lang="ar" selected>' in resp.get_data(as_text=True)


def test_the_switch_post_needs_csrf(client, factory, db_session):
    user = factory.user("caseworker", language="en")
    log_in(client, user)
    resp = client.post("/language", data={"language": "fr", "next": "/account"}, headers=HTML)
    assert resp.status_code == 400
    db_session.refresh(user)
    assert user.language == "en"


def test_the_account_page_edits_the_language(client, factory, db_session):
    user = factory.user("supervisor", language="en")
    log_in(client, user)
    page = text(client.get("/account", headers=HTML))
    assert 'action="/account/language"' in page and "Bahasa Indonesia" in page
    token = csrf_token(client, "/account")
    resp = client.post("/account/language", data={"language": "fr", "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"] == "/account"
    db_session.refresh(user)
    assert user.language == "fr"
    assert len(_events(db_session, user.id)) == 1
    page = text(client.get("/account", headers=HTML))
    assert _lang(client.get("/account", headers=HTML)) == "fr/ltr"
    # The same choice again changes nothing and records nothing.
    client.post("/account/language", data={"language": "fr", "csrf_token": token})
    assert len(_events(db_session, user.id)) == 1


@pytest.mark.parametrize("bad", ["xx", "", "en_US.UTF-8"])
def test_the_account_page_shows_a_refused_language_beside_the_field(client, factory, db_session,
                                                                    bad):
    user = factory.user("caseworker", language="en")
    log_in(client, user)
    token = csrf_token(client, "/account")
    resp = client.post("/account/language", data={"language": bad, "csrf_token": token},
                       headers=HTML)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="err-language"' in html and 'aria-invalid="true"' in html
    db_session.refresh(user)
    assert user.language == "en"
