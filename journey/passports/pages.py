"""Passport pages: what an employer sees through a share link (public, bilingual), and the staff
view of a passport with each entry's history.

Every page answers in HTML, errors included, with the same security headers as the staff pages;
the shared page also sends no Referer, because its address carries the token.
"""

from __future__ import annotations

from flask import g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from journey.config import RTL_LANGUAGES
from journey.core.db import db
from journey.core.i18n import _l
from journey.core.policy import allowed
from journey.participants.services import load_participant
from journey.passports import disclosure, services, sharing
from journey.passports.models import VERIFICATION_TITLES, EntryKind
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

# The shared page's address is its secret: it must not leak to sites it links to.
bp = html_blueprint("passport_pages", __name__, headers={"Referrer-Policy": "no-referrer"},
                    gone=lambda: (_("This link is no longer valid"), None))

FORMALITY_TITLES = {"formal": _l("Formal"), "non_formal": _l("Non-formal"),
                    "informal": _l("Informal")}
LANGUAGE_SKILL_TITLES = {"listening": _l("Listening"), "reading": _l("Reading"),
                         "speaking": _l("Speaking"), "writing": _l("Writing")}
def _groups(entries) -> list[tuple[str, list[dict]]]:
    """Entries as dicts (titles in the current locale), grouped by kind in EntryKind order."""
    by_kind: dict[str, list[dict]] = {}
    for entry in entries:
        row = entry if isinstance(entry, dict) else services.entry_to_dict(entry)
        by_kind.setdefault(row["kind"], []).append(row)
    return [(k.value, by_kind[k.value]) for k in EntryKind if k.value in by_kind]


def _labels() -> dict:
    return {"kinds": services.KIND_TITLES, "formality": FORMALITY_TITLES,
            "language_skills": LANGUAGE_SKILL_TITLES, "verification": VERIFICATION_TITLES}


@bp.get("/shared/<token>")
def shared(token: str):
    """A passport shared with an employer: no login; in the participant's language and English."""
    sess = db.session
    link, p = sharing.open_share_link(sess, token)
    entries = disclosure.entries(sess, p.id, disclosure.through_link(sess, link, p))
    sections = []
    for lang in dict.fromkeys([p.language, "en"]):
        with force_locale(lang):
            body = render_template("passports/_shared_section.html", p=p, link=link,
                                   groups=_groups(entries), labels=_labels())
        sections.append({"lang": lang, "dir": "rtl" if lang in RTL_LANGUAGES else "ltr",
                         "html": Markup(body)})  # noqa: S704  (rendered by autoescaping Jinja)
    return render_template("passports/shared.html", p=p, sections=sections)


@bp.get("/participants/<id:participant_id>/passport")
@login_required
def staff_passport(participant_id: int):
    """A participant's passport for staff: entries, verification levels, links to history."""
    sess = db.session
    user = g.user
    p = load_participant(sess, user, participant_id, "passports:read")
    view = services.read_passport(sess, user, p, via="page")
    can = {"write": allowed(user, "passports:write"), "shares": allowed(user, "shares:read"),
           "credentials": allowed(user, "credentials:read"),
           "skillcards": allowed(user, "skillcards:read")}
    return render_template("passports/staff.html", p=p, groups=_groups(view["entries"]),
                           labels=_labels(), can=can)


@bp.get("/participants/<id:participant_id>/passport/entries/<id:entry_id>/history")
@login_required
def staff_entry_history(participant_id: int, entry_id: int):
    """Every version of one entry, oldest first."""
    sess = db.session
    user = g.user
    p = load_participant(sess, user, participant_id, "passports:read")
    entry = services.load_entry(sess, p, entry_id)
    revisions = services.history(sess, user, p, entry)
    return render_template("passports/history.html", p=p, entry=services.entry_to_dict(entry),
                           revisions=revisions, labels=_labels())
