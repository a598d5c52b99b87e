"""The "My work" page: the same service and query schema as GET /api/v1/my-work."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.db import db
from journey.core.i18n import _l
from journey.core.policy import Role, allowed, require
from journey.grievances.models import CATEGORY_TITLES
from journey.grievances.sla import PAGE_PATH
from journey.messaging.pages import problem_text
from journey.organisations.models import Office
from journey.referrals.notify import PAGE_PATH as REFERRAL_PATH
from journey.referrals.states import DECLINE_TITLES, STATE_TITLES
from journey.web.pagekit import error_page, html_blueprint
from journey.web.routes import login_required
from journey.workbench import services
from journey.workbench.schemas import MyWorkQuerySchema

bp = html_blueprint("workbench_pages", __name__)



@bp.errorhandler(ValidationError)
def _invalid(_err: ValidationError):
    return error_page(422, _("We could not understand that address"),
                      help_lines=[_("Choose an office from the list.")])


TRIAGE_ENDPOINT = "messaging_pages.triage"

# Section -> (heading, anchor of the participant's record page it links to).
SECTION_INFO = {
    "overdue": (_l("Overdue checklist items"), "checklist"),
    "due": (_l("Checklist items due within 7 days"), "checklist"),
    "permits_expired": (_l("Expired permits"), "permits"),
    "permits_7": (_l("Permits expiring within 7 days"), "permits"),
    "permits_30": (_l("Permits expiring within 30 days"), "permits"),
    "permits_90": (_l("Permits expiring within 90 days"), "permits"),
    "replies": (_l("Unanswered replies"), "timeline"),
    "problems": (_l("Messages that failed or were skipped"), "timeline"),
}
SHORT_TITLES = {
    "overdue": _l("Overdue"), "due": _l("Due"), "permits_expired": _l("Expired"),
    "permits_7": _l("7 days"), "permits_30": _l("30 days"), "permits_90": _l("90 days"),
    "replies": _l("Replies"), "problems": _l("Messages"),
}
EMPTY = {
    "overdue": _l("Nothing overdue."), "due": _l("Nothing due this week."),
    "permits_expired": _l("No expired permits."),
    "permits_7": _l("None."), "permits_30": _l("None."), "permits_90": _l("None."),
    "replies": _l("No replies waiting."),
    "problems": _l("No failed or skipped messages in the last 30 days."),
    "grievances_due": _l("No grievance is due within 2 days."),
    "grievances_breached": _l("No grievance has missed its deadline."),
    "escalations": _l("No escalations."),
}
# The grievance sections: (heading, short title in the counts table).
GRIEVANCE_INFO = {
    "escalations": (_l("Escalated to you"), None),
    "grievances_breached": (_l("Breached grievances"), _l("Breached")),
    "grievances_due": (_l("Grievances due within 2 days"), _l("Grievances due")),
}
# The staff page of a grievance, as the escalation emails link to it.
GRIEVANCE_PATH = PAGE_PATH
# The referral sections: (heading, short title in the counts table).
REFERRAL_INFO = {
    "referrals_overdue": (_l("Overdue and expired referrals"), _l("Referrals overdue")),
    "referrals_due": (_l("Referrals due within 2 days"), _l("Referrals due")),
    "referrals_declined": (_l("Referrals declined in the last 30 days"),
                           _l("Referrals declined")),
}
EMPTY.update({
    "referrals_overdue": _l("No referral has missed its deadline."),
    "referrals_due": _l("No referral is due within 2 days."),
    "referrals_declined": _l("No referral was declined in the last 30 days."),
})


def _skip_titles() -> dict[str, str]:
    return {"no_consent": _("Skipped: no consent to messages."),
            "opted_out": _("Skipped: the person opted out (STOP)."),
            "no_phone": _("Skipped: no phone number."),
            "no_email": _("Skipped: no email address."),
            "invalid_number": _("Skipped: the phone number is not valid.")}


def _permit_titles() -> dict[str, str]:
    return {"work_visa": _("Work visa"), "work_permit": _("Work permit"),
            "residence_permit": _("Residence permit"), "job_search_visa": _("Job search visa"),
            "seasonal_work_visa": _("Seasonal work visa"), "training_visa": _("Training visa"),
            "other": _("Other permit")}


def _status_titles() -> dict[str, str]:
    return {"failed": _("Failed"), "undelivered": _("Not delivered"), "skipped": _("Skipped"),
            "pending": _("Pending"), "in_progress": _("In progress"), "blocked": _("Blocked")}


def reason_text(item: dict[str, Any]) -> str:
    """Why a message failed or was skipped, for a caseworker."""
    if item.get("skip_reason"):
        return _skip_titles().get(item["skip_reason"], item["skip_reason"])
    return problem_text(item.get("last_error_code")) or _("No reason was recorded.")


def _groups(work: dict[str, Any]) -> dict[str, list[tuple[dict[str, Any], list]]]:
    """Each section's items by caseworker (in the order of the counts table)."""
    out = {}
    for name, section in work["sections"].items():
        by: dict[int | None, list] = {}
        for item in section["items"]:
            by.setdefault(item["caseworker_id"], []).append(item)
        out[name] = [(row, by[row["caseworker_id"]]) for row in work["caseworkers"]
                     if row["caseworker_id"] in by]
    return out


def _args() -> dict[str, Any]:
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    return MyWorkQuerySchema().load(raw)


@bp.get("/work")
@login_required
def my_work():
    """Each caseworker's home page: what needs their attention today."""
    user = g.user
    require(user, "workbench:read")
    sess = db.session
    args = _args()
    work = services.my_work(sess, user, office_id=args.get("office_id"), limit=args["limit"])
    offices = []
    if Role(user.role) == Role.ADMIN:
        offices = sess.query(Office.id, Office.name).order_by(Office.name, Office.id).all()
    triage_url = (url_for(TRIAGE_ENDPOINT) if TRIAGE_ENDPOINT in current_app.view_functions
                  else None)
    grievances = allowed(user, "grievances:read")
    referrals = allowed(user, "referrals:read")
    counted = {**SHORT_TITLES, **({name: short for name, (_t, short) in GRIEVANCE_INFO.items()
                                   if short is not None} if grievances else {}),
               **({name: short for name, (_t, short) in REFERRAL_INFO.items()}
                  if referrals else {})}
    return render_template(
        "workbench/my_work.html", work=work, grouped=work["view"] != "mine",
        groups=_groups(work), info=SECTION_INFO, short=counted, empty=EMPTY,
        offices=offices, office_id=args.get("office_id"), triage_url=triage_url,
        reason_text=reason_text, permit_titles=_permit_titles(), status_titles=_status_titles(),
        grievances=grievances, grievance_info=GRIEVANCE_INFO, grievance_path=GRIEVANCE_PATH,
        category_titles=CATEGORY_TITLES, referrals=referrals, referral_info=REFERRAL_INFO,
        referral_path=REFERRAL_PATH, decline_titles=DECLINE_TITLES,
        state_titles=STATE_TITLES)


@bp.post("/work/escalations/<int:escalation_id>/seen")
@login_required
def see_escalation(escalation_id: int):
    """The button beside an escalation: seen (as opening the grievance does)."""
    services.see_escalation(db.session, g.user, escalation_id)
    flash(_("Marked as seen."))
    return redirect(url_for("workbench_pages.my_work") + "#escalations", 303)
