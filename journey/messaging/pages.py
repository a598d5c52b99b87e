"""The delivery problems page: failed and outcome-unknown messages of the participants the user
may see, delivery statistics, and a button that checks the unknown ones with the provider."""

from __future__ import annotations

from flask import g, redirect, render_template, session, url_for
from flask_babel import format_percent
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.policy import allowed, require
from journey.messaging import delivery, services
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required
from notifications import reconcile as rec

bp = html_blueprint("messaging_pages", __name__)

_RESULT_KEY = "delivery_reconcile_report"


def problem_text(code: str | None) -> str:
    """What a message's last error code means, for a caseworker."""
    known = {
        rec.OUTCOME_UNKNOWN: _("Handed to the provider, but whether it was sent is not known yet. "
                               "Check with the provider."),
        rec.AMBIGUOUS: _("The provider sent this text to this number more than once around that "
                         "time: check by hand whether the person received it."),
        rec.NOT_SENT: _("Not sent (checked with the provider), and too old to resend "
                        "automatically: decide whether to contact the person."),
        "timeout": _("The provider did not answer in time."),
        "connection-error": _("The provider could not be reached."),
    }
    if code in known:
        return known[code]
    return _("The provider refused it (error %(code)s).", code=code) if code else ""


def _status_titles() -> dict[str, str]:
    return {"failed": _("Failed"), "undelivered": _("Not delivered"), "queued": _("Queued again"),
            "sent": _("Sent"), "delivered": _("Delivered")}


def _outcome_titles() -> dict[str, str]:
    return {
        rec.Outcome.SENT.value: _("found at the provider: recorded as sent"),
        rec.Outcome.REQUEUED.value: _("not sent: queued to be sent again"),
        rec.Outcome.NOT_SENT.value: _("not sent, too old to resend: left for you"),
        rec.Outcome.AMBIGUOUS.value: _("more than one possible match: left for you"),
        rec.Outcome.WAITING.value: _("not found yet; the provider may still send them"),
        rec.Outcome.PROVIDER_ERROR.value: _("the provider could not be asked: try again later"),
        rec.Outcome.NEEDS_PERSON.value: _("emails: a person must check them"),
        rec.Outcome.CHANGED.value: _("settled meanwhile by something else"),
    }


@bp.get("/messages/delivery")
@login_required
def delivery_page():
    """Messages that failed or whose outcome is unknown, and delivery rates."""
    user = g.user
    require(user, "messages:read")
    sess = db.session
    found = delivery.problems(sess, user)
    stats = services.message_stats(sess, user)
    for row in stats:
        rate = row.get("delivery_rate")
        row["rate_text"] = format_percent(rate, "#,##0.0%") if rate is not None else "–"
        by = row.get("by_status") or {}
        row["problems"] = by.get("failed", 0) + by.get("undelivered", 0)
    report = session.pop(_RESULT_KEY, None)
    return render_template(
        "messaging/delivery.html", found=found, stats=stats, report=report,
        can_reconcile=allowed(user, "messages:reconcile"), problem_text=problem_text,
        status_titles=_status_titles(), outcome_titles=_outcome_titles(),
        limit=delivery.LIST_LIMIT)


@bp.post("/messages/delivery/reconcile")
@login_required
def delivery_reconcile():
    """Check outcome-unknown SMS with the provider; the result is shown once on the page."""
    report = delivery.reconcile(db.session, g.user)
    session[_RESULT_KEY] = {k: report[k] for k in ("checked", "settled", "by_outcome",
                                                  "remaining", "emails_for_a_person")}
    return redirect(url_for("messaging_pages.delivery_page"), 303)
