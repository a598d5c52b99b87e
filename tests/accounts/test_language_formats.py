"""Dates and numbers on pages follow the reader's language (flask-babel's filters), never a
hard-coded format."""

from __future__ import annotations

import re
from pathlib import Path

from babel.dates import format_date

from tests.web.test_pages import HTML, log_in, text

TEMPLATES = Path(__file__).resolve().parents[2] / "journey" / "templates"
# Documents for a verifier or an employer in two languages at once: an ISO date (YYYY-MM-DD,
# kept left-to-right) reads the same in both, so it is deliberate there.
LANGUAGE_NEUTRAL = {"credentials/verify.html", "skillcards/verify.html", "skillcards/card.html"}


def test_no_template_formats_a_date_by_hand():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            shown = re.sub(r'datetime="[^"]*"', "", line)  # a <time>'s machine-readable value
            if ".strftime(" in shown or (".isoformat()" in shown
                                         and name not in LANGUAGE_NEUTRAL):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "use |dateformat / |datetimeformat:\n" + "\n".join(offenders)


def test_dates_follow_the_readers_language(client, factory, db_session):
    admin = factory.user("admin", language="fr")
    target = factory.user("caseworker")
    log_in(client, admin)
    page = text(client.get(f"/admin/users/{target.id}", headers=HTML))
    french = format_date(target.created_at, "medium", locale="fr")
    assert french in page and target.created_at.strftime("%Y-%m-%d") not in page

    admin.language = "ar"
    db_session.flush()
    page = text(client.get(f"/admin/users/{target.id}", headers=HTML))
    assert format_date(target.created_at, "medium", locale="ar") in page
    assert french not in page


def test_the_stylesheet_has_no_physical_left_or_right():
    """Arabic pages are right-to-left (dir="rtl"): margins, paddings, borders, positions and
    alignment use logical properties (inline-start/end), which follow the direction."""
    css = "".join((TEMPLATES.parent / "static" / name).read_text(encoding="utf-8")
                  for name in ("journey.css", "staff.css"))
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    physical = re.findall(
        r"[^;{}]*(?:(?:margin|padding|border|inset)-(?:left|right)|(?<![\w-])(?:left|right)\s*:"
        r"|(?:text-align|float|clear)\s*:\s*(?:left|right))[^;{}]*", css)
    assert not physical, physical
