"""Staff pages: vacancies (list, draft, edit, publish, fill, close), presenting candidates, and
each candidate's selection steps; the "Vacancies and placement" section of a participant's
record, from which a person is presented to an open vacancy.

Server-rendered, no script. Every form loads through the API's schemas (journey.employers.
schemas) and calls the same services (journey.employers.vacancies, .candidates), so a page
refuses what the API refuses: beside the field (422), or as a conflict at the top (409).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import consented_ids, has_consent
from journey.core.auth import User
from journey.core.db import db
from journey.core.domains import Section
from journey.core.policy import allowed, participant_scope, require
from journey.core.versions import Precondition
from journey.employers import candidates, vacancies
from journey.employers.models import (
    CANDIDACY_STATE_TITLES,
    DECISION_REASON_TITLES,
    VACANCY_STATUS_TITLES,
    Candidacy,
    CandidacyState,
    Placement,
    PlacementStatus,
    Recruiter,
    Vacancy,
    VacancyStatus,
)
from journey.employers.schemas import (
    DECISION_STATES,
    WAGE_PERIODS,
    DecisionSchema,
    PresentSchema,
    VacancyQuerySchema,
    VacancySchema,
    VacancyUpdateSchema,
)
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.programmes.models import Programme
from journey.stages import Stage
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_status
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("vacancy_pages", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

# The stages from which an employer's selection can move a person (match; rehire).
SELECTABLE = (Stage.TRAINING.value, Stage.REINTEGRATION.value, Stage.CLOSED.value)
CHOOSER_SIZE = 500
TEXT_FIELDS = ("title", "occupation_uri", "isco_code", "place", "positions", "start_date",
               "wage_amount", "wage_currency", "wage_period", "conditions", "programme_id",
               "employer_id")
LIST_FIELDS = ("required_skills", "optional_skills", "certificates", "languages")
NULLABLE = ("occupation_uri", "isco_code", "start_date", "wage_amount", "wage_currency",
            "wage_period", "conditions")
WAGE_PERIOD_TITLES = {"hour": _l("per hour"), "day": _l("per day"), "week": _l("per week"),
                      "month": _l("per month"), "year": _l("per year")}


def _staff(user: User) -> None:
    """These pages are the staff's (employers have their own): presenting is a staff act."""
    require(user, "candidates:present")


def _titles(table: dict) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in table.items()]


# --- the vacancy form -----------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r", "").split("\n") if part.strip()]


def _languages(text: str) -> list[dict[str, str]]:
    """"pt B1" per line; a line of another shape goes to the schema as it is, to be refused."""
    out = []
    for part in _lines(text):
        words = part.replace(",", " ").split()
        out.append({"language": words[0], "level": words[1].upper() if len(words) > 1 else ""})
    return out


def _form() -> tuple[dict[str, Any], dict[str, Any]]:
    """What was typed (to show again) and the schema's input."""
    typed = {name: request.form.get(name, "").strip()[:4000]
             for name in (*TEXT_FIELDS, *LIST_FIELDS, "version")}
    raw = form_input({k: typed[k] for k in (*TEXT_FIELDS, "version")},
                     ints=("employer_id", "programme_id", "positions", "version"),
                     nullable=NULLABLE)
    for name in ("required_skills", "optional_skills", "certificates"):
        raw[name] = _lines(typed[name])
    raw["languages"] = _languages(typed["languages"])
    return typed, raw


def _typed(v: Vacancy) -> dict[str, Any]:
    return {"title": v.title, "occupation_uri": v.occupation_uri or "",
            "isco_code": v.isco_code or "", "place": v.place, "positions": str(v.positions),
            "start_date": v.start_date.isoformat() if v.start_date else "",
            "wage_amount": str(v.wage_amount) if v.wage_amount is not None else "",
            "wage_currency": v.wage_currency or "", "wage_period": v.wage_period or "",
            "conditions": v.conditions or "", "programme_id": str(v.programme_id),
            "employer_id": str(v.employer_id),
            "required_skills": "\n".join(v.required_skills),
            "optional_skills": "\n".join(v.optional_skills),
            "certificates": "\n".join(v.certificates),
            "languages": "\n".join(f"{x['language']} {x['level']}" for x in v.languages),
            "version": v.version}


def _form_page(sess: Session, vacancy: Vacancy | None, typed: dict[str, Any],
               errors: dict[str, str], conflict: list | None = None, status: int = 200):
    employers = sess.execute(sa.select(Employer.id, Employer.name).order_by(Employer.name)).all()
    programmes = sess.execute(sa.select(Programme.id, Programme.name)
                              .order_by(Programme.name)).all()
    return render_template(
        "employers/vacancies/form.html", vacancy=vacancy, v=typed, errors=errors,
        conflict=conflict, employers=[(str(e.id), e.name) for e in employers],
        programmes=[(str(p.id), p.name) for p in programmes],
        periods=[(p, str(WAGE_PERIOD_TITLES[p])) for p in WAGE_PERIODS]), status


# --- the list, drafting and editing ------------------------------------------------------------

@bp.get("/vacancies")
@login_required
def vacancies_list():
    sess, user = db.session, g.user
    _staff(user)
    args = VacancyQuerySchema().load({k: v for k, v in request.args.items() if v})
    rows = vacancies.list_vacancies(sess, user, status=args.get("status"))
    names = dict(sess.execute(sa.select(Employer.id, Employer.name).where(
        Employer.id.in_({v.employer_id for v in rows}))).all()) if rows else {}
    return render_template("employers/vacancies/list.html", vacancies=rows, names=names,
                           status=args.get("status"), statuses=_titles(VACANCY_STATUS_TITLES),
                           status_titles=VACANCY_STATUS_TITLES)


@bp.get("/vacancies/new")
@login_required
def new_vacancy():
    _staff(g.user)
    require(g.user, "vacancies:draft")
    return _form_page(db.session, None, {"positions": "1"}, {})


@bp.post("/vacancies/new")
@login_required
def create_vacancy():
    sess, user = db.session, g.user
    _staff(user)
    typed, raw = _form()
    raw.pop("version", None)
    try:
        vacancy = vacancies.create_vacancy(sess, user, VacancySchema().load(raw))
    except FORM_ERRORS as err:
        return _form_page(sess, None, typed, field_errors(err), status=form_status(err))
    flash(_("Vacancy drafted. Publish it when it is ready for candidates."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy.id), 303)


@bp.get("/vacancies/<id:vacancy_id>/edit")
@login_required
def edit_vacancy(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    vacancy = vacancies.read_vacancy(sess, user, vacancy_id)
    return _form_page(sess, vacancy, _typed(vacancy), {})


@bp.post("/vacancies/<id:vacancy_id>/edit")
@login_required
def update_vacancy(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    vacancy = vacancies.read_vacancy(sess, user, vacancy_id)
    typed, raw = _form()
    raw.pop("employer_id", None)  # a vacancy stays with its employer
    try:
        data = VacancyUpdateSchema().load(raw)
        expected = Precondition(body=data.pop("version", None))
        vacancies.update_vacancy(sess, user, vacancy.id, data, expected=expected)
    except FORM_ERRORS as err:
        conflict = None
        if getattr(err, "code", None) == "stale-version":
            sess.refresh(vacancy)
            labels = [("title", _("Title")), ("place", _("Place")),
                      ("positions", _("Positions")), ("start_date", _("Start date")),
                      ("wage_amount", _("Wage")), ("conditions", _("Conditions"))]
            conflict = conflict_view(_typed(vacancy), typed, labels)
            typed = {**typed, "version": vacancy.version}
        return _form_page(sess, vacancy, typed, field_errors(err), conflict,
                          status=form_status(err))
    flash(_("Vacancy saved."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy.id), 303)


# --- one vacancy: status, candidates, presenting ----------------------------------------------

def _chooser(sess: Session, user: User, vacancy: Vacancy) -> list[tuple[str, str]]:
    """The people this user may present to the vacancy: in their scope, at a stage selection can
    move, consenting to share with employers, not presented to it yet (by name)."""
    taken = sa.select(Candidacy.participant_id).where(Candidacy.vacancy_id == vacancy.id)
    rows = sess.execute(
        sa.select(Participant.id, Participant.given_name, Participant.family_name,
                  Participant.reference)
        .where(participant_scope(user, Participant.id, Participant.office_id),
               Participant.erased_at.is_(None), Participant.stage.in_(SELECTABLE),
               Participant.id.not_in(taken))
        .order_by(Participant.family_name, Participant.given_name, Participant.id)
        .limit(CHOOSER_SIZE)).all()
    ok = consented_ids(sess, [r.id for r in rows], Purpose.SHARE_EMPLOYERS)
    return [(str(r.id), f"{r.given_name} {r.family_name} · {r.reference}")
            for r in rows if r.id in ok]


def _recruiters(sess: Session) -> list[tuple[str, str]]:
    return [(str(r.id), r.name) for r in sess.execute(
        sa.select(Recruiter.id, Recruiter.name).order_by(Recruiter.name))]


def _detail(sess: Session, user: User, vacancy: Vacancy, *, typed: dict | None = None,
            errors: dict | None = None, status: int = 200):
    employer = sess.get(Employer, vacancy.employer_id)
    programme = sess.get(Programme, vacancy.programme_id)
    page = candidates.list_candidates(sess, user, vacancy.id, limit=200)
    steps = {c["candidacy_id"]: candidates.steps(sess, c["candidacy_id"]) for c in page}
    return render_template(
        "employers/vacancies/detail.html", vacancy=vacancy, employer=employer,
        programme=programme, candidates=page, steps=steps,
        left=vacancies.positions_left(sess, vacancy),
        chooser=_chooser(sess, user, vacancy) if vacancy.status == VacancyStatus.OPEN else [],
        recruiters=_recruiters(sess), v=typed or {}, errors=errors or {},
        status_titles=VACANCY_STATUS_TITLES, state_titles=CANDIDACY_STATE_TITLES,
        reason_titles=DECISION_REASON_TITLES, periods=WAGE_PERIOD_TITLES,
        can_publish=allowed(user, "vacancies:publish")), status


@bp.get("/vacancies/<id:vacancy_id>")
@login_required
def vacancy(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    return _detail(sess, user, vacancies.read_vacancy(sess, user, vacancy_id))


@bp.post("/vacancies/<id:vacancy_id>/publish")
@login_required
def publish(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    try:
        vacancies.publish_vacancy(sess, user, vacancy_id)
    except FORM_ERRORS as err:
        return _detail(sess, user, vacancies.read_vacancy(sess, user, vacancy_id),
                       errors=field_errors(err), status=form_status(err))
    flash(_("Vacancy published: candidates can now be presented."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy_id), 303)


@bp.post("/vacancies/<id:vacancy_id>/status")
@login_required
def set_status(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    target = request.form.get("status", "")
    try:
        if target not in (VacancyStatus.FILLED.value, VacancyStatus.CLOSED.value):
            raise ValidationError({"status": [_("Choose filled or closed.")]})
        vacancies.set_vacancy_status(sess, user, vacancy_id, target)
    except FORM_ERRORS as err:
        return _detail(sess, user, vacancies.read_vacancy(sess, user, vacancy_id),
                       errors=field_errors(err), status=form_status(err))
    flash(_("Vacancy marked filled.") if target == VacancyStatus.FILLED.value
          else _("Vacancy closed."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy_id), 303)


def _present_input() -> tuple[dict[str, str], dict[str, Any]]:
    typed = {k: request.form.get(k, "").strip()[:2000]
             for k in ("participant_id", "recruiter_id", "note")}
    return typed, form_input(typed, ints=("participant_id", "recruiter_id"),
                             nullable=("recruiter_id", "note"))


@bp.post("/vacancies/<id:vacancy_id>/present")
@login_required
def present(vacancy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    vacancy_row = vacancies.read_vacancy(sess, user, vacancy_id)
    typed, raw = _present_input()
    try:
        data = PresentSchema().load(raw)
        candidates.present(sess, user, vacancy_row.id, data["participant_id"],
                           recruiter_id=data.get("recruiter_id"), note=data.get("note"))
    except FORM_ERRORS as err:
        errors = field_errors(err, conflict_fields={"consent-required": "participant_id",
                                                    "already-presented": "participant_id"})
        return _detail(sess, user, vacancy_row, typed=typed, errors=errors,
                       status=form_status(err))
    flash(_("Candidate presented to the employer."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy_row.id,
                            _anchor="candidates"), 303)


# --- a decision the employer gave without an account -------------------------------------------

def _decision_page(sess: Session, user: User, vacancy_row: Vacancy, candidacy_id: int,
                   typed: dict, errors: dict, status: int = 200):
    shown = candidates.read_candidate(sess, user, vacancy_row.id, candidacy_id)
    states = [(s, str(CANDIDACY_STATE_TITLES[CandidacyState(s)])) for s in DECISION_STATES]
    return render_template(
        "employers/vacancies/decide.html", vacancy=vacancy_row, c=shown, v=typed,
        errors=errors, states=states, reasons=_titles(DECISION_REASON_TITLES),
        state_titles=CANDIDACY_STATE_TITLES, reason_titles=DECISION_REASON_TITLES), status


@bp.get("/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>/decide")
@login_required
def decision_form(vacancy_id: int, candidacy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    require(user, "candidates:decide")
    vacancy_row = vacancies.read_vacancy(sess, user, vacancy_id)
    return _decision_page(sess, user, vacancy_row, candidacy_id, {}, {})


@bp.post("/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>/decide")
@login_required
def decide(vacancy_id: int, candidacy_id: int):
    sess, user = db.session, g.user
    _staff(user)
    vacancy_row = vacancies.read_vacancy(sess, user, vacancy_id)
    typed = {k: request.form.get(k, "").strip()[:2000] for k in ("state", "reason", "note",
                                                                   "version")}
    try:
        data = DecisionSchema().load(form_input(typed, ints=("version",), nullable=("note",)))
        candidates.decide(sess, user, vacancy_row.id, candidacy_id, state=data["state"],
                          reason=data.get("reason"), note=data.get("note"),
                          expected=Precondition(body=data.get("version")))
    except FORM_ERRORS as err:
        errors = field_errors(err, conflict_fields={"candidacy-state": "state"})
        return _decision_page(sess, user, vacancy_row, candidacy_id, typed, errors,
                              status=form_status(err))
    flash(_("Decision recorded."))
    return redirect(url_for("vacancy_pages.vacancy", vacancy_id=vacancy_row.id,
                            _anchor=f"candidacy-{candidacy_id}"), 303)


# --- from a participant's record --------------------------------------------------------------

def _open_vacancies(sess: Session, p: Participant) -> list[tuple[str, str]]:
    taken = sa.select(Candidacy.vacancy_id).where(Candidacy.participant_id == p.id)
    rows = sess.execute(
        sa.select(Vacancy.id, Vacancy.title, Vacancy.place, Employer.name)
        .join(Employer, Employer.id == Vacancy.employer_id)
        .where(Vacancy.status == VacancyStatus.OPEN.value, Employer.verification == "verified",
               Vacancy.id.not_in(taken))
        .order_by(Employer.name, Vacancy.title, Vacancy.id)).all()
    return [(str(r.id), f"{r.title} · {r.place} · {r.name}") for r in rows]


def _present_page(sess: Session, user: User, p: Participant, typed: dict, errors: dict,
                  status: int = 200):
    return render_template(
        "employers/vacancies/present.html", p=p, v=typed, errors=errors,
        choices=_open_vacancies(sess, p), recruiters=_recruiters(sess),
        consent=has_consent(sess, p.id, Purpose.SHARE_EMPLOYERS)), status


@bp.get("/participants/<id:participant_id>/present")
@login_required
def present_participant_form(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "candidates:present")
    return _present_page(sess, user, p, {}, {})


@bp.post("/participants/<id:participant_id>/present")
@login_required
def present_participant(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "candidates:present")
    typed = {k: request.form.get(k, "").strip()[:2000]
             for k in ("vacancy_id", "recruiter_id", "note")}
    raw = form_input({**typed, "participant_id": str(p.id)},
                     ints=("participant_id", "recruiter_id"), nullable=("recruiter_id", "note"))
    vacancy_id = raw.pop("vacancy_id", "")
    try:
        if not (isinstance(vacancy_id, str) and vacancy_id.isascii() and vacancy_id.isdigit()
                and len(vacancy_id) < 10):
            raise ValidationError({"vacancy_id": [_("Choose a vacancy.")]})
        data = PresentSchema().load(raw)
        candidates.present(sess, user, int(vacancy_id), p.id,
                           recruiter_id=data.get("recruiter_id"), note=data.get("note"))
    except FORM_ERRORS as err:
        errors = field_errors(err, conflict_fields={"vacancy-not-open": "vacancy_id",
                                                    "employer-not-verified": "vacancy_id",
                                                    "already-presented": "vacancy_id"})
        return _present_page(sess, user, p, typed, errors, status=form_status(err))
    flash(_("Candidate presented to the employer."))
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="vacancies"), 303)


# --- the record page's section ----------------------------------------------------------------

def candidacies_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The person's candidacies (vacancy, employer, where the selection stands) and their
    active placement, with "present to a vacancy"."""
    if not allowed(user, "candidates:present"):
        return None
    rows = sess.execute(
        sa.select(Candidacy.id, Candidacy.state, Candidacy.presented_at, Vacancy.id.label("vid"),
                  Vacancy.title, Employer.name.label("employer"))
        .join(Vacancy, Vacancy.id == Candidacy.vacancy_id)
        .join(Employer, Employer.id == Candidacy.employer_id)
        .where(Candidacy.participant_id == p.id)
        .order_by(Candidacy.presented_at.desc(), Candidacy.id.desc())).all()
    placement = sess.execute(
        sa.select(Placement.id, Placement.contract_start, Employer.name.label("employer"))
        .join(Employer, Employer.id == Placement.employer_id)
        .where(Placement.participant_id == p.id,
               Placement.status == PlacementStatus.ACTIVE.value)).first()
    ctx = {"candidacies": rows, "placement": placement, "state_titles": CANDIDACY_STATE_TITLES,
           "consent": has_consent(sess, p.id, Purpose.SHARE_EMPLOYERS)}
    return Section("vacancies", _l("Vacancies and placement"),
                   "employers/vacancies/_section.html", ctx, order=45)
