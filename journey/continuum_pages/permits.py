"""Visas and permits in the browser: the record page's Permits section, and a page to add or
edit one, loaded through the API's PermitSchema / PermitUpdateSchema and the same services."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.continuum import services
from journey.continuum.models import Permit
from journey.continuum.schemas import PermitSchema, PermitUpdateSchema
from journey.continuum.titles import PERMIT_STATUS_TITLES, PERMIT_TYPE_TITLES, choices, title
from journey.continuum_pages.journey import employer_choices
from journey.core.auth import User
from journey.core.db import db, load_owned
from journey.core.domains import Section
from journey.core.errors import Conflict
from journey.core.policy import allowed
from journey.core.versions import Precondition
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("permit_pages", __name__)

FIELDS = ("type", "issuing_country", "number", "status", "applied_on", "decided_on", "issued_on",
          "expires_on", "employer_tied", "employer_id")
DATES = ("applied_on", "decided_on", "issued_on", "expires_on")


def permits_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The record page's Permits section (the read is audited: numbers are sensitive)."""
    if not allowed(user, "permits:read"):
        return None
    context = {"permits": services.read_permits(sess, user, p),
               "can_manage": allowed(user, "permits:manage"), "title": title,
               "types": PERMIT_TYPE_TITLES, "statuses": PERMIT_STATUS_TITLES}
    return Section("permits", _("Visas and permits"), "continuum/_permits.html", context, order=30)


def _values(permit: Permit) -> dict[str, Any]:
    v: dict[str, Any] = {name: getattr(permit, name) for name in FIELDS}
    for name in DATES:
        v[name] = v[name].isoformat() if v[name] else ""
    v["employer_tied"] = "yes" if permit.employer_tied else ""
    v["version"] = permit.version
    return v


def _page(p: Participant, permit: Permit | None, v: dict[str, Any], errors: dict[str, str],
          conflict: list | None = None, status: int = 200):
    return render_template(
        "continuum/permit.html", p=p, permit=permit, v=v, errors=errors, conflict=conflict,
        types=choices(PERMIT_TYPE_TITLES), statuses=choices(PERMIT_STATUS_TITLES),
        employers=employer_choices(db.session)), status


@bp.get("/participants/<id:participant_id>/permits/new")
@login_required
def new_permit(participant_id: int):
    p = load_participant(db.session, g.user, participant_id, "permits:manage")
    return _page(p, None, {"status": "planned", "issuing_country": p.destination_country or ""}, {})


@bp.post("/participants/<id:participant_id>/permits/new")
@login_required
def create_permit(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "permits:manage")
    v = form_values(FIELDS)
    try:
        data = PermitSchema().load(form_input(v, ints=("employer_id",),
                                              booleans=("employer_tied",)))
        services.record_permit(sess, user, p, data)
    except FORM_ERRORS as err:
        return _page(p, None, v, field_errors(err), status=form_status(err))
    flash(_("Permit recorded."))
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="permits"), 303)


def _load(participant_id: int, permit_id: int, permission: str) -> tuple[Participant, Permit]:
    p = load_participant(db.session, g.user, participant_id, permission)
    return p, load_owned(db.session, Permit, permit_id, p.id, _("No such permit."))


@bp.get("/participants/<id:participant_id>/permits/<id:permit_id>")
@login_required
def edit_permit(participant_id: int, permit_id: int):
    p, permit = _load(participant_id, permit_id, "permits:manage")
    return _page(p, permit, _values(permit), {})


@bp.post("/participants/<id:participant_id>/permits/<id:permit_id>")
@login_required
def update_permit(participant_id: int, permit_id: int):
    sess, user = db.session, g.user
    p, permit = _load(participant_id, permit_id, "permits:manage")
    v = form_values((*FIELDS, "version"))
    try:
        data = PermitUpdateSchema().load(form_input(
            v, ints=("employer_id", "version"), booleans=("employer_tied",),
            nullable=("number", "employer_id", *DATES)))
        expected = Precondition(body=data.pop("version", None))
        services.update_permit(sess, user, p, permit, data, expected=expected)
    except FORM_ERRORS as err:
        conflict = None
        if isinstance(err, Conflict):
            sess.refresh(permit)
            saved = _values(permit)
            labels = [(name, _label(name)) for name in FIELDS]
            conflict = conflict_view(saved, v, labels)
            v = {**v, "version": permit.version}
        return _page(p, permit, v, field_errors(err), conflict, status=form_status(err))
    flash(_("Permit updated."))
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="permits"), 303)


def _label(name: str) -> str:
    return {"type": _("Type"), "issuing_country": _("Issuing country"), "number": _("Number"),
            "status": _("Status"), "applied_on": _("Applied on"), "decided_on": _("Decided on"),
            "issued_on": _("Issued on"), "expires_on": _("Expires on"),
            "employer_tied": _("Tied to one employer"), "employer_id": _("Employer")}[name]
