"""The journey in the browser: a participant's stage and next steps (with the reasons a step
would be refused, evaluated before anyone tries), moves and overrides, and the checklist.

The forms load through the API's schemas (TransitionRequestSchema, ChecklistItemUpdateSchema)
and call the same services, so a page refuses what the API refuses, with the same messages.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.continuum import guards as guard_rules
from journey.continuum import services
from journey.continuum.models import ChecklistItem
from journey.continuum.schemas import ChecklistItemUpdateSchema, TransitionRequestSchema
from journey.continuum.stages import PREVIOUS, TRANSITIONS_BY_EVENT, Stage, Transition
from journey.continuum.titles import FIELD_TITLES, ITEM_STATUS_TITLES, choices, title
from journey.core.auth import User
from journey.core.db import db, load_owned, utcnow
from journey.core.domains import Section
from journey.core.errors import Conflict, InvalidInput, ProblemError
from journey.core.policy import allowed
from journey.core.versions import Precondition
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.web.display import stage_title
from journey.web.forms import conflict_view, field_errors, form_input, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("continuum_pages", __name__)

DATA_FIELDS = ("reason", "employer_id", "arrival_date", "return_date", "destination_country")
ITEM_FIELDS = ("status", "due_date", "evidence_note", "version")


# --- what the record page shows ------------------------------------------------------------------

def target_title(t: Transition, p: Participant) -> str:
    if t.target == PREVIOUS:
        return stage_title(p.previous_stage) if p.previous_stage else ""
    return Stage(t.target).title


def next_steps(sess: Session, p: Participant) -> list[dict[str, Any]]:
    """Each event out of the participant's stage, with the reasons its guards would refuse it
    now (in the reader's language): what the caseworker sees before trying."""
    ctx = guard_rules.GuardContext(sess, p, {}, utcnow().date())
    steps = []
    for event in services.available_events(p.stage):
        t = TRANSITIONS_BY_EVENT[event]
        steps.append({"event": event, "title": str(t.title), "target": target_title(t, p),
                      "required": t.required, "unmet": guard_rules.check(t.guards, ctx)})
    return steps


def employer_choices(sess: Session) -> list[tuple[int, str]]:
    return [(e.id, e.name) for e in sess.scalars(select(Employer).order_by(Employer.name))]


def stage_items(sess: Session, user: User, p: Participant) -> list[ChecklistItem]:
    """The checklist of the participant's current stage (the read is audited)."""
    return [i for i in services.read_checklist(sess, user, p) if i.stage == p.stage]


def journey_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The "Journey" part of a record page: stage, next steps, the stage's checklist."""
    if not allowed(user, "participants:read"):
        return None
    steps = next_steps(sess, p)
    can_move = allowed(user, "continuum:transition")
    context = {
        "steps": steps, "items": stage_items(sess, user, p),
        "can_move": can_move, "can_override": allowed(user, "continuum:override"),
        "can_tick": allowed(user, "continuum:checklist"),
        "employers": employer_choices(sess) if can_move and any(
            "employer_id" in s["required"] for s in steps) else [],
        "field_titles": FIELD_TITLES, "item_status": ITEM_STATUS_TITLES, "title": title,
    }
    return Section("journey", _("Journey"), "continuum/_section.html", context, order=10)


# --- moving a participant ------------------------------------------------------------------------

def _transition(event: str) -> Transition:
    t = TRANSITIONS_BY_EVENT.get(event)
    if t is None:
        abort(404)
    return t


def _move_page(p: Participant, t: Transition, *, v: dict[str, Any], errors: dict[str, str],
               unmet: list[dict[str, str]] | None = None, conflict: list | None = None,
               override: bool = False, status: int = 200):
    sess, user = db.session, g.user
    if unmet is None:
        step = next((s for s in next_steps(sess, p) if s["event"] == t.event), None)
        unmet = step["unmet"] if step else []
    possible = Stage(p.stage) in t.sources
    return render_template(
        "continuum/move.html", p=p, t=t, target=target_title(t, p), v=v, errors=errors,
        unmet=unmet, conflict=conflict, possible=possible,
        override=override or bool(unmet), can_override=allowed(user, "continuum:override"),
        employers=employer_choices(sess) if "employer_id" in t.required else [],
        field_titles=FIELD_TITLES), status


@bp.get("/participants/<id:participant_id>/move/<event>")
@login_required
def move_form(participant_id: int, event: str):
    """One step's form on its own page: its required fields, a note, and (for supervisors,
    when conditions are unmet) the override with its reason."""
    p = load_participant(db.session, g.user, participant_id, "continuum:transition")
    t = _transition(event)
    return _move_page(p, t, v={"version": p.version, "stage": p.stage}, errors={})


@bp.post("/participants/<id:participant_id>/move/<event>")
@login_required
def move(participant_id: int, event: str):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "continuum:transition")
    t = _transition(event)
    v = form_values((*DATA_FIELDS, "version", "stage", "override", "override_reason"))
    override = v["override"] == "yes"
    try:
        raw = form_input({k: v[k] for k in (*DATA_FIELDS, "version")},
                         ints=("employer_id", "version"))
        data = TransitionRequestSchema().load({**raw, "event": event})
        expected = Precondition(body=data.pop("version", None))
        for name in ("event", "override_reason"):
            data.pop(name, None)
        services.apply_transition(sess, user, p, event, data, expected=expected,
                                  override_reason=v["override_reason"] if override else None)
    except (ValidationError, InvalidInput) as err:
        return _move_page(p, t, v=v, errors=field_errors(err), override=override, status=422)
    except Conflict as err:
        sess.refresh(p)
        rows = conflict_view({"stage": stage_title(p.stage), "version": p.version},
                             {"stage": stage_title(v["stage"]), "version": v["version"]},
                             [("stage", _("Stage")), ("version", _("Version"))])
        return _move_page(p, t, v={**v, "version": p.version, "stage": p.stage},
                          errors=field_errors(err), conflict=rows, override=override,
                          status=409)
    except ProblemError as err:  # refused: guards unmet, not from this stage, override forbidden
        unmet = err.extra.get("unmet")
        errors = {} if unmet and err.status == 409 else field_errors(err)
        return _move_page(p, t, v=v, errors=errors, unmet=unmet, override=override,
                          status=err.status)
    flash(_("%(name)s moved to %(stage)s.", name=p.given_name, stage=stage_title(p.stage)))
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="journey"), 303)


# --- the checklist -------------------------------------------------------------------------------

def _item_context(p: Participant, item: ChecklistItem) -> dict[str, Any]:
    return {"p": p, "item": item, "statuses": choices(ITEM_STATUS_TITLES),
            "item_status": ITEM_STATUS_TITLES, "title": title}


def _item_values(item: ChecklistItem) -> dict[str, Any]:
    return {"status": item.status, "due_date": item.due_date.isoformat() if item.due_date else "",
            "evidence_note": item.evidence_note or "", "version": item.version}


def _load_item(participant_id: int) -> tuple[Participant, Any]:
    p = load_participant(db.session, g.user, participant_id, "continuum:checklist")
    return p, lambda item_id: load_owned(db.session, ChecklistItem, item_id, p.id,
                                         _("No such checklist item."))


@bp.get("/participants/<id:participant_id>/checklist/<id:item_id>")
@login_required
def item_form(participant_id: int, item_id: int):
    """One checklist item: status, due date and evidence."""
    p, load = _load_item(participant_id)
    item = load(item_id)
    return render_template("continuum/item.html", v=_item_values(item), errors={},
                           conflict=None, **_item_context(p, item))


@bp.post("/participants/<id:participant_id>/checklist/<id:item_id>")
@login_required
def update_item(participant_id: int, item_id: int):
    """Tick an item (the record page's buttons send only status and version) or edit it."""
    sess, user = db.session, g.user
    p, load = _load_item(participant_id)
    item = load(item_id)
    # Only the fields the form carries: a quick "Done" button must not clear the evidence.
    v = form_values([f for f in ITEM_FIELDS if f in request.form])
    try:
        data = ChecklistItemUpdateSchema().load(
            form_input(v, ints=("version",), nullable=("due_date", "evidence_note")))
        expected = Precondition(body=data.pop("version", None))
        if not expected:
            raise InvalidInput(errors=[{"field": "version", "code": "required",
                                        "message": _("Reload the page and try again.")}])
        services.update_item(sess, user, p, item, data, expected=expected)
    except (ValidationError, InvalidInput, Conflict) as err:
        status = 409 if isinstance(err, Conflict) else 422
        conflict = None
        shown = {**_item_values(item), **v}
        if isinstance(err, Conflict):
            sess.refresh(item)
            labels = [("status", _("Status")), ("due_date", _("Due date")),
                      ("evidence_note", _("Evidence"))]
            saved = _item_values(item)
            saved["status"] = title(ITEM_STATUS_TITLES, item.status)
            typed = {**saved, **v}
            typed["status"] = title(ITEM_STATUS_TITLES, v.get("status", item.status))
            conflict = conflict_view(saved, typed, labels)
            shown["version"] = item.version  # saving again keeps what this person typed
        return render_template("continuum/item.html", v=shown, errors=field_errors(err),
                               conflict=conflict, **_item_context(p, item)), status
    flash(_("%(item)s: %(status)s.", item=item.title, status=title(ITEM_STATUS_TITLES, item.status)))
    return redirect(url_for("web.participant", participant_id=p.id, _anchor="checklist"), 303)
