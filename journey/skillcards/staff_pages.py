"""Staff pages for the return skill form and the skill cards: open the form, make its link or
send it by SMS in the returnee's language, confirm it with them (which issues the card), and
revoke a card.

Each action calls the same service as its API endpoint (journey.skillcards.routes).
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import NotFound
from journey.core.policy import allowed
from journey.core.versions import Precondition, parse_version
from journey.participants.services import load_participant
from journey.skillcards import services, sms
from journey.skillcards.models import FormStatus
from journey.skillcards.schemas import SkillCardRevokeSchema, SkillFormCompleteSchema
from journey.web.display import language_name
from journey.web.forms import FORM_ERRORS, field_errors, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("skillcard_staff_pages", __name__,
                    headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})

_BASE = "/participants/<id:participant_id>/skill-form"


def _page(participant_id: int, permission: str = "skillcards:read"):
    sess = db.session
    return sess, load_participant(sess, g.user, participant_id, permission)


def _render(p, *, errors=None, link=None, revoke=None, status=200):
    sess, user = db.session, g.user
    form = services.current_form(sess, p)
    if form is not None:
        form = services.read_form(sess, user, p)
    return render_template(
        "skillcards/staff.html", p=p, form=form, link=link, errors=errors or {},
        revoke=revoke or {"card_id": None, "v": {}, "errors": {}},
        open_status=FormStatus.OPEN.value, cards=services.list_cards(sess, user, p),
        verification_url=services.verification_url, language=language_name(p.language),
        can_manage=allowed(user, "skillcards:manage"),
        can_revoke=allowed(user, "skillcards:revoke")), status


def _done(p, message: str):
    flash(message)
    return redirect(url_for("skillcard_staff_pages.skill_form", participant_id=p.id), 303)


@bp.get(_BASE)
@login_required
def skill_form(participant_id: int):
    """The form's state, what can be done with it, and the participant's skill cards."""
    _sess, p = _page(participant_id)
    return _render(p)


@bp.post(f"{_BASE}/open")
@login_required
def open_form(participant_id: int):
    sess, p = _page(participant_id, "skillcards:manage")
    try:
        services.open_form(sess, g.user, p)
    except FORM_ERRORS as err:
        return _render(p, errors=field_errors(err), status=form_status(err))
    return _done(p, _("Skill form opened, pre-filled from the passport."))


def _open(sess, p):
    form = services.current_form(sess, p)
    if form is None:
        raise NotFound(_("No skill form is open for this participant."), code="no-skill-form")
    return form


@bp.post(f"{_BASE}/link")
@login_required
def create_link(participant_id: int):
    sess, p = _page(participant_id, "skillcards:manage")
    try:
        link = services.create_link(sess, g.user, p, _open(sess, p))
    except FORM_ERRORS as err:
        return _render(p, errors=field_errors(err), status=form_status(err))
    # Shown on this answer only: the address is not stored, so no redirect.
    return _render(p, link=link, status=201)


@bp.post(f"{_BASE}/sms")
@login_required
def send_link(participant_id: int):
    sess, p = _page(participant_id, "skillcards:manage")
    try:
        sent = sms.send_link(sess, g.user, p, _open(sess, p))
    except FORM_ERRORS as err:
        return _render(p, errors=field_errors(err), status=form_status(err))
    return _done(p, _("The link was sent by SMS, in %(language)s.",
                      language=language_name(sent["language"])))


@bp.post(f"{_BASE}/complete")
@login_required
def complete(participant_id: int):
    """Confirm the answers as they stand, with the returnee, and issue the card."""
    sess, p = _page(participant_id, "skillcards:manage")
    version = parse_version(request.form.get("version", ""))
    try:
        SkillFormCompleteSchema().load({"version": version or 0})
        card = services.complete_form(sess, g.user, p, _open(sess, p), answers=None,
                                      expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        return _render(p, errors=field_errors(err), status=form_status(err))
    return _done(p, _("Skill card %(number)s issued.", number=card.number))


@bp.post("/participants/<id:participant_id>/skill-cards/<id:card_id>/revoke")
@login_required
def revoke_card(participant_id: int, card_id: int):
    sess, p = _page(participant_id, "skillcards:revoke")
    card = services.get_card(sess, p, card_id)
    values = form_values(("reason",))
    try:
        data = SkillCardRevokeSchema().load({k: v for k, v in values.items() if v})
        services.revoke_card(sess, g.user, p, card, data["reason"])
    except FORM_ERRORS as err:
        return _render(p, revoke={"card_id": card.id, "v": values, "errors": field_errors(err)},
                       status=form_status(err))
    return _done(p, _("Skill card %(number)s revoked.", number=card.number))
