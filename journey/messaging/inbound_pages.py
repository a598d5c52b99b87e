"""Pages for texts people send us: answering a participant's reply or marking it handled (from
the record page's Timeline), and the triage of texts from unknown numbers (/messages/triage).

The forms load through the API's schemas (journey.messaging.inbound_schemas) and call the same
services (journey.messaging.inbound); who may triage is explained there.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import NotFound
from journey.messaging import inbound
from journey.messaging.inbound_schemas import REPLY_MAX, AttachSchema, DismissSchema, ReplySchema
from journey.messaging.pages import bp
from journey.participants.services import search_participants
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.routes import login_required


def _record_url(participant_id: int) -> str:
    return url_for("web.participant", participant_id=participant_id, _anchor="timeline")


def _text_of(participant_id: int, inbound_id: int, permission: str = "messages:reply"):
    """The participant's text (404 when it is not theirs or not in the user's scope)."""
    m, p = inbound.participant_text(db.session, g.user, inbound_id, permission)
    if p.id != participant_id:
        raise NotFound(_("No such message."))
    return m, p


@bp.post("/participants/<id:participant_id>/inbound/<id:inbound_id>/handled")
@login_required
def mark_handled(participant_id: int, inbound_id: int):
    """Mark a reply as dealt with, back to the record's timeline."""
    _text_of(participant_id, inbound_id)
    inbound.mark_handled(db.session, g.user, inbound_id)
    flash(_("The message is marked as handled."))
    return redirect(_record_url(participant_id), 303)


def _reply_page(m, p, values, errors, status=200):
    return render_template("messaging/reply.html", m=m, p=p, v=values, errors=errors,
                           maxlength=REPLY_MAX), status


@bp.get("/participants/<id:participant_id>/inbound/<id:inbound_id>/reply")
@login_required
def reply_form(participant_id: int, inbound_id: int):
    """The person's text and a box to answer it by SMS."""
    m, p = _text_of(participant_id, inbound_id)
    inbound.audit_text_read(db.session, g.user, m, p)
    return _reply_page(m, p, {}, {})


@bp.post("/participants/<id:participant_id>/inbound/<id:inbound_id>/reply")
@login_required
def reply_send(participant_id: int, inbound_id: int):
    """Queue the answer; errors beside the field, or why it cannot be sent."""
    m, p = _text_of(participant_id, inbound_id)
    values = form_values(("text",))
    try:
        data = ReplySchema().load(form_input(values))
        inbound.reply(db.session, g.user, inbound_id, data["text"])
    except FORM_ERRORS as err:
        return _reply_page(m, p, values, field_errors(err), form_status(err))
    flash(_("Your answer is queued to be sent by SMS."))
    return redirect(_record_url(participant_id), 303)


SEARCH_COLUMNS = ("id", "reference", "given_name", "family_name", "date_of_birth")


def _search(q: str):
    """Participants in the user's scope whose name or reference matches (to find a reference)."""
    if not q:
        return None
    return search_participants(db.session, g.user, {"q": q[:100], "per_page": 10},
                               columns=SEARCH_COLUMNS)


def _triage_page(errors=None, values=None, failed_id=None, status=200):
    found = inbound.triage(db.session, g.user)
    q = request.args.get("q", "").strip()
    return render_template("messaging/triage.html", found=found, errors=errors or {},
                           v=values or {}, failed_id=failed_id, q=q, matches=_search(q),
                           reasons=[(r.value, t) for r, t in _dismiss_titles().items()]), status


def _dismiss_titles():
    return {inbound.DismissReason.SPAM: _("Spam or advertising"),
            inbound.DismissReason.WRONG_NUMBER: _("Wrong number"),
            inbound.DismissReason.OTHER: _("Other: nothing to do")}


@bp.get("/messages/triage")
@login_required
def triage():
    """Texts from unknown numbers: attach each to a participant, or dismiss it."""
    return _triage_page()


@bp.post("/messages/triage/<id:inbound_id>/attach")
@login_required
def triage_attach(inbound_id: int):
    """Attach a text to the participant with the reference typed."""
    values = form_values(("reference",))
    try:
        data = AttachSchema().load(form_input(values))
        done = inbound.attach(db.session, g.user, inbound_id, data)
    except FORM_ERRORS as err:
        return _triage_page(field_errors(err), values, inbound_id, form_status(err))
    flash(_("The message is now on the record of %(reference)s.", reference=done["reference"]))
    return redirect(url_for("messaging_pages.triage"), 303)


@bp.post("/messages/triage/<id:inbound_id>/dismiss")
@login_required
def triage_dismiss(inbound_id: int):
    """Set a text aside with a reason."""
    values = form_values(("reason",))
    try:
        data = DismissSchema().load(form_input(values))
        inbound.dismiss(db.session, g.user, inbound_id, data)
    except FORM_ERRORS as err:
        return _triage_page(field_errors(err), values, inbound_id, form_status(err))
    flash(_("The message is dismissed."))
    return redirect(url_for("messaging_pages.triage"), 303)
