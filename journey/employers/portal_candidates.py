"""A vacancy's candidates for its employer: the paged list (only the candidates presented to it,
as much as the disclosure allows), one candidate with their passport entries, skill-card data
and the selection's timeline, and the decision form (the next step, a reason from the fixed list
and a note) through journey.employers.candidates (H2's services, the API's too).

A refused decision says why on the page: a field error beside its field (422), a refusal of
the step itself (409: the continuum's guard unmet, the recruiter's licence expired, another
placement active) as a message at the top of the form.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import ProblemError
from journey.core.versions import Precondition
from journey.employers import candidates as services
from journey.employers import vacancies as vacancy_services
from journey.employers.models import (
    ACTIVE_CANDIDACY,
    CANDIDACY_STATE_TITLES,
    DECISION_REASON_TITLES,
    CandidacyState,
)
from journey.employers.portal_kit import (
    PAGE_SIZE,
    bp,
    choice_arg,
    employer_user,
    id_arg,
    query_args,
    refusal,
)
from journey.employers.schemas import DecisionSchema
from journey.passports.models import VERIFICATION_TITLES
from journey.passports.pages import FORMALITY_TITLES, LANGUAGE_SKILL_TITLES
from journey.passports.services import KIND_TITLES
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.routes import login_required

# The steps an employer may take next, from where the candidacy stands (in this order).
_ORDER = (CandidacyState.PRESENTED, CandidacyState.SHORTLISTED, CandidacyState.INTERVIEWED)
DECISIONS = (CandidacyState.SHORTLISTED, CandidacyState.INTERVIEWED, CandidacyState.SELECTED,
             CandidacyState.REJECTED)


def _decision_titles() -> dict[str, str]:
    return {CandidacyState.SHORTLISTED.value: _("Shortlist"),
            CandidacyState.INTERVIEWED.value: _("Interview done"),
            CandidacyState.SELECTED.value: _("Select"),
            CandidacyState.REJECTED.value: _("Reject")}


def _decision_done() -> dict[str, str]:
    """What the page says once a decision is recorded: whole sentences, one per step."""
    return {CandidacyState.SHORTLISTED.value: _("Decision recorded: the candidate is shortlisted."),
            CandidacyState.INTERVIEWED.value: _("Decision recorded: the interview is done."),
            CandidacyState.SELECTED.value: _("Decision recorded: the candidate is selected."),
            CandidacyState.REJECTED.value: _("Decision recorded: the candidate is not selected.")}


def next_steps(state: str) -> list[tuple[str, str]]:
    """The decisions open from this state: later steps of the selection, select, or reject."""
    titles = _decision_titles()
    try:
        current = CandidacyState(state)
    except ValueError:
        return []
    if current not in ACTIVE_CANDIDACY:
        return []
    later = [s for s in _ORDER[_ORDER.index(current) + 1:]] + [CandidacyState.SELECTED,
                                                             CandidacyState.REJECTED]
    return [(s.value, titles[s.value]) for s in later]


@bp.get("/employer/vacancies/<id:vacancy_id>/candidates")
@login_required
def candidates(vacancy_id: int):
    """The candidates presented to one vacancy, oldest first, a page at a time."""
    sess, user = db.session, employer_user()
    args = query_args(("state", "after"))
    state = choice_arg(args, "state", [s.value for s in CandidacyState])
    after = id_arg(args, "after")
    vacancy = vacancy_services.read_vacancy(sess, user, vacancy_id)
    rows = services.list_candidates(sess, user, vacancy.id, state=state, after_id=after,
                                    limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = {"state": state} if state else {}
    return render_template(
        "employers/portal/candidates.html", vacancy=vacancy, rows=rows, state=state,
        after=after, query=query, next_after=rows[-1]["candidacy_id"] if more and rows else None,
        states=list(CANDIDACY_STATE_TITLES.items()), titles=CANDIDACY_STATE_TITLES)


def _candidate_page(vacancy_id: int, candidacy_id: int, v: dict[str, Any],
                    errors: dict[str, str], refused: dict | None = None, status: int = 200):
    sess, user = db.session, employer_user()
    vacancy = vacancy_services.read_vacancy(sess, user, vacancy_id)
    c = services.read_candidate(sess, user, vacancy.id, candidacy_id)
    return render_template(
        "employers/portal/candidate.html", vacancy=vacancy, c=c, v=v, errors=errors,
        refused=refused, steps=next_steps(c["state"]), titles=CANDIDACY_STATE_TITLES,
        reasons=[(r.value, t) for r, t in DECISION_REASON_TITLES.items()],
        reason_titles=DECISION_REASON_TITLES,
        labels={"kinds": KIND_TITLES, "formality": FORMALITY_TITLES,
                "language_skills": LANGUAGE_SKILL_TITLES,
                "verification": VERIFICATION_TITLES}), status


@bp.get("/employer/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>")
@login_required
def candidate(vacancy_id: int, candidacy_id: int):
    return _candidate_page(vacancy_id, candidacy_id, {}, {})


@bp.post("/employer/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>")
@login_required
def decide(vacancy_id: int, candidacy_id: int):
    sess, user = db.session, employer_user()
    v = form_values(("state", "reason", "note", "version"))
    errors: dict[str, str] = {}
    if v["state"] not in {s.value for s in DECISIONS}:
        errors["state"] = _("Choose the next step.")
    if not v["reason"]:
        errors["reason"] = _("Choose a reason from the list.")
    if errors:
        return _candidate_page(vacancy_id, candidacy_id, v, errors, status=422)
    try:
        data = DecisionSchema().load(form_input(v, ints=("version",), nullable=("note",)))
        services.decide(sess, user, vacancy_id, candidacy_id, state=data["state"],
                        reason=data.get("reason"), note=data.get("note"),
                        expected=Precondition(body=data.get("version")))
    except (*FORM_ERRORS, ProblemError) as err:
        if isinstance(err, ProblemError) and err.status == 409:
            # Refused (the continuum's conditions, the recruiter's licence, another placement,
            # a stale version): nothing of it is kept; the page says why, beside the form.
            sess.rollback()
            return _candidate_page(vacancy_id, candidacy_id, v, {}, refused=refusal(err),
                                   status=409)
        if not isinstance(err, FORM_ERRORS):
            raise
        return _candidate_page(vacancy_id, candidacy_id, v, field_errors(err),
                               status=form_status(err))
    flash(_decision_done()[data["state"]])
    if v["state"] == CandidacyState.SELECTED.value:
        flash(_("The placement is open; its onboarding steps are waiting for you."))
    return redirect(url_for("employer_portal.candidate", vacancy_id=vacancy_id,
                            candidacy_id=candidacy_id), 303)
