"""The audit log page: events filtered by action, actor, participant, object and days, paged
(admins everyone's, supervisors their office's, as the API), and for admins a button that
verifies the hash chain."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from journey.auditlog import services
from journey.auditlog.schemas import AuditQuerySchema
from journey.core.db import db
from journey.core.errors import InvalidInput
from journey.core.policy import allowed, require
from journey.web.display import page_window
from journey.web.forms import field_errors
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("audit_pages", __name__)

_FILTERS = ("action", "actor", "participant", "date_from", "date_to", "object_type", "object_id",
            "actor_id", "page", "per_page")
_RESULT_KEY = "audit_chain_report"


def _field_messages() -> dict[str, str]:
    return {
        "action": _("Enter at most 80 characters: a whole tag, or a prefix ending in ':'."),
        "object_type": _("Enter at most 40 characters."),
        "object_id": _("Enter a whole number from 1 upwards."),
        "actor_id": _("Enter a whole number from 1 upwards."),
        "actor": _("Enter a username of at most 80 characters."),
        "participant": _("Enter a participant's reference, e.g. 4K7Q-M2XD."),
        "date_from": _("Enter a date as YYYY-MM-DD."),
        "date_to": _("Enter a date as YYYY-MM-DD, not before the first day."),
        "page": _("The page number must be a whole number from 1 upwards."),
        "per_page": _("Events per page: a whole number from 1 to 100."),
    }


def _reason_text(reason: str | None) -> str:
    return {
        "content-changed": _("Its content was changed after it was written."),
        "link-broken": _("Its link to the event before it was changed."),
        "missing-event": _("One or more events before it are missing."),
        "unsealed": _("It has stayed unsealed longer than it should: is the scheduler running?"),
    }.get(reason or "", "")


@bp.get("/audit")
@login_required
def audit_list():
    """Audit events, newest first, filtered by the query string."""
    user = g.user
    require(user, "audit:read")
    raw = {name: request.args.get(name, "").strip() for name in _FILTERS}
    raw = {k: v for k, v in raw.items() if v}
    schema = AuditQuerySchema()
    messages = _field_messages()
    errors = {field: messages.get(field, _("Check this value.")) for field in schema.validate(raw)}
    page: dict[str, Any] | None = None
    if not errors:
        try:
            page = services.search_events(db.session, user, schema.load(raw))
        except InvalidInput as err:
            errors = field_errors(err)
    query = {k: v for k, v in raw.items() if k != "page"}
    report = session.pop(_RESULT_KEY, None)
    body = render_template(
        "audit/list.html", page=page, form=raw, query=query, errors=errors, report=report,
        reason_text=_reason_text(report["reason"]) if report else "",
        can_verify=allowed(user, "audit:verify"),
        window=page_window(page["page"], page["pages"]) if page else [],
        first=(page["page"] - 1) * page["per_page"] + 1 if page else 0)
    return body, 422 if errors else 200


@bp.post("/audit/verify")
@login_required
def audit_verify():
    """Walk the chain; the result is shown once on the list page (post, redirect, get)."""
    sess = db.session
    report = services.verify_chain(sess, g.user, db.engine)
    session[_RESULT_KEY] = {k: report[k] for k in ("intact", "checked", "broken_at", "reason")}
    return redirect(url_for("audit_pages.audit_list"), 303)
