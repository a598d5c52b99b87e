"""The employer's vacancies: the list by status, a vacancy, and the forms to draft one and to edit
a draft. Drafts wait for the centre's staff to publish them (journey.employers.vacancies, H2's
services, which the API calls too: the page refuses what the API refuses, beside the field).

Languages are rows of an ISO 639 code and a CEFR level; skills are ESCO URIs, one a line, or
ticked from the skills the employer named before.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import Conflict
from journey.core.versions import Precondition
from journey.employers import vacancies as services
from journey.employers.models import VACANCY_STATUS_TITLES, Vacancy, VacancyStatus
from journey.employers.portal_kit import bp, choice_arg, employer_user, query_args
from journey.employers.portal_queries import (
    candidate_counts,
    occupation_choices,
    occupation_label,
    programme_choices,
    skills_used,
)
from journey.employers.schemas import VacancySchema, VacancyUpdateSchema
from journey.passports.schemas import CEFR_LEVELS
from journey.programmes.models import Programme
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.routes import login_required

FIELDS = ("programme_id", "title", "occupation_uri", "isco_code", "place", "positions",
          "start_date", "wage_amount", "wage_currency", "wage_period", "conditions")
LINES = ("required_skills", "optional_skills", "certificates")  # textareas, one item a line
NULLABLE = ("occupation_uri", "isco_code", "start_date", "wage_amount", "wage_currency",
            "wage_period", "conditions")
MAX_LANGUAGE_ROWS = 10
EMPTY_LANGUAGE_ROWS = 2  # blank rows offered below the ones filled in


def _wage_periods() -> list[tuple[str, str]]:
    return [("hour", _("per hour")), ("month", _("per month")), ("year", _("per year"))]


def _lines(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line and line not in out:
            out.append(line)
    return out


def _values(vacancy: Vacancy) -> dict[str, Any]:
    """A vacancy as the form's values."""
    v: dict[str, Any] = {name: getattr(vacancy, name) for name in FIELDS}
    v = {k: "" if val is None else str(val) for k, val in v.items()}
    if vacancy.start_date:
        v["start_date"] = vacancy.start_date.isoformat()
    for name in LINES:
        v[name] = "\n".join(getattr(vacancy, name) or [])
    v["languages"] = [{"language": r.get("language", ""), "level": r.get("level", "")}
                      for r in vacancy.languages or []]
    v["version"] = vacancy.version
    return v


def _posted() -> tuple[dict[str, Any], dict[str, Any], dict[int, int]]:
    """What was typed (to show again), the schema's input, and which form row each language of
    the input came from (to put its errors beside that row)."""
    v = form_values((*FIELDS, *LINES, "version"))
    picked = {name: [u.strip() for u in request.form.getlist(f"{name}_pick") if u.strip()][:100]
              for name in ("required_skills", "optional_skills")}
    try:
        rows = min(int(request.form.get("language_rows", "0")), MAX_LANGUAGE_ROWS)
    except ValueError:
        rows = 0
    languages, origin = [], {}
    v["languages"] = []
    for r in range(rows):
        row = {"language": request.form.get(f"lang_{r}", "").strip()[:20],
               "level": request.form.get(f"level_{r}", "").strip()[:5]}
        v["languages"].append(row)
        if row["language"] or row["level"]:
            origin[len(languages)] = r
            languages.append({k: val for k, val in row.items() if val})
    raw = form_input({k: v[k] for k in FIELDS}, ints=("programme_id", "positions"),
                     nullable=NULLABLE)
    for name in ("title", "place"):  # emptied on an edit: refused, not silently kept
        raw.setdefault(name, v[name])
    for name in LINES:
        items = _lines(v[name])
        for uri in picked.get(name, []):
            if uri not in items:
                items.append(uri)
        raw[name] = items
        v[name] = "\n".join(items)
    raw["languages"] = languages
    if raw.get("occupation_uri"):
        raw["isco_code"] = None  # the occupation fixes its ISCO group (the service fills it in)
    return v, raw, origin


def _row_errors(errors: dict[str, str], origin: dict[int, int]) -> dict[str, str]:
    """Errors of "languages.<i>.<field>" moved to the form row the i-th language came from."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "languages" and parts[1].isdigit():
            row = origin.get(int(parts[1]), int(parts[1]))
            out[f"languages.{row}.{parts[2]}"] = message
        else:
            out[key] = message
    return out


def _form(vacancy: Vacancy | None, v: dict[str, Any], errors: dict[str, str], status: int = 200):
    sess, user = db.session, employer_user()
    filled = list(v.get("languages") or [])
    while filled and not (filled[-1].get("language") or filled[-1].get("level")):
        filled.pop()  # trailing blank rows; those between keep their place (and their errors)
    blank = {"language": "", "level": ""}
    filled = (filled + [dict(blank) for _i in range(EMPTY_LANGUAGE_ROWS)])[:MAX_LANGUAGE_ROWS]
    return render_template(
        "employers/portal/vacancy_form.html", vacancy=vacancy, v=v, errors=errors,
        languages=filled, programmes=programme_choices(sess, user),
        occupations=occupation_choices(sess, user), used_skills=skills_used(sess, user),
        cefr=[(level, level) for level in CEFR_LEVELS], periods=_wage_periods()), status


@bp.get("/employer/vacancies")
@login_required
def vacancies():
    """The employer's vacancies, grouped by status (or of one status)."""
    user = employer_user()
    args = query_args(("status",))
    status = choice_arg(args, "status", [s.value for s in VacancyStatus])
    rows = services.list_vacancies(db.session, user, status=status)
    counts = candidate_counts(db.session, user, [r.id for r in rows])
    groups = [(s, VACANCY_STATUS_TITLES[s], [r for r in rows if r.status == s.value])
              for s in VacancyStatus]
    return render_template("employers/portal/vacancies.html", groups=groups, counts=counts,
                           status=status, statuses=list(VACANCY_STATUS_TITLES.items()))


@bp.get("/employer/vacancies/new")
@login_required
def new_vacancy():
    employer_user()
    programmes = programme_choices(db.session, employer_user())
    v = {"positions": "1", "programme_id": str(programmes[0][0]) if len(programmes) == 1 else ""}
    return _form(None, v, {})


@bp.post("/employer/vacancies/new")
@login_required
def create_vacancy():
    sess, user = db.session, employer_user()
    v, raw, origin = _posted()
    try:
        vacancy = services.create_vacancy(sess, user, VacancySchema().load(raw))
    except FORM_ERRORS as err:
        return _form(None, v, _row_errors(field_errors(err), origin), form_status(err))
    flash(_("Draft saved. The centre's staff will check it and publish it; until then you can "
            "still change it."))
    return redirect(url_for("employer_portal.vacancy", vacancy_id=vacancy.id), 303)


@bp.get("/employer/vacancies/<id:vacancy_id>")
@login_required
def vacancy(vacancy_id: int):
    sess, user = db.session, employer_user()
    row = services.read_vacancy(sess, user, vacancy_id)
    programme = sess.get(Programme, row.programme_id)
    counts = candidate_counts(sess, user, [row.id])[row.id]
    return render_template("employers/portal/vacancy.html", vacancy=row, programme=programme,
                           counts=counts, occupation=occupation_label(sess, row.occupation_uri),
                           statuses=VACANCY_STATUS_TITLES, periods=dict(_wage_periods()))


@bp.get("/employer/vacancies/<id:vacancy_id>/edit")
@login_required
def edit_vacancy(vacancy_id: int):
    sess, user = db.session, employer_user()
    row = services.read_vacancy(sess, user, vacancy_id)
    if row.status != VacancyStatus.DRAFT.value:
        flash(_("Only a draft can be changed; this vacancy is already published."))
        return redirect(url_for("employer_portal.vacancy", vacancy_id=row.id), 303)
    return _form(row, _values(row), {})


@bp.post("/employer/vacancies/<id:vacancy_id>/edit")
@login_required
def update_vacancy(vacancy_id: int):
    sess, user = db.session, employer_user()
    row = services.read_vacancy(sess, user, vacancy_id)
    v, raw, origin = _posted()
    try:
        version = int(v["version"]) if v["version"].isdigit() and len(v["version"]) < 10 else None
        data = VacancyUpdateSchema().load(raw)
        services.update_vacancy(sess, user, row.id, data, expected=Precondition(body=version))
    except FORM_ERRORS as err:
        if isinstance(err, Conflict):  # someone changed it, or staff published it meanwhile
            sess.refresh(row)
            v["version"] = row.version
        return _form(row, v, _row_errors(field_errors(err), origin), form_status(err))
    flash(_("Draft saved. The centre's staff will check it and publish it; until then you can "
            "still change it."))
    return redirect(url_for("employer_portal.vacancy", vacancy_id=row.id), 303)
