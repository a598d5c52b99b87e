"""Pages of grievance confidentiality and reports: break-the-glass on a restricted grievance
(/grievances/<id>/break-glass), an office's focal points (/grievances/focal-points) and the
patterns of complaints (/grievances/patterns, a table).

The forms load through the API's schemas (journey.grievances.glass_schemas) and call the same
services (journey.grievances.glass and .patterns).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.db import db
from journey.core.errors import Conflict, InvalidInput
from journey.core.policy import Role, require
from journey.grievances import access, glass, patterns
from journey.grievances.glass_schemas import (
    BreakGlassSchema,
    FocalPointCreateSchema,
    PatternsQuerySchema,
)
from journey.grievances.models import (
    CATEGORY_TITLES,
    SEVERITY_TITLES,
    STATE_TITLES,
    Category,
    Severity,
    State,
)
from journey.organisations.models import Office
from journey.web.display import role_title
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("grievance_glass_pages", __name__)


def _grievance_url(grievance_id: int) -> str:
    # The grievance's own page (journey.grievances staff pages): it shows the grievance in full
    # once the glass is broken.
    return f"{request.script_root}/grievances/{grievance_id}"


def _glass_page(grievance, values, errors, status=200, already=False):
    office = db.session.get(Office, grievance.office_id)
    focal = access.focal_points(db.session, grievance.office_id)
    return render_template(
        "grievances/break_glass.html", gr=grievance, office=office, v=values, errors=errors,
        already=already, focal_count=len(focal), grievance_url=_grievance_url(grievance.id),
        hours=current_app.config["GRIEVANCE_BREAK_GLASS_HOURS"],
        reason_min=glass.REASON_MIN, reason_max=glass.REASON_MAX,
        category=CATEGORY_TITLES.get(Category(grievance.category), grievance.category),
        severity=SEVERITY_TITLES.get(Severity(grievance.severity), grievance.severity),
        state=STATE_TITLES.get(State(grievance.state), grievance.state)), status


def _target(grievance_id: int):
    """The grievance and whether it is open to the user already (no glass to break)."""
    gr = access.load(db.session, g.user, grievance_id, "grievances:break_glass")
    return gr, access.sees_full(db.session, g.user, gr)


@bp.get("/grievances/<id:grievance_id>/break-glass")
@login_required
def break_glass_form(grievance_id: int):
    """What is about to happen, and a box for the reason."""
    gr, already = _target(grievance_id)
    return _glass_page(gr, {}, {}, already=already)


@bp.post("/grievances/<id:grievance_id>/break-glass")
@login_required
def break_glass(grievance_id: int):
    """Open the grievance; errors beside the reason, then back to the grievance in full."""
    gr, already = _target(grievance_id)
    values = form_values(("reason",))
    try:
        data = BreakGlassSchema().load(form_input(values))
        grant = glass.break_glass(db.session, g.user, grievance_id, data["reason"])
    except Conflict:
        return _glass_page(gr, values, {}, 409, already=True)
    except FORM_ERRORS as err:
        return _glass_page(gr, values, field_errors(err), form_status(err), already=already)
    flash(_("Grievance %(reference)s is open to you until %(time)s. Its focal points are told.",
            reference=gr.reference, time=format_datetime(grant.expires_at, "short")))
    return redirect(_grievance_url(grievance_id), 303)


def _office_id() -> int:
    """The office whose focal points are shown: a supervisor's own; an admin's choice (or the
    first office)."""
    user = g.user
    if Role(user.role) != Role.ADMIN:
        return user.office_id
    raw = request.values.get("office_id", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 11:
        return int(raw)
    return db.session.scalar(sa.select(Office.id).order_by(Office.id).limit(1))


def _focal_page(office_id: int, values=None, errors=None, status=200):
    sess, user = db.session, g.user
    points = glass.focal_points(sess, user, office_id)
    offices = (list(sess.scalars(sa.select(Office).order_by(Office.name)))
               if Role(user.role) == Role.ADMIN else [])
    return render_template(
        "grievances/focal_points.html", office=sess.get(Office, office_id), points=points,
        candidates=[(u.id, f"{u.full_name} ({role_title(u.role)})")
                    for u in glass.candidates(sess, user, office_id)], offices=offices,
        v=values or {}, errors=errors or {}), status


@bp.get("/grievances/focal-points")
@login_required
def focal_points():
    """The office's focal points, with a form to name another and a button to remove each."""
    require(g.user, "grievances:focal_points")
    return _focal_page(_office_id())


def _back(office_id: int):
    return redirect(url_for("grievance_glass_pages.focal_points", office_id=office_id), 303)


@bp.post("/grievances/focal-points")
@login_required
def add_focal_point():
    """Name a focal point; the choice is refused beside the field when they cannot be one."""
    require(g.user, "grievances:focal_points")
    office_id = _office_id()
    values = form_values(("user_id",))
    try:
        data = FocalPointCreateSchema().load(form_input(values, ints=("user_id",)))
        added = glass.add_focal_point(db.session, g.user, office_id, data["user_id"])
    except FORM_ERRORS as err:  # a Conflict among them: already a focal point
        errors = field_errors(err, conflict_fields={"already-focal-point": "user_id"})
        return _focal_page(office_id, values, errors, form_status(err))
    flash(_("%(name)s is now a focal point of the office.", name=added["full_name"]))
    return _back(office_id)


@bp.post("/grievances/focal-points/<id:user_id>/remove")
@login_required
def remove_focal_point(user_id: int):
    """Stop a staff member being a focal point."""
    require(g.user, "grievances:focal_points")
    office_id = _office_id()
    glass.remove_focal_point(db.session, g.user, office_id, user_id)
    flash(_("They are no longer a focal point of the office."))
    return _back(office_id)


_QUERY = ("from", "to", "office_id")


@bp.get("/grievances/patterns")
@login_required
def patterns_page():
    """Counts of complaints by employer, recruiter, category, office, state and month."""
    require(g.user, "grievances:report")
    values = {k: request.args.get(k, "").strip()[:20] for k in _QUERY}
    errors, found, status = {}, None, 200
    try:
        args = PatternsQuerySchema().load({k: v for k, v in values.items() if v})
        found = patterns.patterns(db.session, g.user, date_from=args.get("date_from"),
                                  date_to=args.get("date_to"), office_id=args.get("office_id"))
    except (ValidationError, InvalidInput) as err:
        errors, status = field_errors(err), 422
    admin = Role(g.user.role) == Role.ADMIN
    offices = list(db.session.scalars(sa.select(Office).order_by(Office.name))) if admin else []
    return render_template("grievances/patterns.html", found=found, v=values, errors=errors,
                           offices=offices, tables=_tables(found) if found else []), status


def _tables(found) -> list[tuple[str, str, str, list[tuple[str, int]]]]:
    """Each heading's table: (id, caption, column title, [(label, count)])."""
    unattributed = _("Restricted (not attributed)")
    employers = [(r["name"], r["count"]) for r in found["by_employer"]]
    if found["restricted_employer"]:
        employers.append((unattributed, found["restricted_employer"]))
    recruiters = [(r["name"] if r["recruiter_id"] else _("%(name)s (not in the registry)",
                                                        name=r["name"]), r["count"])
                  for r in found["by_recruiter"]]
    if found["restricted_recruiter"]:
        recruiters.append((unattributed, found["restricted_recruiter"]))
    categories = {c.value: t for c, t in CATEGORY_TITLES.items()}
    states = {s.value: t for s, t in STATE_TITLES.items()}
    return [
        ("by-employer", _("By employer"), _("Employer"), employers),
        ("by-recruiter", _("By recruiter"), _("Recruiter"), recruiters),
        ("by-category", _("By category"), _("Category"),
         [(categories.get(r["category"], r["category"]), r["count"]) for r in found["by_category"]]),
        ("by-office", _("By office"), _("Office"), [(r["name"], r["count"])
                                                    for r in found["by_office"]]),
        ("by-state", _("By state"), _("State"),
         [(states.get(r["state"], r["state"]), r["count"]) for r in found["by_state"]]),
        ("by-month", _("By month"), _("Month"), [(r["month"], r["count"])
                                                 for r in found["by_month"]]),
    ]
