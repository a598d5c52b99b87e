"""After selection, for the employer: the onboarding steps waiting for them (each confirmed with
an optional note), their placements with retention at 3, 6 and 12 months (recorded when due),
and their Employer Pays summary. Through journey.employers.steps and placement_services (H4)
and journey.costs.summary (H5), the services the API calls.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.core.errors import ProblemError
from journey.core.versions import Precondition
from journey.costs.summary import employer_summary
from journey.costs.titles import PAYER_TITLES
from journey.employers import placement_services, steps
from journey.employers.models import PlacementStatus
from journey.employers.onboarding import STEP_TITLES
from journey.employers.portal_kit import (
    bp,
    choice_arg,
    employer_user,
    id_arg,
    query_args,
    refusal,
)
from journey.employers.portal_queries import disclosed_names, retention_by_placement
from journey.programmes.models import Programme
from journey.web.forms import FORM_ERRORS, field_errors, form_values
from journey.web.routes import login_required

RETENTION_MONTHS = (3, 6, 12)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- onboarding ----------------------------------------------------------------------------------

def _onboarding_page(errors: dict[int, dict[str, str]] | None = None,
                     values: dict[int, dict[str, str]] | None = None,
                     refused: dict[int, dict] | None = None, status: int = 200):
    sess, user = db.session, employer_user()
    today = utcnow().date()
    found = steps.waiting_steps(sess, user)
    names = disclosed_names(sess, user, [p.participant_id for _s, p in found])
    rows = [{"step": s, "placement": p, "title": STEP_TITLES.get(s.key, s.key),
             "name": names.get(p.participant_id),
             "overdue": s.due_on is not None and s.due_on < today} for s, p in found]
    rows.sort(key=lambda r: (r["step"].due_on or date.max, r["placement"].id,
                             r["step"].position))
    return render_template("employers/portal/onboarding.html", rows=rows, errors=errors or {},
                           values=values or {}, refused=refused or {}), status


@bp.get("/employer/onboarding")
@login_required
def onboarding():
    """The onboarding steps waiting for the employer, the earliest due first."""
    query_args(())
    return _onboarding_page()


@bp.post("/employer/onboarding/<id:step_id>/confirm")
@login_required
def confirm_step(step_id: int):
    sess, user = db.session, employer_user()
    v = form_values(("note", "version"))
    version = int(v["version"]) if v["version"].isdigit() and len(v["version"]) < 10 else None
    try:
        step = steps.confirm_step(sess, user, step_id, note=v["note"] or None,
                                  expected=Precondition(body=version))
    except (*FORM_ERRORS, ProblemError) as err:
        if isinstance(err, ProblemError) and err.status == 409:
            sess.rollback()
            return _onboarding_page(values={step_id: v}, refused={step_id: refusal(err)},
                                    status=409)
        if not isinstance(err, FORM_ERRORS):
            raise
        return _onboarding_page(errors={step_id: field_errors(err)}, values={step_id: v},
                                status=422)
    flash(_("Confirmed: %(step)s. The worker is told, and can say if it did not happen.",
            step=STEP_TITLES.get(step.key, step.key)))
    return redirect(url_for("employer_portal.onboarding"), 303)


# -- placements and retention --------------------------------------------------------------------

def _retention_cells(placement, checks: dict[int, Any], today: date) -> list[dict[str, Any]]:
    """For 3, 6 and 12 months: the answer recorded, or when it is due (and whether it is now)."""
    cells = []
    for months in RETENTION_MONTHS:
        check = checks.get(months)
        due = check.due_on if check is not None else (
            add_months(placement.arrived_on, months) if placement.arrived_on else None)
        recorded = check is not None and check.recorded_at is not None
        cells.append({"months": months, "due": due, "recorded": recorded,
                      "retained": check.retained if recorded else None,
                      "can_record": (not recorded and due is not None and due <= today
                                     and placement.status == PlacementStatus.ACTIVE.value)})
    return cells


def _placements_page(status: str | None, errors: dict[str, str] | None = None,
                     refused: dict | None = None, code: int = 200):
    sess, user = db.session, employer_user()
    today = utcnow().date()
    found = placement_services.list_placements(sess, user, status=status)
    names = disclosed_names(sess, user, [p.participant_id for p in found])
    checks = retention_by_placement(sess, [p.id for p in found])
    programmes = {p.programme_id: sess.get(Programme, p.programme_id)
                  for p in found if p.programme_id}
    rows = [{"placement": p, "name": names.get(p.participant_id),
             "programme": programmes.get(p.programme_id),
             "retention": _retention_cells(p, checks.get(p.id, {}), today)} for p in found]
    return render_template("employers/portal/placements.html", rows=rows, status=status,
                           errors=errors or {}, refused=refused,
                           statuses=[("active", _("Active")), ("ended", _("Ended"))]), code


@bp.get("/employer/placements")
@login_required
def placements():
    """The employer's placements: contract dates, and retention at 3, 6 and 12 months."""
    employer_user()
    args = query_args(("status",))
    return _placements_page(choice_arg(args, "status", [s.value for s in PlacementStatus]))


@bp.post("/employer/placements/<id:placement_id>/retention/<int:months>")
@login_required
def record_retention(placement_id: int, months: int):
    sess, user = db.session, employer_user()
    if months not in RETENTION_MONTHS:
        abort(404)
    v = form_values(("retained",))
    key = f"retained-{placement_id}-{months}"
    if v["retained"] not in ("yes", "no"):
        return _placements_page(None, errors={key: _("Answer yes or no.")}, code=422)
    try:
        placement_services.record_retention(sess, user, placement_id, months=months,
                                             retained=v["retained"] == "yes")
    except (*FORM_ERRORS, ProblemError) as err:
        if isinstance(err, ProblemError) and err.status == 409:
            sess.rollback()
            return _placements_page(None, refused=refusal(err), code=409)
        if not isinstance(err, FORM_ERRORS):
            raise
        message = " ".join(field_errors(err).values())
        return _placements_page(None, errors={key: message}, code=422)
    if v["retained"] == "yes":
        flash(ngettext("Recorded: the worker is still employed after %(num)d month.",
                       "Recorded: the worker is still employed after %(num)d months.", months))
    else:
        flash(ngettext("Recorded: the worker is no longer employed after %(num)d month.",
                       "Recorded: the worker is no longer employed after %(num)d months.",
                       months))
    return redirect(url_for("employer_portal.placements", _anchor=f"placement-{placement_id}"),
                    303)


# -- Employer Pays -------------------------------------------------------------------------------

def pays_figures(sess: Session, user: User, *, after_id: int | None = None,
                 limit: int = 50) -> dict[str, Any]:
    """The Employer Pays summary of the user's employer (journey.costs.summary), with its
    breaches open and refunded counted over every currency."""
    found = employer_summary(sess, user, after_id=after_id, limit=limit)
    breaches = found["breaches_by_employer"]
    return {**found, "open_breaches": sum(int(r["open"]) for r in breaches),
            "refunded_breaches": sum(int(r["refunded"]) for r in breaches)}


@bp.get("/employer/employer-pays")
@login_required
def employer_pays():
    """Recruitment costs of the employer's placements by who paid, against the budget per
    hire; breaches (a migrant paid) open and refunded."""
    sess, user = db.session, employer_user()
    after = id_arg(query_args(("after",)), "after")
    found = pays_figures(sess, user, after_id=after)
    names = disclosed_names(sess, user, [r["participant_id"] for r in found["placements"]])
    return render_template("employers/portal/employer_pays.html", s=found, names=names,
                           after=after, payers=list(PAYER_TITLES.items()))
