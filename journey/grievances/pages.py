"""The caseworkers' and supervisors' grievance pages: the list, intake (for a participant or an
unnamed person), one grievance with its history, its steps, notes, public replies and assignee.

Server-rendered, no script. Every form loads through the API's schema (journey.grievances.schemas)
and calls the same service, so a page refuses what the API refuses, with the same messages:
beside the field (422), a stale version as the conflict view (409), a refused step with its
unmet conditions (409), a restricted grievance as a plain explanation (403).

The tracking code is shown once, in the flash after intake: it is the complainant's only handle,
and no page shows it again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.auth import User
from journey.core.db import db
from journey.core.errors import Conflict, InvalidInput, ProblemError
from journey.core.policy import allowed, require
from journey.core.versions import Precondition
from journey.grievances import access, against, queries, services
from journey.grievances import page_forms as pf
from journey.grievances.models import Channel, Grievance
from journey.grievances.schemas import (
    AssigneeSchema,
    EntryCreateSchema,
    GrievanceCreateSchema,
    GrievanceQuerySchema,
    TransitionSchema,
)
from journey.grievances.states import TRANSITIONS_BY_EVENT, available_events
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.web import display
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_values
from journey.web.pagekit import error_page, html_blueprint, problem_page
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("grievance_pages", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)


@bp.errorhandler(ProblemError)
def _problem(err: ProblemError):
    """A restricted grievance says why (the generic 403 page says only "your role")."""
    if err.status == 403 and err.code == "restricted":
        return error_page(403, _("This grievance is restricted"), str(err.detail),
                          help_lines=[_("A supervisor can open it with a written reason.")])
    return problem_page(err)


# -- the list ----------------------------------------------------------------------------------

def _list_args() -> tuple[dict[str, Any], dict[str, Any]]:
    """The query string as GrievanceQuerySchema input, and the query the pager links keep."""
    raw: dict[str, Any] = {}
    for name in ("category", "severity", "sla_status", "q", "participant_id"):
        value = request.args.get(name, "").strip()
        if value:
            raw[name] = value
    states = [s for s in request.args.getlist("state") if s]
    if states:
        raw["state"] = states
    if request.args.get("open"):
        raw["open"] = "true"
    mine = bool(request.args.get("mine"))
    query = {**raw, **({"mine": "1"} if mine else {}), **({"open": "1"} if "open" in raw else {})}
    page = request.args.get("page", "1").strip()
    page_no = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 6 else 0
    if page_no < 1:
        raise ValidationError({"page": [_("The page number must be a whole number from 1 "
                                          "upwards.")]})
    raw["limit"], raw["offset"] = str(pf.PAGE_SIZE), str((page_no - 1) * pf.PAGE_SIZE)
    args = GrievanceQuerySchema().load(raw)
    if mine:
        args["assignee_id"] = g.user.id
    return args, query


@bp.get("/grievances")
@login_required
def grievances():
    """Grievances in the user's scope, newest first; restricted ones masked."""
    user = g.user
    access.require_read(user)
    args, query = _list_args()
    found = queries.listing(db.session, user, state=args.get("state"),
                            category=args.get("category"), severity=args.get("severity"),
                            sla_status=args.get("sla_status"), assignee_id=args.get("assignee_id"),
                            participant_id=args.get("participant_id"),
                            q=args.get("q"), open_only=args["open"], limit=args["limit"],
                            offset=args["offset"])
    pages = max(1, -(-found["total"] // pf.PAGE_SIZE))
    page_no = args["offset"] // pf.PAGE_SIZE + 1
    page = {"page": page_no, "pages": pages, "total": found["total"]}
    return render_template(
        "grievances/list.html", rows=pf.list_rows(db.session, found["items"]), page=page,
        window=display.page_window(page_no, pages), query=query, title=pf.title,
        states=pf.choices("state"), categories=pf.choices("category"),
        severities=pf.choices("severity"), slas=pf.choices("sla_status"),
        first=args["offset"] + 1)


# -- intake ------------------------------------------------------------------------------------

def _intake_page(p: Participant | None, v: dict[str, Any], errors: dict[str, str], status=200):
    return render_template("grievances/new.html", p=p, v=v, errors=errors,
                           **pf.intake_context(db.session, g.user)), status


def _participant(participant_id: int | None) -> Participant | None:
    if participant_id is None:
        return None
    return load_participant(db.session, g.user, participant_id)


@bp.get("/grievances/new")
@bp.get("/participants/<id:participant_id>/grievances/new")
@login_required
def new_grievance(participant_id: int | None = None):
    """The intake form, for a participant (in the user's scope) or for an unnamed person."""
    require(g.user, "grievances:create")
    p = _participant(participant_id)
    return _intake_page(p, pf.intake_defaults(g.user, p), {})


@bp.post("/grievances/new")
@bp.post("/participants/<id:participant_id>/grievances/new")
@login_required
def create_grievance(participant_id: int | None = None):
    sess, user = db.session, g.user
    require(user, "grievances:create")
    p = _participant(participant_id)
    values = form_values(pf.INTAKE_FIELDS)
    try:
        data = GrievanceCreateSchema().load(form_input(
            values, ints=pf.INTAKE_INTS, nullable=pf.INTAKE_NULLABLE))
        data.pop("participant_id", None)
        phone, email = data.pop("contact_phone", None), data.pop("contact_email", None)
        grievance, code = services.intake(
            sess, user, data, channel=Channel.STAFF, participant=p,
            contact_phone=None if p else phone, contact_email=None if p else email)
    except FORM_ERRORS as err:
        return _intake_page(p, values, field_errors(err), 422)
    # Shown this once: it is in no page, no log and no audit event afterwards.
    flash(_("Give the complainant this tracking code: %(code)s. It is shown only this once; "
            "it is also in the acknowledgement they receive.", code=code))
    return redirect(url_for("grievance_pages.grievance", grievance_id=grievance.id), 303)


# -- one grievance -----------------------------------------------------------------------------

def _history(gv: Grievance) -> list[dict[str, Any]]:
    found = queries.entries(db.session, gv)
    users = pf.names(db.session, User, {e.actor_id for e in found}, "full_name")
    out = []
    for e in found:
        if e.kind == "transition":
            what = pf.event_title(e.event)
        else:
            what = str(pf.ENTRY_TITLES.get(e.kind, e.kind))
        out.append({"entry": e, "what": what, "actor": users.get(e.actor_id),
                    "to_state": pf.title("state", e.to_state) if e.to_state else ""})
    return out


def _detail_context(gv: Grievance, full: bool) -> dict[str, Any]:
    sess, user = db.session, g.user
    zone = pf.office_zones(sess, {gv.office_id}).get(gv.office_id)
    people = pf.names(sess, User, {gv.assignee_id, gv.created_by}, "full_name")
    ctx: dict[str, Any] = {
        "gv": gv, "full": full, "title": pf.title, "zone": zone,
        "ack_due": pf.local_date(gv.ack_due_at, zone),
        "resolve_due": pf.local_date(gv.resolve_due_at, zone),
        "assignee": people.get(gv.assignee_id), "author": people.get(gv.created_by),
        "can_break_glass": not full and allowed(user, "grievances:break_glass"), "panels": [],
    }
    if not full:
        return ctx
    can_manage = allowed(user, "grievances:manage")
    participant = sess.get(Participant, gv.participant_id) if gv.participant_id else None
    employer = sess.get(Employer, gv.against_employer_id) if gv.against_employer_id else None
    recruiter = against.recruiter_names(sess, {gv.against_recruiter_id}).get(
        gv.against_recruiter_id)
    steps = [TRANSITIONS_BY_EVENT[e] for e in available_events(gv.state)] if can_manage else []
    appeals = sess.execute(sa.select(Grievance.id, Grievance.reference).where(
        Grievance.appeal_of_id == gv.id).order_by(Grievance.id)).all()
    ctx.update(participant=participant, employer=employer, recruiter=recruiter, steps=steps,
               can_manage=can_manage, history=_history(gv), appeals=appeals,
               staff=pf.staff_choices(sess, user, gv.office_id) if can_manage else [])
    ctx["panels"] = _panels(sess, user, gv)
    return ctx


def _panels(sess, user, gv: Grievance) -> list[tuple[str, dict]]:
    """What other domains add to the page (journey.referrals: the referrals made from the
    grievance, with their outcome): (template, context) pairs from the functions registered in
    app.extensions["grievance_panels"], so grievances need not import them."""
    out = []
    for template, panel in current_app.extensions.get("grievance_panels", ()):
        context = panel(sess, user, gv)
        if context is not None:
            out.append((template, context))
    return out


def _detail_page(gv: Grievance, full: bool, *, v=None, errors=None, form: str = "",
                 conflict=None, status: int = 200):
    return render_template("grievances/detail.html", v=v or {"version": gv.version},
                           errors=errors or {}, form=form, conflict=conflict,
                           **_detail_context(gv, full)), status


def _read(grievance_id: int) -> tuple[Grievance, bool]:
    return queries.read(db.session, g.user, grievance_id)


@bp.get("/grievances/<id:grievance_id>")
@login_required
def grievance(grievance_id: int):
    """One grievance: in full, or masked for a user outside its circle (the read is audited)."""
    gv, full = _read(grievance_id)
    return _detail_page(gv, full)


@bp.post("/grievances/<id:grievance_id>/entries")
@login_required
def add_entry(grievance_id: int):
    """An internal note, or a public reply (sent to the complainant)."""
    gv, full = _read(grievance_id)
    values = form_values(("body", "public"))
    try:
        data = EntryCreateSchema().load(form_input(values, booleans=("public",)))
        services.add_entry(db.session, g.user, gv, data["body"], public=data["public"])
    except FORM_ERRORS as err:
        return _detail_page(gv, full, v={**values, "version": gv.version},
                            errors=field_errors(err), form="entry", status=422)
    flash(_("The reply is saved and queued for the complainant.") if data["public"]
          else _("The note is saved."))
    return redirect(url_for("grievance_pages.grievance", grievance_id=gv.id,
                            _anchor="history"), 303)


@bp.post("/grievances/<id:grievance_id>/assignee")
@login_required
def assign(grievance_id: int):
    """Give the grievance to a caseworker or supervisor of its office, or to no one."""
    sess = db.session
    gv, full = _read(grievance_id)
    values = form_values(("assignee_id", "version"))
    try:
        data = AssigneeSchema().load(form_input(values, ints=("assignee_id", "version"),
                                                nullable=("assignee_id",)))
        services.assign(sess, g.user, gv, data["assignee_id"],
                        expected=Precondition(body=data.get("version")))
    except Conflict as err:
        sess.refresh(gv)
        staff = dict(pf.staff_choices(sess, g.user, gv.office_id))
        raw = values["assignee_id"]
        typed = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 11 else None
        rows = conflict_view({"assignee": staff.get(gv.assignee_id, "")},
                             {"assignee": staff.get(typed, "")},
                             [("assignee", _("Assigned to"))])
        return _detail_page(gv, full, v={**values, "version": gv.version},
                            errors=field_errors(err), form="assign", conflict=rows, status=409)
    except (ValidationError, InvalidInput) as err:
        return _detail_page(gv, full, v={**values, "version": gv.version},
                            errors=field_errors(err), form="assign", status=422)
    flash(_("The grievance is now assigned to %(name)s.",
            name=dict(pf.staff_choices(sess, g.user, gv.office_id)).get(gv.assignee_id))
          if gv.assignee_id else _("The grievance is now assigned to no one."))
    return redirect(url_for("grievance_pages.grievance", grievance_id=gv.id), 303)


# -- steps -------------------------------------------------------------------------------------

def _step(event: str):
    t = TRANSITIONS_BY_EVENT.get(event)
    if t is None:
        abort(404)
    return t


def _step_page(gv: Grievance, t, *, v: dict[str, Any], errors: dict[str, str],
               unmet: list[dict[str, str]] | None = None, refused: str | None = None,
               conflict=None, status: int = 200):
    return render_template(
        "grievances/step.html", gv=gv, t=t, v=v, errors=errors, unmet=unmet or [],
        refused=refused, conflict=conflict, title=pf.title, decisions=pf.choices("decision"),
        possible=t.event in available_events(gv.state)), status


@bp.get("/grievances/<id:grievance_id>/transitions/<event>")
@login_required
def step_form(grievance_id: int, event: str):
    """One step's form: what it asks for (a decision and summary, a note, the clock)."""
    t = _step(event)
    gv, _full = _read(grievance_id)
    require(g.user, "grievances:manage")
    services.require_full(db.session, g.user, gv)
    return _step_page(gv, t, v={"version": gv.version, "state": gv.state}, errors={})


@bp.post("/grievances/<id:grievance_id>/transitions/<event>")
@login_required
def step(grievance_id: int, event: str):
    sess = db.session
    t = _step(event)
    gv, _full = _read(grievance_id)
    values = form_values(pf.STEP_FIELDS)
    raw = form_input({k: values[k] for k in pf.STEP_FIELDS if k != "state"},
                     ints=("version",), booleans=("pause_clock",),
                     nullable=("note", "decision", "resolution_summary"))
    try:
        data = TransitionSchema().load({**raw, "event": event})
        expected = Precondition(body=data.pop("version", None))
        data.pop("event")
        _gv, appeal, code = services.transition(sess, g.user, gv, event, data, expected=expected)
    except Conflict as err:
        sess.refresh(gv)
        rows = conflict_view({"state": pf.title("state", gv.state), "version": gv.version},
                             {"state": pf.title("state", values["state"]),
                              "version": values["version"]},
                             [("state", _("State")), ("version", _("Version"))])
        return _step_page(gv, t, v={**values, "version": gv.version, "state": gv.state},
                          errors=field_errors(err), conflict=rows, status=409)
    except (ValidationError, InvalidInput) as err:
        return _step_page(gv, t, v=values, errors=field_errors(err), status=422)
    except services.TransitionRefused as err:
        return _step_page(gv, t, v=values, errors={}, unmet=err.extra.get("unmet"),
                          refused=str(err.detail), status=409)
    if appeal is not None:
        flash(_("The appeal %(reference)s is open. Give the complainant its tracking code: "
                "%(code)s. It is shown only this once.", reference=appeal.reference, code=code))
        return redirect(url_for("grievance_pages.grievance", grievance_id=appeal.id), 303)
    flash(_("Done: %(step)s. The grievance is now %(state)s.", step=t.title,
            state=pf.title("state", gv.state)))
    return redirect(url_for("grievance_pages.grievance", grievance_id=gv.id), 303)
