"""Bulk moves for supervisors and admins: choose participants from a filtered list (stage,
office, programme) and an event; the result is a table, one row per participant (moved, or
refused with its reasons), from the same services.bulk_transition as the API."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlmodel import select

from journey.continuum import services
from journey.continuum.schemas import BulkTransitionSchema
from journey.continuum.stages import TRANSITIONS, Stage
from journey.continuum.titles import FIELD_TITLES
from journey.continuum_pages.journey import employer_choices
from journey.core.db import db
from journey.core.errors import InvalidInput
from journey.core.policy import office_scope, require
from journey.organisations.models import Office
from journey.participants import services as participants
from journey.participants.models import Participant
from journey.participants.schemas import ParticipantQuerySchema
from journey.programmes.models import Programme
from journey.web.forms import field_errors, form_input, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("bulk_pages", __name__)

LIST_LIMIT = 100
FILTERS = ("stage", "office_id", "programme_id")
DATA_FIELDS = ("reason", "employer_id", "arrival_date", "return_date", "destination_country")
COLUMNS = ("id", "reference", "given_name", "family_name", "stage", "office_id")


def _filters(source) -> tuple[dict[str, str], dict[str, Any]]:
    """The list's filters as typed (to show again) and as loaded by the participants' schema."""
    typed = {name: source.get(name, "").strip()[:40] for name in FILTERS}
    raw: dict[str, Any] = form_input(typed, ints=("office_id", "programme_id"))
    if "stage" in raw:
        raw["stage"] = [raw["stage"]]
    return typed, ParticipantQuerySchema().load({**raw, "per_page": LIST_LIMIT})


def _page(typed: dict[str, str], args: dict[str, Any] | None, *, v: dict[str, Any],
          errors: dict[str, str], result: dict[str, Any] | None = None, status: int = 200):
    sess, user = db.session, g.user
    page = participants.search_participants(sess, user, args, columns=COLUMNS) if args else None
    scope = office_scope(user)
    offices = sess.scalars(select(Office).order_by(Office.code) if scope is None
                           else select(Office).where(Office.id == scope)).all()
    programmes = sess.scalars(select(Programme).order_by(Programme.code)).all()
    people = {}
    if result:
        ids = [r["participant_id"] for r in result["results"] if r["result"] != "not_found"]
        stmt = participants.filtered_query(user, {}).where(Participant.id.in_(ids))
        people = {p.id: p for p in sess.scalars(stmt)}
    return render_template(
        "continuum/bulk.html", typed=typed, page=page, v=v, errors=errors, result=result,
        people=people, stages=[(s.value, s.title) for s in Stage],
        offices=[(o.id, f"{o.code} · {o.name}") for o in offices],
        programmes=[(p.id, f"{p.code} · {p.name}") for p in programmes],
        events=[(t.event, str(t.title)) for t in TRANSITIONS], employers=employer_choices(sess),
        field_titles=FIELD_TITLES, limit=LIST_LIMIT), status


@bp.get("/participants/bulk-move")
@login_required
def bulk_move_form():
    require(g.user, "continuum:override")
    try:
        typed, args = _filters(request.args)
    except ValidationError as err:
        return _page({n: "" for n in FILTERS}, None, v={}, errors=field_errors(err), status=422)
    return _page(typed, args, v={"participant_ids": []}, errors={})


@bp.post("/participants/bulk-move")
@login_required
def bulk_move():
    user = g.user
    require(user, "continuum:override")
    try:
        typed, args = _filters(request.form)
    except ValidationError:
        typed, args = {n: "" for n in FILTERS}, None
    v = form_values(("event", *DATA_FIELDS, "override_reason", "participant_ids"),
                    multi=("participant_ids",))
    try:
        raw = form_input({k: v[k] for k in ("event", *DATA_FIELDS, "override_reason")},
                         ints=("employer_id",))
        ids = [int(i) if i.isascii() and i.isdigit() and len(i) < 11 else i
               for i in v["participant_ids"]]
        if not ids:
            raise InvalidInput(errors=[{"field": "participant_ids", "code": "required",
                                        "message": _("Choose at least one participant.")}])
        data = BulkTransitionSchema().load({**raw, "participant_ids": ids})
        event = data.pop("event")
        override = data.pop("override_reason", None)
        result = services.bulk_transition(db.session, user, event,
                                          participant_ids=data.pop("participant_ids"),
                                          filters=None, data=data, override_reason=override)
    except (ValidationError, InvalidInput) as err:
        return _page(typed, args, v=v, errors=field_errors(err), status=422)
    return _page(typed, args, v={"participant_ids": [], "event": v["event"]}, errors={},
                 result=result)
