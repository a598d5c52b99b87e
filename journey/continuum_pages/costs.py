"""Costs in the browser: the record page's Costs section (with the Employer Pays warning the
departure guard gives) and a page to add or edit a cost, through the API's schemas and services."""

from __future__ import annotations

from typing import Any

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
from journey.costs import services
from journey.costs.models import Cost
from journey.costs.rules import employer_pays_breach, employer_pays_warning
from journey.costs.schemas import CostSchema, CostUpdateSchema
from journey.costs.titles import CATEGORY_TITLES, PAYER_TITLES
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

FIELDS = ("category", "amount", "currency", "paid_by", "paid_on", "note")


def costs_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The record page's Costs section; recruitment costs paid by the migrant are flagged."""
    if not allowed(user, "costs:read"):
        return None
    costs = services.list_costs(sess, user, p.id)
    breaches = {c.id for c in costs if employer_pays_breach(c)}
    context = {"costs": costs, "breaches": breaches,
               "warning": employer_pays_warning() if breaches else None,
               "can_record": allowed(user, "costs:record"), "title": title,
               "categories": CATEGORY_TITLES, "payers": PAYER_TITLES}
    return Section("costs", _("Costs"), "costs/_section.html", context, order=40)


def _values(cost: Cost) -> dict[str, Any]:
    return {"category": cost.category, "amount": str(cost.amount), "currency": cost.currency,
            "paid_by": cost.paid_by, "paid_on": cost.paid_on.isoformat() if cost.paid_on else "",
            "note": cost.note or "", "version": cost.version}


def _page(p: Participant, cost: Cost | None, v: dict[str, Any], errors: dict[str, str],
          conflict: list | None = None, status: int = 200):
    return render_template(
        "costs/cost.html", p=p, cost=cost, v=v, errors=errors, conflict=conflict,
        categories=choices(CATEGORY_TITLES), payers=choices(PAYER_TITLES),
        warning=employer_pays_warning()), status


def _anchor(p: Participant):
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="costs"), 303)


def _flash_breach(cost: Cost) -> None:
    if employer_pays_breach(cost):
        flash(employer_pays_warning())


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
        cost = services.record_cost(sess, user, p.id, CostSchema().load(form_input(v)))
    except FORM_ERRORS as err:
        return _page(p, None, v, field_errors(err), status=form_status(err))
    flash(_("Cost recorded."))
    _flash_breach(cost)
    return _anchor(p)


def _load(participant_id: int, cost_id: int) -> tuple[Participant, Cost]:
    p = load_participant(db.session, g.user, participant_id, "costs:record")
    return p, load_owned(db.session, Cost, cost_id, p.id, _("No such cost."))


@bp.get("/participants/<id:participant_id>/costs/<id:cost_id>")
@login_required
def edit_cost(participant_id: int, cost_id: int):
    p, cost = _load(participant_id, cost_id)
    return _page(p, cost, _values(cost), {})


@bp.post("/participants/<id:participant_id>/costs/<id:cost_id>")
@login_required
def update_cost(participant_id: int, cost_id: int):
    sess, user = db.session, g.user
    p, cost = _load(participant_id, cost_id)
    v = form_values((*FIELDS, "version"))
    try:
        data = CostUpdateSchema().load(form_input(v, ints=("version",),
                                                  nullable=("paid_on", "note")))
        expected = Precondition(body=data.pop("version", None))
        services.update_cost(sess, user, p.id, cost.id, data, expected=expected)
    except FORM_ERRORS as err:
        conflict = None
        if isinstance(err, Conflict):
            sess.refresh(cost)
            labels = [("category", _("Category")), ("amount", _("Amount")),
                      ("currency", _("Currency")), ("paid_by", _("Paid by")),
                      ("paid_on", _("Paid on")), ("note", _("Note"))]
            conflict = conflict_view(_values(cost), v, labels)
            v = {**v, "version": cost.version}
        return _page(p, cost, v, field_errors(err), conflict, status=form_status(err))
    flash(_("Cost updated."))
    _flash_breach(cost)
    return _anchor(p)
