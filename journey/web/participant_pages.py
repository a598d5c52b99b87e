"""Participant pages: the caseload list, editing the record, and who holds the case (registering
is journey.registration.pages). Each form loads through the API's schema and calls the API's service
(journey.web.forms explains the pattern)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlmodel import select

from journey.core.auth import User
from journey.core.db import db
from journey.core.errors import Conflict, InvalidInput, TooManyRequests
from journey.core.i18n import _l
from journey.core.policy import allowed, participant_scope
from journey.core.versions import Precondition, parse_version
from journey.participants import assignment
from journey.participants import services as registry
from journey.participants.models import Participant
from journey.participants.schemas import ParticipantQuerySchema, ParticipantUpdateSchema
from journey.stages import Stage
from journey.web import display
from journey.web import participant_choices as choices
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("participant_pages", __name__)
# The list's query string refused: a page that says which filter to fix.
bp.register_error_handler(ValidationError, invalid_query_page)

FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "sex_self_described",
          "gender_identity", "nationality", "origin_country", "destination_country", "disability",
          "disability_details", "phone", "email", "language", "timezone", "channels", "office_id",
          "programme_id", "caseworker_id", "notes", "confirm_not_duplicate")
EDIT_FIELDS = tuple(f for f in FIELDS if f not in ("office_id", "caseworker_id")) + ("version",)
INTS = ("office_id", "programme_id", "caseworker_id")
_NULLABLE = ("sex_self_described", "gender_identity", "destination_country", "phone", "email",
             "disability_details", "notes", "programme_id")
DUPLICATE_CODES = ("possible-duplicate", "possible-duplicate-elsewhere")
_REQUIRED = ("given_name", "family_name", "date_of_birth", "sex", "nationality", "origin_country",
             "disability", "timezone", "language")
# The fields a conflict table compares, with their labels.
_CONFLICT_FIELDS = (
    ("given_name", _l("Given name")), ("family_name", _l("Family name")),
    ("date_of_birth", _l("Date of birth")), ("sex", _l("Sex")),
    ("sex_self_described", _l("Sex, as they describe it")),
    ("gender_identity", _l("Gender identity")), ("nationality", _l("Nationality")),
    ("origin_country", _l("Country of origin")), ("destination_country", _l("Destination")),
    ("disability", _l("Disability")), ("disability_details", _l("Disability details")),
    ("phone", _l("Phone")), ("email", _l("Email")), ("language", _l("Language")),
    ("timezone", _l("Time zone")), ("channels", _l("Messages by")),
    ("programme_id", _l("Programme")), ("notes", _l("Notes")),
)


# -- the caseload list -------------------------------------------------------------------------

def _list_args(user: User) -> tuple[dict[str, Any], str]:
    """The list's query string as ParticipantQuerySchema input (empty fields mean no filter), and
    the "Assigned to" choice: me, unassigned, anyone ("") or a user id (supervisors)."""
    raw: dict[str, Any] = {}
    for name in ("q", "page"):
        value = request.args.get(name, "").strip()
        if value:
            raw[name] = value
    stages = [s for s in request.args.getlist("stage") if s]
    if stages:
        raw["stage"] = stages
    assigned = request.args.get("assigned", "").strip()[:12]
    if assigned == "me":
        raw["caseworker_id"] = user.id
    elif assigned == "unassigned":
        raw["unassigned"] = True
    elif assigned and assignment.may_assign_anyone(user):
        raw["caseworker_id"] = assigned
    else:
        assigned = ""
    return ParticipantQuerySchema().load(raw), assigned


@bp.get("/participants")
@login_required
def participants():
    user = g.user
    if not allowed(user, "participants:read"):
        abort(403)
    args, assigned = _list_args(user)
    page = registry.search_participants(db.session, user, args)
    query = {"q": args.get("q"), "stage": args.get("stage"), "assigned": assigned}
    staff = []
    if assignment.may_assign_anyone(user) and user.office_id is not None:
        staff = assignment.assignable_users(db.session, user.office_id)
    return render_template(
        "participants/list.html", page=page, q=args.get("q", ""), stages=args.get("stage") or [],
        all_stages=list(Stage), query={k: v for k, v in query.items() if v}, assigned=assigned,
        staff=[(str(u.id), u.full_name) for u in staff if u.id != user.id],
        window=display.page_window(page["page"], page["pages"]),
        first=(page["page"] - 1) * page["per_page"] + 1,
    )


def duplicate_view(err: Conflict) -> dict[str, Any]:
    """What the refusal discloses about the match, and its id when the user may open it."""
    reference = err.extra.get("existing_reference")
    found = None
    if reference:
        found = db.session.scalar(select(Participant.id).where(
            Participant.reference == reference,
            participant_scope(g.user, Participant.id, Participant.office_id)))
    return {"message": err.detail, "reference": reference, "id": found,
            "matched_on": err.extra.get("matched_on")}


# -- edit --------------------------------------------------------------------------------------

def _saved(p: Participant) -> dict[str, Any]:
    """A record as the edit form's values."""
    out = {name: getattr(p, name) for name in EDIT_FIELDS if hasattr(p, name)}
    out["date_of_birth"] = p.date_of_birth.isoformat()
    out["channels"] = list(p.channels or [])
    out["version"] = p.version
    return out


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "channels": ", ".join(values.get("channels") or [])}


def _edit_form(p: Participant, values: dict[str, Any], errors: dict[str, str], status: int = 200,
               *, duplicate: dict | None = None, conflict: list | None = None):
    return render_template("participants/edit.html", p=p, v=values, errors=errors,
                           duplicate=duplicate, conflict=conflict,
                           c=choices.form_choices(db.session, g.user, office_id=p.office_id)), status


@bp.get("/participants/<id:participant_id>/edit")
@login_required
def edit_participant(participant_id: int):
    p = registry.load_participant(db.session, g.user, participant_id, "participants:update")
    return _edit_form(p, _saved(p), {})


@bp.post("/participants/<id:participant_id>/edit")
@login_required
def update_participant(participant_id: int):
    sess = db.session
    values = form_values(EDIT_FIELDS, multi=("channels",))
    version = parse_version(values.pop("version", "")) or 0
    try:
        raw = form_input(values, ints=INTS, nullable=_NULLABLE, booleans=("confirm_not_duplicate",))
        raw["channels"] = values["channels"]  # none ticked: no messages
        # A required field emptied is refused by the schema, not silently left as it was.
        raw.update({f: "" for f in _REQUIRED if values.get(f) == ""})
        data = ParticipantUpdateSchema().load(raw)
        p = registry.update_participant(sess, g.user, participant_id, data,
                                            expected=Precondition(body=version))
    except Conflict as err:
        sess.rollback()
        p = registry.load_participant(sess, g.user, participant_id, "participants:update")
        values["version"] = p.version if err.code == "stale-version" else version
        values["confirm_not_duplicate"] = ""
        if err.code in DUPLICATE_CODES:
            return _edit_form(p, values, {}, 409, duplicate=duplicate_view(err))
        if err.code != "stale-version":
            return _edit_form(p, values, field_errors(err), 409)
        rows = conflict_view(_comparable(_saved(p)), _comparable(values), _CONFLICT_FIELDS)
        return _edit_form(p, values, {}, 409, conflict=rows)
    except (ValidationError, InvalidInput) as err:
        sess.rollback()
        p = registry.load_participant(sess, g.user, participant_id, "participants:update")
        values["version"] = version
        return _edit_form(p, values, field_errors(err), form_status(err))
    except TooManyRequests as err:
        sess.rollback()
        p = registry.load_participant(sess, g.user, participant_id, "participants:update")
        values["version"] = version
        return _edit_form(p, values, {"_form": str(err.detail)}, 429)
    flash(_("The record is saved."))
    return redirect(url_for("web.participant", participant_id=p.id), 303)


# -- the assigned caseworker -------------------------------------------------------------------

@bp.post("/participants/<id:participant_id>/caseworker")
@login_required
def assign_caseworker(participant_id: int):
    """Reassign the case (supervisors and admins) or take an unassigned one (caseworkers)."""
    sess = db.session
    user = g.user
    value = request.form.get("caseworker_id", "").strip()[:12]
    if value == "me":
        value = str(user.id)
    raw = form_input({"caseworker_id": value}, ints=("caseworker_id",), nullable=("caseworker_id",))
    version = parse_version(request.form.get("version", "")) or 0
    try:
        data = ParticipantUpdateSchema(only=("caseworker_id",)).load(raw)
        registry.update_participant(sess, user, participant_id, data,
                                        expected=Precondition(body=version))
    except FORM_ERRORS as err:
        sess.rollback()
        errors = field_errors(err)
        flash(errors.get("caseworker_id") or errors.get("_form")
              or _("The case could not be reassigned."), "error")
        return redirect(url_for("web.participant", participant_id=participant_id) + "#assignment", 303)
    flash(_("The assigned caseworker is saved."))
    return redirect(url_for("web.participant", participant_id=participant_id), 303)
