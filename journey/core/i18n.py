"""Languages: flask-babel set-up and the list of languages the product ships."""

from __future__ import annotations

import functools

from babel import Locale
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, gettext, lazy_gettext

from journey.config import SUPPORTED_LANGUAGES

_ = gettext  # at run time, in a request: errors raised while serving it
_l = lazy_gettext  # at import time: translated when shown
babel = Babel()


def normalise_language(tag: str | None) -> str | None:
    """Map a BCP 47 tag onto a supported language ("pt-PT" → "pt"), or None."""
    if not tag or len(tag) > 35:
        return None
    tag = tag.strip().replace("_", "-")
    lowered = tag.lower()
    if lowered in SUPPORTED_LANGUAGES:
        return lowered
    base = lowered.split("-", 1)[0]
    if base == "tl":  # Tagalog's code is what many phones send for Filipino
        base = "fil"
    return base if base in SUPPORTED_LANGUAGES else None


# The language a visitor who is not logged in chose with the header's switch (login page, public
# pages). A cookie, not the session: it outlives logging in and out, and public pages need none.
LANGUAGE_COOKIE = "journey_lang"
LANGUAGE_COOKIE_DAYS = 365


# Where CLDR's own name is not what speakers call the language in a menu.
_AUTONYMS = {"id": "Bahasa Indonesia"}


@functools.cache
def autonym(code: str) -> str:
    """A language's name in its own script ("ar" → "العربية"), as a switch should offer it."""
    name = _AUTONYMS.get(code) or Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]  # "français" → "Français"; scripts without case unchanged


def code_title(titles: dict, code: str | None) -> str:
    """The title of a stored code in the reader's language ("" for none). An unknown code is
    shown as stored rather than hidden: a page must not lie about data."""
    if code is None:
        return ""
    return str(titles.get(code, code))


def language_choices() -> list[tuple[str, str]]:
    """[(code, autonym)] of every shipped language, in the configured order."""
    return [(code, autonym(code)) for code in SUPPORTED_LANGUAGES]


def select_locale() -> str | None:
    """The language of this request: an explicit choice first (a link's ?lang=, which messages
    carry; a logged-in user's setting, which the header's switch writes; a visitor's switch
    cookie), then the browser's Accept-Language, then the default (en)."""
    if not has_request_context():
        return None
    asked = normalise_language(request.args.get("lang"))
    if asked:
        return asked
    user = g.get("user")
    if user is not None and user.language in SUPPORTED_LANGUAGES:
        return user.language
    chosen = normalise_language(request.cookies.get(LANGUAGE_COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LANGUAGES)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
