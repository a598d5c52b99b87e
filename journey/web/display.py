"""How stored codes read on the staff pages: translatable titles, names of countries and languages."""

from __future__ import annotations

import functools
from datetime import date

from flask_babel import get_locale

from journey.core.i18n import _l, code_title
from journey.stages import Stage

# Titles for codes whose enums carry none yet; keyed by the stored value.
SEX_TITLES = {
    "female": _l("Female"),
    "male": _l("Male"),
    "another": _l("Another"),
    "prefer_not_to_say": _l("Prefer not to say"),
}
DISABILITY_TITLES = {
    "no": _l("No"),
    "yes": _l("Yes"),
    "prefer_not_to_say": _l("Prefer not to say"),
    "unknown": _l("Not asked yet"),
}
PURPOSE_TITLES = {
    "case_management": _l("Case management"),
    "updates": _l("SMS and email updates"),
    "share_employers": _l("Sharing with employers"),
    "share_providers": _l("Sharing with service providers"),
    "monitoring": _l("Monitoring and evaluation"),
}
METHOD_TITLES = {
    "verbal": _l("Verbally"),
    "signed": _l("Signed form"),
    "sms": _l("By SMS"),
    "email": _l("By email"),
    "web": _l("Online"),
}
CHANNEL_TITLES = {"sms": _l("SMS"), "email": _l("Email")}
ROLE_TITLES = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "caseworker": _l("Caseworker"),
    "employer": _l("Employer"),
    "partner": _l("Partner"),
}


def stage_title(code: str) -> str:
    try:
        return Stage(code).title
    except ValueError:
        return code


sex_title = functools.partial(code_title, SEX_TITLES)
disability_title = functools.partial(code_title, DISABILITY_TITLES)
purpose_title = functools.partial(code_title, PURPOSE_TITLES)
method_title = functools.partial(code_title, METHOD_TITLES)
channel_title = functools.partial(code_title, CHANNEL_TITLES)
role_title = functools.partial(code_title, ROLE_TITLES)


def country_name(code: str | None) -> str:
    """The country's name in the reader's language ("NP" → "Nepal")."""
    if not code:
        return ""
    return get_locale().territories.get(code.upper(), code)


def language_name(code: str | None) -> str:
    """The language's name in the reader's language ("ne" → "Nepali")."""
    if not code:
        return ""
    return get_locale().languages.get(code, code)


def age(born: date, today: date | None = None) -> int:
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def page_window(page: int, pages: int, radius: int = 2) -> list[int | None]:
    """Page numbers to offer: the first, the last and a few around the current; None marks a gap."""
    wanted = {1, pages, *range(page - radius, page + radius + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] == 2:
            out.append(n - 1)  # a gap of one page: the number takes no more room than "…"
        elif out and n - out[-1] > 2:
            out.append(None)
        out.append(n)
    return out


FILTERS = {
    "stage_title": stage_title,
    "sex_title": sex_title,
    "disability_title": disability_title,
    "purpose_title": purpose_title,
    "method_title": method_title,
    "channel_title": channel_title,
    "role_title": role_title,
    "country_name": country_name,
    "language_name": language_name,
    "age": age,
}
