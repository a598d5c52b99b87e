"""The triage page of a grievance: correct what it is about while it is open (journey.grievances
.triage), through the API's schema and service. A stale version shows both versions and
overwrites nothing."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import Conflict, ProblemError
from journey.core.i18n import autonym
from journey.core.policy import require
from journey.core.versions import Precondition
from journey.grievances import against, queries, services, triage
from journey.grievances import page_forms as pf
from journey.grievances.models import Grievance
from journey.grievances.pages import bp
from journey.grievances.schemas import GrievanceUpdateSchema
from journey.organisations.models import Employer
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_values
from journey.web.routes import login_required

FIELDS = (*triage.FIELDS, "version")
_INTS = ("against_employer_id", "against_recruiter_id", "version")
_NULLABLE = ("against_kind", "against_employer_id", "against_recruiter_id", "against_name",
             "desired_outcome")


def _labels() -> list[tuple[str, str]]:
    return [("category", _("What is it about?")), ("severity", _("Severity")),
            ("confidentiality", _("Confidentiality")), ("against_kind", _("Who is it against?")),
            ("against_employer_id", _("The employer")),
            ("against_recruiter_id", _("The recruiter")), ("against_name", _("Name")),
            ("desired_outcome", _("What they want to happen")),
            ("language", _("Language for replies"))]


def _shown(name: str, value: Any) -> str:
    """A field's value as the conflict table shows it: titles, names, autonyms, text."""
    if value in (None, ""):
        return ""
    if name in pf.TITLES:
        return pf.title(name, str(value))
    if name == "against_employer_id":
        employer = db.session.get(Employer, int(value)) if str(value).isdigit() else None
        return employer.name if employer else str(value)
    if name == "against_recruiter_id":
        found = against.recruiter_names(db.session, {int(value)}) if str(value).isdigit() else {}
        return found.get(int(value), str(value)) if found else str(value)
    if name == "language":
        return autonym(str(value))
    return str(value)


def _values(gv: Grievance) -> dict[str, Any]:
    return {name: "" if getattr(gv, name) is None else getattr(gv, name)
            for name in triage.FIELDS} | {"version": gv.version}


def _page(gv: Grievance, v: dict[str, Any], errors: dict[str, str], status: int = 200,
          conflict: list | None = None):
    context = pf.intake_context(db.session, g.user)
    return render_template("grievances/edit.html", gv=gv, v=v, errors=errors, conflict=conflict,
                           **context), status


def _editable(grievance_id: int) -> Grievance:
    require(g.user, "grievances:manage")
    gv, _full = queries.read(db.session, g.user, grievance_id)
    services.require_full(db.session, g.user, gv)
    return gv


@bp.get("/grievances/<id:grievance_id>/edit")
@login_required
def edit_grievance(grievance_id: int):
    """Triage: the category, severity, confidentiality, whom it is against, the outcome wanted
    and the language for replies."""
    gv = _editable(grievance_id)
    return _page(gv, _values(gv), {})


@bp.post("/grievances/<id:grievance_id>/edit")
@login_required
def update_grievance(grievance_id: int):
    sess = db.session
    gv = _editable(grievance_id)
    values = form_values(FIELDS)
    try:
        data = GrievanceUpdateSchema().load(form_input(values, ints=_INTS, nullable=_NULLABLE))
        version = data.pop("version", None)
        triage.update(sess, g.user, gv, data, expected=Precondition(body=version))
    except Conflict as err:  # a stale version: both versions side by side, nothing overwritten
        sess.refresh(gv)
        rows = conflict_view({k: _shown(k, getattr(gv, k)) for k in triage.FIELDS},
                             {k: _shown(k, values.get(k)) for k in triage.FIELDS}, _labels())
        return _page(gv, {**values, "version": gv.version}, field_errors(err), 409, rows)
    except FORM_ERRORS as err:
        return _page(gv, values, field_errors(err), 422)
    except ProblemError as err:  # resolved meanwhile (not-open)
        return _page(gv, values, field_errors(err), err.status)
    flash(_("The grievance is corrected; its deadlines follow its category and severity."))
    return redirect(url_for("grievance_pages.grievance", grievance_id=gv.id), 303)
