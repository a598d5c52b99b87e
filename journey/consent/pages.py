"""Consent on a participant's record page: the standing consent per purpose with its history
(a record section), and the forms to record and to withdraw it, through ConsentCreateSchema,
ConsentWithdrawSchema and the consent services, as the API does."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.consent import services
from journey.consent.models import Method, Purpose
from journey.consent.schemas import ConsentCreateSchema, ConsentWithdrawSchema
from journey.core.auth import User
from journey.core.db import db
from journey.core.domains import Section
from journey.core.i18n import _l
from journey.core.policy import allowed
from journey.participants.services import load_participant
from journey.web.display import method_title, purpose_title
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("consent_pages", __name__)

# A refusal of the service, shown beside the field it is about.
_CONFLICT_FIELDS = {"consent-already-given": "purpose", "no-active-consent": "method"}


def consent_section(sess: Session, user: User, p: Any) -> Section | None:
    """The record page's Consent section (the read is audited)."""
    if not allowed(user, "consent:read"):
        return None
    state = services.read_consents(sess, user, p)
    return Section("consent", _l("Consent"), "consent/section.html",
                   {**state, "can_record": allowed(user, "consent:record")}, order=5)


def _methods() -> list[tuple[str, str]]:
    return [(m.value, method_title(m.value)) for m in Method]


def _record_form(p, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    standing = services.current(services.history(db.session, p.id))
    purposes = [(x.value, purpose_title(x.value)) for x in Purpose if not standing[x.value]]
    return render_template("consent/record.html", p=p, v=values, errors=errors,
                           purposes=purposes, methods=_methods()), status


@bp.get("/participants/<id:participant_id>/consent/new")
@login_required
def record_consent(participant_id: int):
    p = load_participant(db.session, g.user, participant_id, "consent:record")
    return _record_form(p, {"method": "verbal"}, {})


@bp.post("/participants/<id:participant_id>/consent/new")
@login_required
def record_consent_post(participant_id: int):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "consent:record")
    values = form_values(("purpose", "method", "note"))
    try:
        data = ConsentCreateSchema().load(form_input(values))
        services.grant(sess, g.user, p, **data)
    except FORM_ERRORS as err:
        return _record_form(p, values, field_errors(err, conflict_fields=_CONFLICT_FIELDS),
                            form_status(err))
    flash(_("Consent for %(purpose)s is recorded.", purpose=purpose_title(data["purpose"])))
    return redirect(url_for("web.participant", participant_id=p.id) + "#consent", 303)


def _withdraw_form(p, purpose: str, values: dict[str, Any], errors: dict[str, str],
                   status: int = 200):
    return render_template("consent/withdraw.html", p=p, purpose=purpose, v=values,
                           errors=errors, methods=_methods()), status


def _purpose(purpose: str) -> str:
    if purpose not in {x.value for x in Purpose}:
        abort(404)
    return purpose


@bp.get("/participants/<id:participant_id>/consent/<purpose>/withdraw")
@login_required
def withdraw_consent(participant_id: int, purpose: str):
    p = load_participant(db.session, g.user, participant_id, "consent:record")
    return _withdraw_form(p, _purpose(purpose), {"method": "verbal"}, {})


@bp.post("/participants/<id:participant_id>/consent/<purpose>/withdraw")
@login_required
def withdraw_consent_post(participant_id: int, purpose: str):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "consent:record")
    purpose = _purpose(purpose)
    values = form_values(("method", "note"))
    try:
        data = ConsentWithdrawSchema().load(form_input(values))
        services.withdraw(sess, g.user, p, purpose=purpose, **data)
    except FORM_ERRORS as err:
        return _withdraw_form(p, purpose, values,
                              field_errors(err, conflict_fields=_CONFLICT_FIELDS), form_status(err))
    flash(_("Consent for %(purpose)s is withdrawn.", purpose=purpose_title(purpose)))
    return redirect(url_for("web.participant", participant_id=p.id) + "#consent", 303)
