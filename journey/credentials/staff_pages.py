"""Staff pages for credentials: issue an Open Badges credential (the whole passport, or one
qualification or skill), list the participant's credentials with their public verify pages.

The form loads through CredentialCreateSchema and calls credentials.services.issue, exactly as
POST /participants/<id>/credentials does.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.policy import allowed
from journey.credentials import services
from journey.credentials.models import Scope
from journey.credentials.schemas import CredentialCreateSchema
from journey.participants.services import load_participant
from journey.passports.services import current_entries
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("credential_staff_pages", __name__)

def _scope_titles() -> dict[str, str]:
    return {Scope.PASSPORT.value: _("The whole passport"),
            Scope.ENTRY.value: _("One qualification or skill"),
            Scope.SKILL_CARD.value: _("Skill card")}


def verify_url(cred) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{cred.uuid}"


def _render(p, *, values=None, errors=None, status=200):
    sess, user = db.session, g.user
    entries = current_entries(sess, p.id, services.ENTRY_KINDS)
    titles = _scope_titles()
    return render_template(
        "credentials/staff.html", p=p, v=values or {"scope": Scope.PASSPORT.value},
        errors=errors or {}, credentials=services.read_list(sess, user, p),
        scopes=[(s, titles[s]) for s in (Scope.PASSPORT.value, Scope.ENTRY.value)],
        scope_titles=titles, entries=[(e.id, e.title) for e in entries],
        verify_url=verify_url, can_issue=allowed(user, "credentials:issue")), status


@bp.get("/participants/<id:participant_id>/credentials")
@login_required
def credentials(participant_id: int):
    """The participant's credentials, newest first, and the form to issue one."""
    p = load_participant(db.session, g.user, participant_id, "credentials:read")
    return _render(p)


@bp.post("/participants/<id:participant_id>/credentials")
@login_required
def issue(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "credentials:issue")
    values = form_values(("scope", "entry_id"))
    try:
        data = CredentialCreateSchema().load(form_input(values, ints=("entry_id",),
                                                        nullable=("entry_id",)))
        cred = services.issue(sess, user, p, data["scope"], entry_id=data.get("entry_id"))
    except FORM_ERRORS as err:
        return _render(p, values=values, errors=field_errors(err), status=form_status(err))
    flash(_("Credential issued: %(url)s", url=verify_url(cred)))
    return redirect(url_for("credential_staff_pages.credentials", participant_id=p.id), 303)
