"""Every staff page in every shipped language: no page shows a text its language's catalog
does not translate.

The crawl logs in as each role (and visits as a stranger), GETs every page route of the app
(from app.url_map, ids filled from the test's own records) and records every message rendered
through gettext/ngettext/lazy_gettext, in code or in templates, that the catalog of the page's
language has no translation for. One app, one database, one transaction per language.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable

import flask_babel
import pytest
from babel.support import Translations
from flask import has_request_context, url_for

from journey.config import SUPPORTED_LANGUAGES
from journey.core.i18n import LANGUAGE_COOKIE
from journey.grievances import services as grievances
from tests.web.test_pages import HTML, log_in

SHIPPED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]  # en is the msgids' language
ROLES = ("admin", "supervisor", "caseworker", "employer", "partner")
# Routes that are not pages: machine-readable documents, a health check, a redirect.
NOT_PAGES = {"health.healthz", "credential_pages.did_document", "credential_pages.jwks",
             "security.switch_language"}


class Recorder:
    """Wraps flask-babel's translations: each message looked up is checked against the catalog
    of the language in use, and one with no translation is noted with the page that showed it."""

    def __init__(self) -> None:
        self.missing: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.page = "?"
        self.extra: dict[str, dict[str, str]] = {}  # a fixture catalog's additions, per language

    def wrap(self, translations: Translations) -> _Recording:
        return _Recording(self, translations)

    def note(self, catalog: dict, key, msgid: str) -> None:
        lang = str(flask_babel.get_locale() or "en").split("_")[0]
        if lang == "en":
            return
        self.seen[lang].add(msgid)
        if not catalog.get(key) and msgid not in self.extra.get(lang, {}):
            self.missing[lang][msgid].add(self.page)


class _Recording:
    def __init__(self, recorder: Recorder, inner: Translations) -> None:
        self._recorder, self._inner = recorder, inner
        self._catalog = getattr(inner, "_catalog", {})

    def _extra(self, msgid: str) -> str | None:
        lang = str(flask_babel.get_locale() or "en").split("_")[0]
        return self._recorder.extra.get(lang, {}).get(msgid)

    def ugettext(self, message: str) -> str:
        self._recorder.note(self._catalog, message, message)
        return self._extra(message) or self._inner.ugettext(message)

    def ungettext(self, singular: str, plural: str, num: int) -> str:
        self._recorder.note(self._catalog, (singular, 0), singular)
        extra = self._extra(singular)
        return extra if extra is not None else self._inner.ungettext(singular, plural, num)

    def upgettext(self, context: str, message: str) -> str:
        self._recorder.note(self._catalog, f"{context}\x04{message}", message)
        return self._inner.upgettext(context, message)

    def unpgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        self._recorder.note(self._catalog, (f"{context}\x04{singular}", 0), singular)
        return self._inner.unpgettext(context, singular, plural, num)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    rec = Recorder()
    original = flask_babel.Domain.get_translations

    def recording(self):
        translations = original(self)
        # Outside a request (a job, a CLI command) nothing is shown on a page.
        return rec.wrap(translations) if has_request_context() else translations

    monkeypatch.setattr(flask_babel.Domain, "get_translations", recording)
    return rec


@pytest.fixture
def world(factory):
    """One of every record a page's address names, and a user of each role."""
    office = factory.office()
    users = {role: factory.user(role, office=office) for role in ROLES}
    programme = factory.programme()
    participant = factory.participant(users["caseworker"], office_id=office.id,
                                      programme_id=programme.id)
    with factory.app.test_request_context():
        grievance, _code = grievances.intake(
            factory.session, users["caseworker"], {"category": "wages", "description": "Unpaid",
                                                   "assignee_id": users["caseworker"].id},
            channel="staff", participant=participant)
    ids = {"participant_id": participant.id, "user_id": users["caseworker"].id,
           "office_id": office.id, "programme_id": programme.id, "grievance_id": grievance.id,
           "event": "resolve"}  # a grievance step with every field (continuum: no such step)
    return users, ids


def page_urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET page of the app, its ids filled in; other addresses (tokens, uuids) get values
    that match nothing, so those pages show their 404/410 page, which is translated too."""
    urls = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/"))
                or rule.endpoint in NOT_PAGES or rule.endpoint.startswith("docs_assets")):
            continue
        choices: dict[str, list] = {}
        for name in rule.arguments:
            conv = rule._converters[name]
            converter = type(conv).__name__.lower()
            if name in ids:
                choices[name] = [ids[name]]
            elif converter.startswith("any"):
                choices[name] = sorted(conv.items)  # one address per alternative
            elif converter.startswith("uuid"):
                choices[name] = [uuid.UUID(int=1)]
            elif name.endswith("_id") or converter.startswith(("id", "integer")):
                choices[name] = [1]
            else:
                choices[name] = ["not-a-real-token"]
        for combo in itertools.product(*choices.values()):
            with app.test_request_context():
                urls.append(url_for(rule.endpoint, **dict(zip(choices, combo, strict=True))))
    return sorted(set(urls))


def crawl(app, client_factory: Callable, recorder: Recorder, db_session, users, ids,
          lang: str) -> int:
    """GET every page in `lang` as each role and as a stranger; the number of pages fetched."""
    urls = page_urls(app, ids)
    fetched = pages = 0
    elsewhere: list[str] = []
    visitors = [(role, users[role]) for role in ROLES] + [("stranger", None)]
    for role, user in visitors:
        client = client_factory()
        # As the header's switch leaves a browser: the cookie (public pages, which load no
        # user), and for a logged-in user their setting too.
        client.set_cookie(LANGUAGE_COOKIE, lang)
        if user is not None:
            user.language = "en"  # log in in English: the login page is crawled as a stranger
            db_session.flush()
            assert log_in(client, user).status_code == 303
            user.language = lang
            db_session.flush()
        for url in urls:
            recorder.page = f"{url} ({role})"
            resp = client.get(url, headers=HTML)
            assert resp.status_code < 500, (lang, role, url, resp.status_code)
            fetched += 1
            if resp.mimetype != "text/html" or resp.status_code in (301, 302, 303):
                continue
            pages += 1
            # A page in another language would escape the check: every page must be in `lang`.
            if f'<html lang="{lang}"'.encode() not in resp.get_data():
                elsewhere.append(f"{url} ({role})")
    recorder.page = "?"
    assert not elsewhere, f"pages not in {lang}: {elsewhere}"
    return fetched


def report(recorder: Recorder, lang: str) -> str:
    lines = [f"{len(recorder.missing[lang])} untranslated message(s) on staff pages in "
             f"{lang!r} (locales/{lang}/LC_MESSAGES/messages.po):"]
    for msgid, pages in sorted(recorder.missing[lang].items()):
        shown = sorted(pages)
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        lines.append(f"  {msgid!r} on {', '.join(shown[:3])}{more}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_page_is_translated(app, client, recorder, world, db_session, lang):
    users, ids = world
    fetched = crawl(app, app.test_client, recorder, db_session, users, ids, lang)
    assert fetched >= 25 * (len(ROLES) + 1)
    assert len(recorder.seen[lang]) >= 100  # the hook sees what the pages show
    if recorder.missing[lang]:
        pytest.fail(report(recorder, lang), pytrace=False)


def test_a_complete_catalog_passes_and_a_gap_is_named_with_its_pages(
        app, recorder, world, db_session):
    """The crawl above fails for the right reason: with the French catalog completed by a
    fixture catalog it finds nothing, and a message taken out again is named, with its pages."""
    users, ids = world
    crawl(app, app.test_client, recorder, db_session, users, ids, "fr")
    seen = set(recorder.seen["fr"])
    gaps = set(recorder.missing["fr"])
    assert "Your account" in seen

    # A fixture catalog: the real one plus a translation of every message it lacks.
    recorder.missing.clear()
    recorder.extra = {"fr": {msgid: f"[fr] {msgid}" for msgid in gaps}}
    crawl(app, app.test_client, recorder, db_session, users, ids, "fr")
    assert not recorder.missing["fr"], report(recorder, "fr")

    # The same catalog without one message the account page shows: that message, that page.
    taken = "Your account"
    recorder.missing.clear()
    recorder.extra = {"fr": {msgid: f"[fr] {msgid}" for msgid in gaps | seen - {taken}}}
    original = _Recording.ugettext

    def without(self, message):  # as if the real catalog had no translation of it either
        if message == taken and str(flask_babel.get_locale()) == "fr":
            self._recorder.note({}, message, message)
            return message
        return original(self, message)

    _Recording.ugettext = without
    try:
        crawl(app, app.test_client, recorder, db_session, users, ids, "fr")
    finally:
        _Recording.ugettext = original
    assert set(recorder.missing["fr"]) == {taken}
    text = report(recorder, "fr")
    assert text.count("'Your account' on ") == 1 and "/account (admin)" in text
    assert "/account (caseworker)" in recorder.missing["fr"][taken]


def test_the_fixture_catalog_is_what_the_pages_show(app, recorder, world, db_session):
    users, _ids = world
    recorder.extra = {"fr": {"Your account": "[fr] Votre compte"}}
    client = app.test_client()
    users["caseworker"].language = "fr"
    db_session.flush()
    log_in(client, users["caseworker"])
    html = client.get("/account", headers=HTML).get_data(as_text=True)
    assert "[fr] Votre compte" in html
