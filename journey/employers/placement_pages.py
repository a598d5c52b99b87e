"""Pages of placements and onboarding: the placement page (its steps, confirmed on the employer's
behalf, contested in the participant's words, or sent as a signed link to a contact; retention;
ending it), the record page's Placement section, and the public page of a signed link (no login).

Forms go through the API's schemas and services (journey.employers.placement_schemas, .steps,
.placement_services); nothing here decides who sees what.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.db import db
from journey.core.domains import Section
from journey.core.i18n import _l, code_title
from journey.core.policy import allowed
from journey.employers import placement_services as services
from journey.employers import steps
from journey.employers.access import is_employer
from journey.employers.models import (
    STEP_STATUS_TITLES,
    EmployerContact,
    OnboardingStep,
    Placement,
    PlacementStatus,
)
from journey.employers.placement_schemas import (
    LinkConfirmSchema,
    LinkCreateSchema,
    PlacementEndSchema,
    RetentionRecordSchema,
    StepContestSchema,
)
from journey.grievances.models import Channel
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("placement_pages", __name__,
                    gone=lambda: (_("This link no longer works"),
                                  _("It was already used, or it has expired. Ask the centre that "
                                    "sent it for a new link if the step is still to confirm.")))


def _titles() -> dict[str, Any]:
    return {"step_name": lambda key: str(steps.step_title(key)),
            "status": lambda code: code_title(STEP_STATUS_TITLES, code),
            "placement_status": lambda code: code_title(services.PLACEMENT_STATUS_TITLES, code),
            "end_reason": lambda code: code_title(services.END_REASON_TITLES, code)}


# --- the record page's section -------------------------------------------------------------------

def placement_section(sess: Session, user: User, participant: Any) -> Section | None:
    """The record page's "Placement": the active (else the latest) placement and its steps,
    for someone ever placed."""
    if not allowed(user, "placements:read"):
        return None
    placement_id = sess.scalar(
        sa.select(Placement.id).where(Placement.participant_id == participant.id)
        .order_by((Placement.status == PlacementStatus.ACTIVE.value).desc(),
                  Placement.id.desc()).limit(1))
    if placement_id is None:
        return None  # never placed: no empty card on every record
    found = services.read_placement(sess, user, placement_id)
    employer = sess.get(Employer, found["placement"].employer_id)
    return Section("placement", _l("Placement"), "employers/placements/_section.html",
                   {"found": found, "employer": employer, **_titles()}, order=45)


# --- the list of placements ----------------------------------------------------------------------

@bp.get("/placements")
@login_required
def placements():
    """The placements the user sees, newest first, by status (staff: their participants')."""
    sess, user = db.session, g.user
    status = request.args.get("status") or None
    errors: dict[str, str] = {}
    try:
        rows = services.list_placements(sess, user, status=status)
    except FORM_ERRORS as err:
        errors, rows = field_errors(err), []
    people, employers, waiting = {}, {}, {}
    if rows:
        people = {p.id: p for p in sess.scalars(sa.select(Participant).where(
            Participant.id.in_(sorted({r.participant_id for r in rows}))))}
        employers = {i: name for i, name in sess.execute(sa.select(Employer.id, Employer.name)
                     .where(Employer.id.in_(sorted({r.employer_id for r in rows}))))}
        waiting = {i: n for i, n in sess.execute(
            sa.select(OnboardingStep.placement_id, sa.func.count())
            .where(OnboardingStep.placement_id.in_([r.id for r in rows]),
                   OnboardingStep.status == "waiting")
            .group_by(OnboardingStep.placement_id))}
    statuses = [(s.value, str(t)) for s, t in services.PLACEMENT_STATUS_TITLES.items()]
    return render_template("employers/placements/list.html", rows=rows, people=people,
                           employers=employers, waiting=waiting, chosen=status or "",
                           statuses=statuses, staff=not is_employer(user), errors=errors,
                           **_titles()), 422 if errors else 200


# --- the placement page --------------------------------------------------------------------------

def _page(sess: Session, user: User, placement_id: int, *, errors: dict[str, str] | None = None,
          v: dict[str, Any] | None = None, status: int = 200):
    found = services.read_placement(sess, user, placement_id)
    placement: Placement = found["placement"]
    participant = sess.get(Participant, placement.participant_id)
    contacts = list(sess.scalars(sa.select(EmployerContact).where(
        EmployerContact.employer_id == placement.employer_id,
        EmployerContact.removed_at.is_(None), EmployerContact.email.is_not(None))
        .order_by(EmployerContact.name, EmployerContact.id)))
    return render_template(
        "employers/placements/placement.html", found=found, pl=placement,
        seen_steps=[steps.present_step(s, user) for s in found["steps"]],
        participant=participant, staff=not is_employer(user),
        employer=sess.get(Employer, placement.employer_id),
        rehires=services.rehires(sess, placement),
        links=steps.links_of(sess, [s.id for s in found["steps"]]),
        has_contacts=bool(contacts),
        can_confirm=allowed(user, "onboarding:confirm"),
        can_contest=allowed(user, "onboarding:contest"),
        can_send=allowed(user, "onboarding:send_link"),
        can_record=allowed(user, "retention:record"),
        can_manage=allowed(user, "placements:manage"),
        reasons=[(r.value, str(t)) for r, t in services.END_REASON_TITLES.items()],
        errors=errors or {}, v=v or {}, **_titles()), status


def _back(placement_id: int, anchor: str | None = None):
    return redirect(url_for("placement_pages.placement", placement_id=placement_id,
                            _anchor=anchor), 303)


@bp.get("/placements/<id:placement_id>")
@login_required
def placement(placement_id: int):
    return _page(db.session, g.user, placement_id)


@bp.post("/placements/<id:placement_id>/steps/<id:step_id>/confirm")
@login_required
def confirm(placement_id: int, step_id: int):
    sess, user = db.session, g.user
    try:
        steps.confirm_step(sess, user, step_id, placement_id=placement_id)
    except FORM_ERRORS as err:
        sess.rollback()
        return _page(sess, user, placement_id, errors=field_errors(err), status=form_status(err))
    flash(_("Step confirmed. The participant is told, and can contest it."))
    return _back(placement_id, f"step-{step_id}")


def _step_form(template: str, placement_id: int, step_id: int, permission: str, *,
               v: dict[str, Any], errors: dict[str, str], status: int = 200, **extra: Any):
    sess, user = db.session, g.user
    step, placement = steps.load_step(sess, user, step_id, permission, placement_id=placement_id)
    participant = sess.get(Participant, placement.participant_id)
    return render_template(template, step=step, pl=placement, participant=participant,
                           v=v, errors=errors, **_titles(), **extra), status


@bp.get("/placements/<id:placement_id>/steps/<id:step_id>/contest")
@login_required
def contest_form(placement_id: int, step_id: int):
    return _step_form("employers/placements/contest.html", placement_id, step_id,
                      "onboarding:contest", v={}, errors={})


@bp.post("/placements/<id:placement_id>/steps/<id:step_id>/contest")
@login_required
def contest(placement_id: int, step_id: int):
    sess, user = db.session, g.user
    v = form_values(("text",))
    try:
        data = StepContestSchema().load(form_input(v))
        grievance = steps.contest_step(sess, user, step_id, text=data["text"],
                                       channel=Channel.STAFF, placement_id=placement_id)
    except FORM_ERRORS as err:
        sess.rollback()
        return _step_form("employers/placements/contest.html", placement_id, step_id,
                          "onboarding:contest", v=v, errors=field_errors(err),
                          status=form_status(err))
    flash(_("Contest recorded: grievance %(reference)s is open against the employer, and the "
            "participant is sent its receipt.", reference=grievance.reference))
    return _back(placement_id, f"step-{step_id}")


def _contacts(sess: Session, placement: Placement) -> list[tuple[int, str]]:
    return [(c.id, f"{c.name} <{c.email}>") for c in sess.scalars(
        sa.select(EmployerContact).where(EmployerContact.employer_id == placement.employer_id,
                                         EmployerContact.removed_at.is_(None),
                                         EmployerContact.email.is_not(None))
        .order_by(EmployerContact.name, EmployerContact.id))]


@bp.get("/placements/<id:placement_id>/steps/<id:step_id>/link")
@login_required
def link_form(placement_id: int, step_id: int):
    sess, user = db.session, g.user
    _step, placement = steps.load_step(sess, user, step_id, "onboarding:send_link",
                                       placement_id=placement_id)
    return _step_form("employers/placements/link.html", placement_id, step_id,
                      "onboarding:send_link", v={}, errors={},
                      contacts=_contacts(sess, placement), days=steps.link_days())


@bp.post("/placements/<id:placement_id>/steps/<id:step_id>/link")
@login_required
def send_link(placement_id: int, step_id: int):
    sess, user = db.session, g.user
    v = form_values(("contact_id",))
    try:
        data = LinkCreateSchema().load(form_input(v, ints=("contact_id",)))
        steps.issue_link(sess, user, step_id, contact_id=data["contact_id"],
                         placement_id=placement_id)
    except FORM_ERRORS as err:
        sess.rollback()
        _step, placement = steps.load_step(sess, user, step_id, "onboarding:send_link",
                                           placement_id=placement_id)
        return _step_form("employers/placements/link.html", placement_id, step_id,
                          "onboarding:send_link", v=v, errors=field_errors(err),
                          status=form_status(err), contacts=_contacts(sess, placement),
                          days=steps.link_days())
    flash(_("The link is on its way to the contact by email. It works once, for %(days)d "
            "days.", days=steps.link_days()))
    return _back(placement_id, f"step-{step_id}")


@bp.post("/placements/<id:placement_id>/retention")
@login_required
def retention(placement_id: int):
    sess, user = db.session, g.user
    v = form_values(("months", "retained"))
    try:
        data = RetentionRecordSchema().load(form_input(v, ints=("months",)))
        services.record_retention(sess, user, placement_id, months=data["months"],
                                  retained=data["retained"])
    except FORM_ERRORS as err:
        sess.rollback()
        return _page(sess, user, placement_id, errors=field_errors(err), status=form_status(err))
    flash(_("Retention recorded."))
    return _back(placement_id, "retention")


@bp.post("/placements/<id:placement_id>/end")
@login_required
def end(placement_id: int):
    sess, user = db.session, g.user
    v = form_values(("reason",))
    try:
        data = PlacementEndSchema().load(form_input(v))
        services.end_placement(sess, user, placement_id, reason=data["reason"])
    except FORM_ERRORS as err:
        sess.rollback()
        return _page(sess, user, placement_id, errors=field_errors(err), v=v,
                     status=form_status(err))
    flash(_("Placement ended."))
    return _back(placement_id)


# --- the signed link (no login) ------------------------------------------------------------------

def _public(token: str, seen: dict[str, Any], *, errors: dict[str, str] | None = None,
            v: dict[str, Any] | None = None, status: int = 200):
    return render_template("employers/onboarding/confirm.html", token=token, seen=seen,
                           lang=request.args.get("lang"), errors=errors or {}, v=v or {},
                           done=False), status


@bp.get("/onboarding/confirm/<token>")
def link_page(token: str):
    """The step a link confirms and the worker's first name, with a confirm button."""
    return _public(token, steps.view_link(db.session, token))


@bp.post("/onboarding/confirm/<token>")
def link_confirm(token: str):
    sess = db.session
    v = form_values(("note",))
    try:
        data = LinkConfirmSchema().load(form_input(v, nullable=("note",)))
    except FORM_ERRORS as err:
        return _public(token, steps.view_link(sess, token), errors=field_errors(err), v=v,
                       status=form_status(err))
    step = steps.use_link(sess, token, note=data.get("note"))
    worker = sess.scalar(sa.select(Participant.given_name).join(
        Placement, Placement.participant_id == Participant.id).where(
        Placement.id == step.placement_id))
    return render_template("employers/onboarding/confirm.html", token=token, done=True,
                           seen={"title": steps.step_title(step.key), "worker": worker},
                           lang=request.args.get("lang"), errors={}, v={})

