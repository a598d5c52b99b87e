"""Languages: flask-babel set-up and the list of languages the product ships."""

from __future__ import annotations

from flask import Flask, g, request
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


def _select_locale() -> str | None:
    user = g.get("user")
    if user is not None and user.language in SUPPORTED_LANGUAGES:
        return user.language
    # Links in messages carry the recipient's language (?lang=ne).
    asked = normalise_language(request.args.get("lang")) if request else None
    if asked:
        return asked
    return request.accept_languages.best_match(SUPPORTED_LANGUAGES) if request else None


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=_select_locale)
