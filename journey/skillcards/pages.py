"""Pages: the returnee's own skill form link, the printable card, the public card check.

Like the staff pages, they use no scripts (the CSP forbids them), answer every error in HTML and
check CSRF on every POST. The returnee's pages are rendered in the returnee's language.
"""

from __future__ import annotations

import logging
from typing import Any

import pycountry
from flask import (
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.config import RTL_LANGUAGES, SUPPORTED_LANGUAGES
from journey.core.db import db
from journey.core.errors import InvalidInput, flatten_messages
from journey.core.i18n import _l
from journey.core.versions import Precondition, parse_version
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.passports import disclosure
from journey.passports.schemas import CEFR_LEVELS, LANGUAGE_SKILLS
from journey.programmes.models import Programme
from journey.skillcards import services
from journey.skillcards.models import CompletedVia, SkillCard, SkillForm
from journey.skillcards.schemas import MAX_ITEMS, AnswersSchema
from journey.web.display import country_name, language_name
from journey.web.pagekit import error_page, html_blueprint
from journey.web.routes import login_required

logger = logging.getLogger(__name__)

bp = html_blueprint("skillcard_pages", __name__,
                    gone=lambda: (_("This link no longer works"), _("Ask your caseworker for a new link.")))

# Every label on the card and the form; the card shows each in the participant's language and
# in English.
LABELS = {
    "card": _l("Skill card"),
    "number": _l("Card number"),
    "name": _l("Name"),
    "occupation": _l("Occupation"),
    "isco_code": _l("ISCO-08 code"),
    "sector": _l("Sector"),
    "years_home": _l("Years of experience at home"),
    "years_abroad": _l("Years of experience abroad"),
    "last_employer": _l("Last employer abroad"),
    "country": _l("Country"),
    "skills": _l("Skills"),
    "certifications": _l("Certifications"),
    "awarding_body": _l("Awarded by"),
    "languages": _l("Languages"),
    "listening": _l("Listening"),
    "reading": _l("Reading"),
    "speaking": _l("Speaking"),
    "writing": _l("Writing"),
    "preferred_location": _l("Preferred work location"),
    "preferred_sector": _l("Preferred sector"),
    "availability": _l("Available from"),
    "office": _l("Issuing office"),
    "issued": _l("Issued"),
    "status": _l("Status"),
    "valid": _l("Valid"),
    "revoked": _l("Revoked"),
    "scan": _l("Scan to check this card"),
}
# The field messages a returnee sees: marshmallow's own wording is English and technical.
_FIELD_HELP = {
    "years_experience_home": _l("Enter a number of years from 0 to 60."),
    "years_experience_abroad": _l("Enter a number of years from 0 to 60."),
    "availability_date": _l("Enter a date, for example 2027-03-01."),
    "occupation.isco_code": _l("Enter an ISCO-08 code of up to four digits, or leave it empty."),
}
_TEXT_FIELDS = ("sector", "last_overseas_employer", "preferred_location", "preferred_sector")


# --- what the card shows -------------------------------------------------------------------------

def _labels(lang: str) -> dict[str, tuple[str, str]]:
    """Each label in the participant's language and in English."""
    with force_locale(lang):
        local = {k: str(v) for k, v in LABELS.items()}
    with force_locale("en"):
        english = {k: str(v) for k, v in LABELS.items()}
    return {k: (local[k], english[k]) for k in LABELS}


def _card_context(sess, card: SkillCard, participant: Participant) -> dict[str, Any]:
    form = sess.get(SkillForm, card.form_id)
    office = sess.get(Office, participant.office_id)
    url = services.verification_url(card)
    lang = participant.language
    answers = form.answers
    # Country and language names as the participant reads them.
    with force_locale(lang):
        names = {"country": country_name(answers.get("last_overseas_country")),
                 "languages": {row["code"]: language_name(row["code"])
                               for row in answers.get("languages") or []}}
    return {"card": card, "p": participant, "a": answers, "office": office, "names": names,
            "url": url, "qr": services.qr_svg(url), "labels": _labels(lang),
            "lang": lang.replace("_", "-"), "lang_dir": "rtl" if lang in RTL_LANGUAGES else "ltr",
            "bilingual": lang.split("_")[0] != "en", "cefr_skills": LANGUAGE_SKILLS}


@bp.get("/participants/<id:participant_id>/skill-card")
@login_required
def printable_card(participant_id: int):
    """The participant's latest skill card, to print on one A4 page (staff only)."""
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "skillcards:read")
    card = services.read_latest_card(sess, g.user, p)
    if card is None:
        return error_page(404, _("No skill card yet"),
                           _("The card is issued when the skill form is completed."))
    return render_template("skillcards/card.html", **_card_context(sess, card, p))


# --- the public check ----------------------------------------------------------------------------

@bp.get("/cards/<public_id>")
def verify_card(public_id: str):
    """Whether a skill card is valid, and only what its holder agreed to show."""
    sess = db.session
    found = services.check_card(sess, public_id)
    if found is None:
        return error_page(404, _("Page not found"), _("No skill card has this address."))
    card, p = found
    disclosed = disclosure.public(sess, p.id)
    answers = sess.get(SkillForm, card.form_id).answers
    shown: dict[str, Any] = {}
    if disclosed.name:
        shown["name"] = disclosed.name
    if disclosed.shows("occupation"):
        shown["occupation"] = answers.get("occupation") or {}
        shown["sector"] = answers.get("sector")
    if disclosed.shows("experience"):
        shown["experience"] = answers
    shown["skills"] = disclosure.rows(sess, disclosed, answers.get("skills") or [],
                                      default_kind="skill", kinds=("skill", "soft_skill"))
    shown["certifications"] = disclosure.rows(sess, disclosed, answers.get("certifications") or [],
                                              default_kind="qualification",
                                              kinds=("qualification", "training"))
    if disclosed.shows("language"):
        shown["languages"] = answers.get("languages") or []
    return render_template("skillcards/verify.html", card=card,
                           office=sess.get(Office, p.office_id), shown=shown,
                           labels={k: str(v) for k, v in LABELS.items()},
                           cefr_skills=LANGUAGE_SKILLS)


# --- the returnee's own link ---------------------------------------------------------------------

def _choices(lang: str, common: set[str]) -> dict[str, Any]:
    """Countries and languages by their names in the returnee's language. `common` languages (the
    shipped ones, the programme's, the returnee's) come first; the others are offered once, in
    the row that adds a language, so that the page stays light (#13 item 8)."""
    with force_locale(lang):
        locale = get_locale()
        countries = sorted(((c.alpha_2, locale.territories.get(c.alpha_2, c.name))
                            for c in pycountry.countries), key=lambda x: x[1].casefold())
        languages = sorted(((code, name) for code, name in locale.languages.items()
                            if len(code) == 2 and pycountry.languages.get(alpha_2=code)),
                           key=lambda x: x[1].casefold())
    return {"countries": countries,
            "common_languages": [row for row in languages if row[0] in common],
            "other_languages": [row for row in languages if row[0] not in common]}


def _common_languages(p: Participant, values: dict[str, Any]) -> set[str]:
    codes = {*SUPPORTED_LANGUAGES, p.language.split("_")[0]}
    programme = db.session.get(Programme, p.programme_id) if p.programme_id else None
    if programme is not None:
        codes |= {programme.default_language, *programme.languages}
    codes |= {row["code"] for row in values.get("languages") or [] if row.get("code")}
    return codes


def _render_form(form: SkillForm, p: Participant, token: str, values: dict[str, Any],
                 errors: dict[str, str], version: int, status: int = 200):
    lang = p.language
    with force_locale(lang):
        body = render_template("skillcards/form.html", token=token, v=values, errors=errors,
                               version=version, cefr_levels=CEFR_LEVELS,
                               cefr_skills=LANGUAGE_SKILLS, labels=_labels(lang),
                               blank_rows=2, **_choices(lang, _common_languages(p, values)))
    return body, status


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _values_from_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """The stored answers as the form's fields show them."""
    occ = answers.get("occupation") or {}
    values = {"occupation.title": _text(occ.get("title")),
              "occupation.isco_code": _text(occ.get("isco_code")),
              "years_experience_home": _text(answers.get("years_experience_home")),
              "years_experience_abroad": _text(answers.get("years_experience_abroad")),
              "last_overseas_country": _text(answers.get("last_overseas_country")),
              "availability_date": _text(answers.get("availability_date")),
              "skills": [{"title": _text(r.get("title"))} for r in answers.get("skills") or []],
              "certifications": [{"title": _text(r.get("title")),
                                  "awarding_body": _text(r.get("awarding_body"))}
                                 for r in answers.get("certifications") or []],
              "languages": [{"code": _text(r.get("code")),
                             **{s: _text(r.get(s)) for s in LANGUAGE_SKILLS}}
                            for r in answers.get("languages") or []]}
    values.update({name: _text(answers.get(name)) for name in _TEXT_FIELDS})
    return values


def _rows(data, name: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The numbered rows a form posted (skills.0.title ...), in order, at most MAX_ITEMS + a few."""
    rows = []
    for i in range(MAX_ITEMS + 5):
        if not any(f"{name}.{i}.{f}" in data for f in fields):
            continue
        rows.append({f: data.get(f"{name}.{i}.{f}", "")[:1000] for f in fields})
    return rows


def _values_from_post(data) -> dict[str, Any]:
    """What the returnee typed, as the form shows it again."""
    names = ("occupation.title", "occupation.isco_code", "years_experience_home",
             "years_experience_abroad", "last_overseas_country", "availability_date", *_TEXT_FIELDS)
    values: dict[str, Any] = {n: data.get(n, "")[:1000] for n in names}
    values["skills"] = _rows(data, "skills", ("title",))
    values["certifications"] = _rows(data, "certifications", ("title", "awarding_body"))
    values["languages"] = _rows(data, "languages", ("code", *LANGUAGE_SKILLS))
    return values


def _answers_from_values(values: dict[str, Any], current: dict[str, Any]
                         ) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The form's fields as raw answers for AnswersSchema, and for each list the form row each
    answer row came from. A row whose title (or language) is cleared is removed; a row left as
    the passport had it keeps its link to the entry."""
    def blank(v: str) -> str | None:
        return v.strip() or None

    raw: dict[str, Any] = {
        "occupation": {"title": blank(values["occupation.title"]),
                       "isco_code": blank(values["occupation.isco_code"])},
        **{n: blank(values[n]) for n in (*_TEXT_FIELDS, "years_experience_home",
                                         "years_experience_abroad", "last_overseas_country",
                                         "availability_date")},
    }
    old_occ = current.get("occupation") or {}
    if (raw["occupation"]["title"], raw["occupation"]["isco_code"]) == (
            old_occ.get("title"), old_occ.get("isco_code")):
        raw["occupation"]["esco_uri"] = old_occ.get("esco_uri")
    origin: dict[str, list[int]] = {}
    for name, key, carried in (("skills", "title", ("esco_uri",)),
                               ("certifications", "title", ()), ("languages", "code", ())):
        before = current.get(name) or []
        rows, origin[name] = [], []
        for i, row in enumerate(values[name]):
            if not row[key].strip():
                continue
            out = {k: blank(v) for k, v in row.items()}
            if name != "languages" and i < len(before) and before[i].get("title") == out["title"]:
                out["entry_id"] = before[i].get("entry_id")
                out.update({k: before[i].get(k) for k in carried})
            rows.append(out)
            origin[name].append(i)
        raw[name] = rows
    return raw, origin


def _field_errors(items: list[dict[str, str]], origin: dict[str, list[int]]) -> dict[str, str]:
    """Field messages keyed by the form's input names (rows numbered as the form numbers them)."""
    errors: dict[str, str] = {}
    for item in items:
        parts = item["field"].removeprefix("answers.").split(".")
        if len(parts) > 1 and parts[0] in origin and parts[1].isdigit():
            rows = origin[parts[0]]
            if int(parts[1]) < len(rows):
                parts[1] = str(rows[int(parts[1])])
        field = ".".join(parts)
        errors.setdefault(field, str(_FIELD_HELP.get(field) or _("Check this answer.")))
    return errors


def _has_nul(values: dict[str, Any]) -> list[str]:
    bad = [k for k, v in values.items() if isinstance(v, str) and "\x00" in v]
    for name in ("skills", "certifications", "languages"):
        bad += [f"{name}.{i}" for i, row in enumerate(values[name])
                if any("\x00" in v for v in row.values())]
    return bad


@bp.get("/skill-form/<token>")
def self_form(token: str):
    """The returnee's own, pre-filled form (no login: the link is the key)."""
    sess = db.session
    form, p = services.view_link(sess, token)
    return _render_form(form, p, token, _values_from_answers(form.answers), {}, form.version)


@bp.post("/skill-form/<token>")
def self_form_post(token: str):
    """Save corrections, or confirm and receive the card. Bad input: the form again, as typed."""
    sess = db.session
    form, p = services.resolve_link(sess, token)
    values = _values_from_post(request.form)
    version = parse_version(request.form.get("version", ""))
    if version != form.version:
        with force_locale(p.language):
            notice = _("Your caseworker changed this form meanwhile. Check it and send it again.")
        return _render_form(form, p, token, values, {"_form": notice}, form.version, 409)
    bad = _has_nul(values)
    if bad:
        with force_locale(p.language):
            errors = {k: _("Check this answer.") for k in bad}
        return _render_form(form, p, token, values, errors, form.version, 422)
    raw, origin = _answers_from_values(values, form.answers)
    try:
        answers = AnswersSchema().load(raw)
        if request.form.get("action") == "complete":
            card = services.complete_form(sess, None, p, form, answers=answers,
                                          expected=Precondition(body=version),
                                          via=CompletedVia.SELF_LINK.value)
        else:
            services.update_answers(sess, None, p, form, answers,
                                    expected=Precondition(body=version),
                                    via=CompletedVia.SELF_LINK.value)
            card = None
    except (ValidationError, InvalidInput) as err:
        items = (flatten_messages(err.messages) if isinstance(err, ValidationError)
                 else err.errors)
        with force_locale(p.language):
            errors = _field_errors(items, origin)
        # Nothing was written (the checks run before any change) and a 422 is not committed.
        return _render_form(form, p, token, values, errors, form.version, 422)
    if card is None:
        with force_locale(p.language):
            flash(_("Your answers are saved."))
        return redirect(url_for("skillcard_pages.self_form", token=token), 303)
    with force_locale(p.language):
        return render_template("skillcards/card.html", done=True, **_card_context(sess, card, p))
