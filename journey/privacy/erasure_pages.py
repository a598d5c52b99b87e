"""Staff pages: erase a participant's record (typing its reference to confirm), and set or lift
a legal hold. No scripts; every form posts, then redirects (POST-redirect-GET)."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import Conflict, InvalidInput
from journey.core.policy import allowed
from journey.participants.services import load_participant
from journey.privacy import erasure, holds
from journey.privacy.erasure_routes import check_confirmation
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

logger = logging.getLogger(__name__)

bp = html_blueprint("privacy_erasure_pages", __name__)


def _page(p, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          status: int = 200, refusal: str | None = None):
    sess = db.session
    standing = holds.standing(sess, p.id)
    context: dict[str, Any] = {
        "p": p, "errors": errors or {}, "v": values or {}, "refusal": refusal,
        "reasons": [(r.value, str(t)) for r, t in erasure.REASON_TITLES.items()
                    if r != erasure.ErasureReason.RETENTION],
        "hold_reasons": [(r.value, str(t)) for r, t in holds.HOLD_REASON_TITLES.items()],
        "hold_titles": {r.value: str(t) for r, t in holds.HOLD_REASON_TITLES.items()},
        "standing": standing,
        "vetoes": [str(erasure.VETO_MESSAGES.get(v, v)) for v in erasure.vetoes(sess, p)]
        if p.erased_at is None else [],
        "may_hold": allowed(g.user, "privacy:hold"),
    }
    return render_template("privacy/erase.html", **context), status


@bp.get("/participants/<id:participant_id>/privacy/erase")
@login_required
def erase_form(participant_id: int):
    """The erasure page: what erasing does, the holds, the form."""
    p = load_participant(db.session, g.user, participant_id, "privacy:erase")
    return _page(p)


@bp.post("/participants/<id:participant_id>/privacy/erase")
@login_required
def erase_post(participant_id: int):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "privacy:erase")
    values = {"reason": request.form.get("reason", "")[:40],
              "confirm_reference": request.form.get("confirm_reference", "")[:40]}
    errors = {}
    if values["reason"] not in {r for r, _t in erasure.REASON_TITLES.items()}:
        errors["reason"] = _("Choose a reason from the list.")
    try:
        check_confirmation(values["confirm_reference"], p.reference)
    except InvalidInput:
        errors["confirm_reference"] = _("Type the record's reference exactly.")
    if errors:
        return _page(p, errors=errors, values=values, status=422)
    try:
        erasure.erase(sess, p, actor_id=g.user.id, reason=values["reason"])
    except Conflict as err:
        return _page(p, values=values, status=409, refusal=err.detail)
    flash(_("The record was erased."))
    return redirect(url_for("privacy_erasure_pages.erase_form", participant_id=p.id), 303)


@bp.post("/participants/<id:participant_id>/privacy/legal-hold")
@login_required
def hold_post(participant_id: int):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "privacy:hold")
    reason = request.form.get("hold_reason", "")[:40]
    if reason not in {r.value for r in holds.HoldReason}:
        return _page(p, errors={"hold_reason": _("Choose a reason from the list.")}, status=422)
    try:
        holds.set_hold(sess, g.user, p, reason)
    except Conflict as err:
        return _page(p, status=409, refusal=err.detail)
    flash(_("The legal hold is set: the record cannot be erased until it is lifted."))
    return redirect(url_for("privacy_erasure_pages.erase_form", participant_id=p.id), 303)


@bp.post("/participants/<id:participant_id>/privacy/legal-hold/lift")
@login_required
def lift_post(participant_id: int):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "privacy:hold")
    try:
        holds.lift_hold(sess, g.user, p)
    except Conflict as err:
        return _page(p, status=409, refusal=err.detail)
    flash(_("The legal hold is lifted."))
    return redirect(url_for("privacy_erasure_pages.erase_form", participant_id=p.id), 303)
