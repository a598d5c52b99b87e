"""Costs in the browser: the record page's Costs section (an Employer Pays breach shows as a
banner with its grievance, as the departure guard names it), a page to add or edit a cost, and
one to record a refund, through the API's schemas and services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.continuum.titles import choices, title
from journey.core.auth import User
from journey.core.db import db, load_owned
from journey.core.domains import Section
from journey.core.errors import Conflict
from journey.core.policy import allowed
from journey.core.versions import Precondition
from journey.costs import breaches, services, tables
from journey.costs.models import RECRUITMENT_COSTS, Cost
from journey.costs.rules import employer_pays_breach, employer_pays_warning
from journey.costs.schemas import CostSchema, CostUpdateSchema, RefundSchema
from journey.costs.titles import CATEGORY_TITLES, PAYER_TITLES
from journey.grievances.models import Grievance
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.web.forms import (
    FORM_ERRORS,
    conflict_view,
    field_errors,
    form_input,
    form_status,
    form_values,
)
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("cost_pages", __name__)

FIELDS = ("category", "amount", "currency", "paid_by", "should_have_paid", "paid_on",
          "placement_id", "employer_id", "recruiter_id", "evidence", "note")
_IDS = ("placement_id", "employer_id", "recruiter_id")
_NULLABLE = ("paid_on", "note", "should_have_paid", "evidence", "placement_id")


def _names(sess: Session, costs: list[Cost]) -> dict[str, dict[int, str]]:
    """The employers' and recruiters' names, and the grievances' references, the costs name."""
    employers = {c.employer_id for c in costs if c.employer_id}
    recruiters = {c.recruiter_id for c in costs if c.recruiter_id}
    grievances = {c.breach_grievance_id for c in costs if c.breach_grievance_id}
    r = tables.recruiters
    return {
        "employers": dict(sess.execute(sa.select(Employer.id, Employer.name)
                                       .where(Employer.id.in_(employers))).all())
        if employers else {},
        "recruiters": dict(sess.execute(sa.select(r.c.id, r.c.name)
                                        .where(r.c.id.in_(recruiters))).all())
        if recruiters else {},
        "grievances": dict(sess.execute(sa.select(Grievance.id, Grievance.reference)
                                        .where(Grievance.id.in_(grievances))).all())
        if grievances else {},
    }


def costs_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The record page's Costs section; recruitment costs paid by the migrant are flagged."""
    if not allowed(user, "costs:read"):
        return None
    costs = services.list_costs(sess, user, p.id)
    breaches_ = [c for c in costs if employer_pays_breach(c)]
    context = {"costs": costs, "breaches": {c.id for c in breaches_}, "open": breaches_,
               "warning": employer_pays_warning() if breaches_ else None,
               "can_record": allowed(user, "costs:record"),
               "can_refund": allowed(user, "costs:refund"), "title": title,
               "ilo": {c.value for c in RECRUITMENT_COSTS},
               "categories": CATEGORY_TITLES, "payers": PAYER_TITLES, **_names(sess, costs)}
    return Section("costs", _("Costs"), "costs/_section.html", context, order=40)


def _values(cost: Cost) -> dict[str, Any]:
    def text(value) -> str:
        return "" if value is None else str(value)

    return {"category": cost.category, "amount": str(cost.amount), "currency": cost.currency,
            "paid_by": cost.paid_by, "should_have_paid": text(cost.should_have_paid),
            "paid_on": cost.paid_on.isoformat() if cost.paid_on else "",
            "placement_id": text(cost.placement_id), "employer_id": text(cost.employer_id),
            "recruiter_id": text(cost.recruiter_id), "evidence": cost.evidence or "",
            "note": cost.note or "", "version": cost.version}


def _choices(sess: Session, p: Participant) -> dict[str, list[tuple[Any, str]]]:
    employers = dict(sess.execute(sa.select(Employer.id, Employer.name)
                                  .order_by(Employer.name)).all())
    r = tables.recruiters
    placements = []
    for row in services.placements_of(sess, p.id):
        start = row.contract_start.isoformat() if row.contract_start else "—"
        placements.append((row.id, _("%(employer)s, from %(start)s (%(status)s)",
                                     employer=employers.get(row.employer_id, row.employer_id),
                                     start=start, status=row.status)))
    return {"placements": placements, "employers": list(employers.items()),
            "recruiters": [tuple(x) for x in sess.execute(
                sa.select(r.c.id, r.c.name).order_by(r.c.name)).all()]}


def _page(p: Participant, cost: Cost | None, v: dict[str, Any], errors: dict[str, str],
          conflict: list | None = None, status: int = 200):
    return render_template(
        "costs/cost.html", p=p, cost=cost, v=v, errors=errors, conflict=conflict,
        categories=choices(CATEGORY_TITLES), payers=choices(PAYER_TITLES),
        ilo=[str(CATEGORY_TITLES[c.value]) for c in sorted(RECRUITMENT_COSTS)],
        warning=employer_pays_warning(), **_choices(db.session, p)), status


def _input(v: dict[str, Any]) -> dict[str, Any]:
    """The form as the schema's input. An empty employer or recruiter is the placement's (left
    out, the service takes the placement's), or none when no placement is chosen."""
    nullable = list(_NULLABLE)
    if not v.get("placement_id"):
        nullable += ["employer_id", "recruiter_id"]
    return form_input(v, ints=(*_IDS, "version"), nullable=nullable)


def _anchor(p: Participant):
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="costs"), 303)


def _flash_breach(cost: Cost) -> None:
    if employer_pays_breach(cost):
        flash(employer_pays_warning())
        if cost.breach_grievance_id:
            flash(_("A grievance about the recruitment fees was opened."))


@bp.get("/participants/<id:participant_id>/costs/new")
@login_required
def new_cost(participant_id: int):
    p = load_participant(db.session, g.user, participant_id, "costs:record")
    return _page(p, None, {}, {})


@bp.post("/participants/<id:participant_id>/costs/new")
@login_required
def create_cost(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "costs:record")
    v = form_values(FIELDS)
    try:
        cost = services.record_cost(sess, user, p.id, CostSchema().load(_input(v)))
    except FORM_ERRORS as err:
        return _page(p, None, v, field_errors(err), status=form_status(err))
    flash(_("Cost recorded."))
    _flash_breach(cost)
    return _anchor(p)


def _load(participant_id: int, cost_id: int, permission: str = "costs:record"
          ) -> tuple[Participant, Cost]:
    p = load_participant(db.session, g.user, participant_id, permission)
    return p, load_owned(db.session, Cost, cost_id, p.id, _("No such cost."))


@bp.get("/participants/<id:participant_id>/costs/<id:cost_id>")
@login_required
def edit_cost(participant_id: int, cost_id: int):
    p, cost = _load(participant_id, cost_id)
    return _page(p, cost, _values(cost), {})


def _labels() -> list[tuple[str, str]]:
    return [("category", _("Category")), ("amount", _("Amount")), ("currency", _("Currency")),
            ("paid_by", _("Paid by")), ("should_have_paid", _("Should have paid")),
            ("paid_on", _("Paid on")), ("placement_id", _("Placement")),
            ("employer_id", _("Held against the employer")),
            ("recruiter_id", _("Held against the recruiter")), ("evidence", _("Evidence")),
            ("note", _("Note"))]


@bp.post("/participants/<id:participant_id>/costs/<id:cost_id>")
@login_required
def update_cost(participant_id: int, cost_id: int):
    sess, user = db.session, g.user
    p, cost = _load(participant_id, cost_id)
    v = form_values((*FIELDS, "version"))
    try:
        data = CostUpdateSchema().load(_input(v))
        expected = Precondition(body=data.pop("version", None))
        services.update_cost(sess, user, p.id, cost.id, data, expected=expected)
    except FORM_ERRORS as err:
        conflict = None
        if isinstance(err, Conflict):
            sess.refresh(cost)
            conflict = conflict_view(_values(cost), v, _labels())
            v = {**v, "version": cost.version}
        return _page(p, cost, v, field_errors(err), conflict, status=form_status(err))
    flash(_("Cost updated."))
    _flash_breach(cost)
    return _anchor(p)


# --- refunds ------------------------------------------------------------------------------------

def _refund_page(p: Participant, cost: Cost, v: dict[str, Any], errors: dict[str, str],
                 status: int = 200):
    left = cost.amount - (cost.refund_amount or 0)
    return render_template("costs/refund.html", p=p, cost=cost, v=v, errors=errors, left=left,
                           category=title(CATEGORY_TITLES, cost.category)), status


@bp.get("/participants/<id:participant_id>/costs/<id:cost_id>/refund")
@login_required
def refund_form(participant_id: int, cost_id: int):
    p, cost = _load(participant_id, cost_id, "costs:refund")
    left = cost.amount - (cost.refund_amount or 0)
    return _refund_page(p, cost, {"amount": str(left), "version": cost.version}, {})


@bp.post("/participants/<id:participant_id>/costs/<id:cost_id>/refund")
@login_required
def refund(participant_id: int, cost_id: int):
    sess, user = db.session, g.user
    p, cost = _load(participant_id, cost_id, "costs:refund")
    v = form_values(("amount", "note", "version"))
    try:
        data = RefundSchema().load(form_input(v, ints=("version",), nullable=("note",)))
        expected = Precondition(body=data.pop("version", None))
        breaches.refund(sess, user, p.id, cost.id, data, expected=expected)
    except FORM_ERRORS as err:
        if isinstance(err, Conflict):
            sess.refresh(cost)
            v = {**v, "version": cost.version}
        return _refund_page(p, cost, v, field_errors(err), status=form_status(err))
    if employer_pays_breach(cost):
        flash(_("Refund recorded. Part of the cost is still to be given back: the breach stays "
                "open."))
    else:
        flash(_("Refund recorded. The Employer Pays breach is closed."))
    return _anchor(p)
