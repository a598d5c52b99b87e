"""The register page: ParticipantRegistrationSchema and journey.continuum.intake, as the API's
POST /participants/. A likely duplicate shows what the refusal discloses and a "This is a
different person" box that resubmits everything typed with confirm_not_duplicate."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.continuum import intake
from journey.continuum.schemas import ParticipantRegistrationSchema
from journey.core.db import db
from journey.core.errors import Conflict, InvalidInput, TooManyRequests
from journey.core.policy import allowed
from journey.web import participant_choices as choices
from journey.web.forms import field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.participant_pages import DUPLICATE_CODES, FIELDS, INTS, duplicate_view
from journey.web.routes import login_required

bp = html_blueprint("registration_pages", __name__)


def _new_form(values: dict[str, Any], errors: dict[str, str], status: int = 200,
              duplicate: dict[str, Any] | None = None):
    return render_template("participants/new.html", v=values, errors=errors, duplicate=duplicate,
                           c=choices.form_choices(db.session, g.user)), status


@bp.get("/participants/new")
@login_required
def new_participant():
    if not allowed(g.user, "participants:create"):
        abort(403)
    values = {"office_id": g.user.office_id, "disability": "unknown", "channels": ["sms"]}
    return _new_form(values, {})


@bp.post("/participants/new")
@login_required
def create_participant():
    if not allowed(g.user, "participants:create"):
        abort(403)
    values = form_values(FIELDS, multi=("channels",))
    try:
        data = ParticipantRegistrationSchema().load(
            form_input(values, ints=INTS, booleans=("confirm_not_duplicate",)))
        p = intake.register_participant(db.session, g.user, data)
    except Conflict as err:
        if err.code not in DUPLICATE_CODES:
            return _new_form(values, field_errors(err), 409)
        db.session.rollback()
        values["confirm_not_duplicate"] = ""
        return _new_form(values, {}, 409, duplicate=duplicate_view(err))
    except (ValidationError, InvalidInput) as err:
        return _new_form(values, field_errors(err), form_status(err))
    except TooManyRequests as err:
        return _new_form(values, {"_form": str(err.detail)}, 429)
    flash(_("%(name)s is registered.", name=f"{p.given_name} {p.family_name}"))
    return redirect(url_for("web.participant", participant_id=p.id), 303)
