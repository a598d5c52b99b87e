"""The anonymous public complaint form and the tracking-code status page (issue #14).

For migrants on basic phones: no login, no script (the CSP forbids them), light pages in the
visitor's language (?lang=, the header switch's cookie, the browser's). The form loads through
PublicComplaintSchema and calls services.intake with no actor, as the SMS channel does.

The tracking code is the complainant's only handle. It is shown once, on the answer to the
form's POST (never in an address, never cached: no redirect carries it), and the status page
takes it back by POST only. The status page shows the state, its dates, the decision and the
public replies: never staff names, internal notes, or anything about anyone else.

Abuse is throttled per client address (request.remote_addr, which ProxyFix sets for the trusted
proxies) with the table login throttling already uses (LoginAttempt): rows keyed by a keyed hash
of the address, never the address, trimmed with the failed logins. Submissions count per
GRIEVANCE_PUBLIC_WINDOW_SECONDS; status lookups count their failures (unknown codes), so guessing
codes stops long before it could find one (a code has 60 bits).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template, request, session
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from journey.core import audit
from journey.core.auth import LoginAttempt
from journey.core.db import db, utcnow
from journey.core.errors import InvalidInput
from journey.core.i18n import _l, code_title, normalise_language
from journey.grievances import queries, services
from journey.grievances.models import (
    AGAINST_TITLES,
    CATEGORY_TITLES,
    DECISION_TITLES,
    STATE_TITLES,
    AgainstKind,
    Category,
    Channel,
    Grievance,
    State,
)
from journey.grievances.schemas import DESCRIPTION_MAX, NOTE_MAX, PublicComplaintSchema
from journey.organisations.models import Office
from journey.programmes.contacts import contacts_for
from journey.web.forms import field_errors, form_input
from journey.web.pagekit import html_blueprint

logger = logging.getLogger(__name__)

bp = html_blueprint("grievance_public", __name__)

# What each category means, in plain words, under its title on the form.
CATEGORY_HINTS = {
    Category.RECRUITMENT_FEES: _l("You paid fees to get the job, or you owe money for it."),
    Category.CONTRACT_SUBSTITUTION: _l("The contract or the job is not what you were promised."),
    Category.WAGES: _l("You were not paid, paid late, or paid less than agreed."),
    Category.WORKING_HOURS: _l("Too many hours, no day of rest, or overtime not paid."),
    Category.DOCUMENT_CONFISCATION: _l("Someone keeps your passport, permit or other papers."),
    Category.HARASSMENT_GBV: _l("Unwanted sexual behaviour, threats or violence."),
    Category.DISCRIMINATION: _l("You were treated worse because of who you are."),
    Category.HOUSING: _l("Where you live is unsafe, crowded or costs too much."),
    Category.HEALTH: _l("Illness, injury, or no way to see a doctor."),
    Category.PERMIT_VISA: _l("A problem with your work permit, visa or residence."),
    Category.OTHER: _l("Anything else."),
}
# What each state means to the complainant.
STATE_HINTS = {
    State.RECEIVED: _l("We have your complaint. The centre will take it up soon."),
    State.ACKNOWLEDGED: _l("The centre has taken up your complaint."),
    State.IN_REVIEW: _l("The centre is looking into your complaint."),
    State.WAITING: _l("The centre is waiting for information. If we asked you something, "
                      "please answer, or contact the centre."),
    State.RESOLVED: _l("The centre has decided."),
    State.APPEALED: _l("The decision was appealed. The appeal is followed as a new complaint, "
                       "with its own tracking code."),
    State.CLOSED: _l("This complaint is closed."),
}
# Plain messages beside the fields, instead of marshmallow's technical wording.
_FIELD_HELP = {
    "category": _l("Choose what your complaint is about."),
    "description": _l("Tell us what happened, in at most 5000 characters."),
    "desired_outcome": _l("Write at most 2000 characters."),
    "against_kind": _l("Choose one of the answers."),
    "against_name": _l("Write at most 200 characters."),
    "office_id": _l("Choose a centre from the list, or leave it empty."),
}
FIELDS = ("category", "description", "desired_outcome", "against_kind", "against_name",
          "office_id", "contact_phone")
# Read a little past each limit, so the schema says "too long" instead of cutting text off.
_READ_LIMIT = {"description": DESCRIPTION_MAX + 100, "desired_outcome": NOTE_MAX + 100}
_SENT_KEEP = 5  # forms already sent that this browser remembers (a reload must not send twice)
_LOOKED_UP = "grievance_looked_up"
_LOOKED_UP_SECONDS = 1800


# --- throttling ----------------------------------------------------------------------------------

def _key(purpose: str) -> str:
    """A keyed hash of the purpose and the client address: the address is not stored."""
    secret = current_app.config["SECRET_KEY"].encode()
    raw = f"grievance-{purpose}\x00{request.remote_addr or '?'}".encode()
    return hmac.new(secret, raw, hashlib.sha256).hexdigest()


def _window(purpose: str) -> tuple[int, int]:
    """(how many, in how many seconds) a client address may do."""
    if purpose == "submit":
        return (current_app.config["GRIEVANCE_PUBLIC_MAX_SUBMISSIONS"],
                current_app.config["GRIEVANCE_PUBLIC_WINDOW_SECONDS"])
    return (current_app.config["GRIEVANCE_STATUS_MAX_FAILURES"],
            current_app.config["GRIEVANCE_STATUS_WINDOW_SECONDS"])


def _wait(sess, purpose: str) -> int:
    """Seconds until this address may go on (0: now)."""
    limit, seconds = _window(purpose)
    since = utcnow() - timedelta(seconds=seconds)
    rows = list(sess.scalars(sa.select(LoginAttempt.attempted_at).where(
        LoginAttempt.key == _key(purpose), LoginAttempt.attempted_at >= since)
        .order_by(LoginAttempt.attempted_at.desc()).limit(limit)))
    if len(rows) < limit:
        return 0
    # The oldest of the last `limit` leaves the window first.
    return max(1, int((rows[-1] + timedelta(seconds=seconds) - utcnow()).total_seconds()) + 1)


def _count(sess, purpose: str) -> None:
    sess.add(LoginAttempt(key=_key(purpose), attempted_at=utcnow()))


# --- what every public page shows ----------------------------------------------------------------

def _lang_arg() -> str | None:
    """The ?lang= the page was opened with."""
    return normalise_language(request.args.get("lang"))


def _contacts() -> dict[str, Any]:
    country = request.args.get("country", "").upper()
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        country = ""
    numbers = contacts_for(None, country, current_app.config)
    # The form's action keeps ?lang= and ?country=, so its answer matches the page.
    keep = {k: v for k, v in (("lang", _lang_arg()), ("country", country)) if v}
    return {"centre": current_app.config["CENTRE_NAME"], "helpline": numbers.helpline,
            "emergency": numbers.emergency, "keep": keep}


def _local_date(sess, g: Grievance, moment) -> str:
    office = sess.get(Office, g.office_id)
    zone = ZoneInfo(office.timezone if office else "UTC")
    return format_date(moment.astimezone(zone).date(), "long")


def _grouped(code: str) -> list[str]:
    return code.split("-")


# --- the form ------------------------------------------------------------------------------------

def _values() -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:_READ_LIMIT.get(name, 400)]
            for name in FIELDS}


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200,
          headers: dict[str, str] | None = None, *, nonce: str | None = None,
          alert: str | None = None):
    offices = db.session.execute(sa.select(Office.id, Office.name).order_by(Office.name)).all()
    body = render_template(
        "grievances/public_form.html", v=values, errors=errors, alert=alert,
        nonce=nonce or secrets.token_urlsafe(16),
        categories=[(c.value, CATEGORY_TITLES[c], CATEGORY_HINTS[c]) for c in Category],
        against=[(k.value, AGAINST_TITLES[k]) for k in AgainstKind],
        offices=[(str(o.id), o.name) for o in offices], **_contacts())
    return body, status, headers or {}


def _public_errors(err: Exception) -> dict[str, str]:
    errors = field_errors(err)
    if isinstance(err, ValidationError):  # the schema's wording is technical: say it plainly
        errors.update({f: str(_FIELD_HELP[f]) for f in list(errors) if f in _FIELD_HELP})
    if "against_employer_id" in errors:  # the form names an employer by its name only
        errors["against_name"] = errors.pop("against_employer_id")
    return errors


@bp.get("/complaint")
def complaint():
    """The anonymous complaint form."""
    return _form({name: "" for name in FIELDS}, {})


@bp.post("/complaint")
def complaint_post():
    sess = db.session
    values = _values()
    nonce = request.form.get("once", "")[:64] or None
    if nonce and nonce in session.get("grievance_sent", []):
        # A reload of the answer: the complaint went in, and its code is not shown again.
        return render_template("grievances/public_received.html", code=None,
                               **_contacts()), 409
    wait = _wait(sess, "submit")
    if wait:
        return _form(values, {}, 429, {"Retry-After": str(wait)}, nonce=nonce, alert=_(
            "You have sent several complaints in a short time. Please wait an hour and send "
            "this one again, or call the helpline."))
    try:
        data = PublicComplaintSchema().load(
            form_input(values, ints=("office_id",), nullable=("desired_outcome", "against_kind",
                                                              "against_name", "contact_phone")))
        data["language"] = str(get_locale() or "en")
        contact = data.pop("contact_phone", None)
        g, code = services.intake(sess, None, data, channel=Channel.WEB, contact_phone=contact)
    except (ValidationError, InvalidInput) as err:
        return _form(values, _public_errors(err), 422, nonce=nonce)
    _count(sess, "submit")
    if nonce:
        session["grievance_sent"] = [*session.get("grievance_sent", []), nonce][-_SENT_KEEP:]
    logger.info("public complaint received id=%s", g.id)
    # The code is in this answer only: no redirect, no copy in any cache.
    return render_template("grievances/public_received.html", code=_grouped(code),
                           due=_local_date(sess, g, g.resolve_due_at), sms=contact is not None,
                           **_contacts()), 200, {"Cache-Control": "no-store"}


# --- the status page -----------------------------------------------------------------------------

def _status_form(status: int = 200, *, typed: str = "", error: str | None = None,
                 found: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 grounds: str = "", appeal_error: str | None = None):
    return render_template("grievances/public_status.html", typed=typed, error=error,
                           found=found, grounds=grounds, appeal_error=appeal_error,
                           **_contacts()), status, headers or {}


def _shown(sess, g: Grievance) -> dict[str, Any]:
    """What the complainant may see of their complaint: nothing else leaves this function."""
    state = State(g.state)
    decided = state in (State.RESOLVED, State.APPEALED, State.CLOSED) and g.decision
    appeal_days = current_app.config["GRIEVANCE_APPEAL_DAYS"]
    appeal_until = (g.resolved_at + timedelta(days=appeal_days)
                    if state == State.RESOLVED and g.resolved_at and g.appeal_of_id is None
                    else None)
    return {
        "state": code_title(STATE_TITLES, g.state), "hint": STATE_HINTS.get(state, ""),
        "category": code_title(CATEGORY_TITLES, g.category),
        "received": _local_date(sess, g, g.received_at),
        "due": (_local_date(sess, g, g.resolve_due_at)
                if state not in (State.RESOLVED, State.APPEALED, State.CLOSED) else None),
        "decision": code_title(DECISION_TITLES, g.decision) if decided else None,
        "decided": _local_date(sess, g, g.resolved_at) if decided and g.resolved_at else None,
        "appeal_until": (_local_date(sess, g, appeal_until)
                         if appeal_until and utcnow() <= appeal_until else None),
        "appeal_over": bool(appeal_until and utcnow() > appeal_until),
        "replies": [{"date": _local_date(sess, g, e.created_at), "body": e.body}
                    for e in queries.entries(sess, g, public_only=True)],
    }


@bp.get("/complaint/status")
def status():
    """The form that takes a tracking code (by POST: a code never goes in an address)."""
    return _status_form()


@bp.post("/complaint/status")
def status_post():
    sess = db.session
    typed = request.form.get("code", "").strip()[:40]
    wait = _wait(sess, "status")
    if wait:
        return _status_form(429, typed=typed, headers={"Retry-After": str(wait)}, error=_(
            "Too many codes were tried from here. Wait %(minutes)d minutes and try again.",
            minutes=max(1, round(wait / 60))))
    g = services.find_by_code(sess, typed)
    if g is None:
        # Counted in a transaction of its own, as failed logins are: this answer (404) is never
        # committed. The request's read ends first: on SQLite the second would wait for it.
        sess.rollback()
        with db.job_session() as own:
            _count(own, "status")
        message = (_("No complaint has this code. Check it and try again: it has 12 letters "
                     "and digits.") if typed else _("Enter your tracking code."))
        return _status_form(404 if typed else 422, typed=typed, error=message)
    audit.record(sess, "grievances:grievance:status", actor_id=None, object_type="grievance",
                 object_id=g.id, office_id=g.office_id)
    # The appeal form posts no code: the signed session remembers which complaint this browser
    # just opened, for a while.
    session[_LOOKED_UP] = {"id": g.id, "at": int(utcnow().timestamp())}
    # The code typed is not shown back: the answer names the complaint by its status only.
    return _status_form(found=_shown(sess, g), headers={"Cache-Control": "no-store"})


def _looked_up(sess) -> Grievance | None:
    """The complaint this browser opened on the status page in the last half hour."""
    seen = session.get(_LOOKED_UP) or {}
    if not isinstance(seen, dict) or not isinstance(seen.get("id"), int):
        return None
    if utcnow().timestamp() - seen.get("at", 0) > _LOOKED_UP_SECONDS:
        return None
    return sess.get(Grievance, seen["id"])


@bp.post("/complaint/appeal")
def appeal_post():
    """The complainant appeals the decision on the complaint they just opened."""
    sess = db.session
    grounds = request.form.get("grounds", "").strip()[:NOTE_MAX + 100]
    g = _looked_up(sess)
    if g is None:
        return _status_form(400, error=_("Enter your tracking code again, then appeal."))
    wait = _wait(sess, "submit")
    if wait:
        return _status_form(429, found=_shown(sess, g), grounds=grounds,
                            headers={"Retry-After": str(wait)}, appeal_error=_(
                                "You have sent several complaints in a short time. Please wait "
                                "an hour and try again, or call the helpline."))
    if len(grounds) > NOTE_MAX:
        return _status_form(422, found=_shown(sess, g), grounds=grounds,
                            appeal_error=_("Write at most 2000 characters."))
    try:
        appeal, code = services.appeal_by_complainant(sess, g, grounds)
    except InvalidInput:
        return _status_form(422, found=_shown(sess, g), grounds=grounds,
                            appeal_error=_("Say why you disagree with the decision."))
    except services.TransitionRefused:
        return _status_form(409, found=_shown(sess, g), grounds=grounds,
                            appeal_error=_("This decision can no longer be appealed."))
    _count(sess, "submit")
    session.pop(_LOOKED_UP, None)
    return render_template("grievances/public_received.html", code=_grouped(code), appeal=True,
                           due=_local_date(sess, appeal, appeal.resolve_due_at),
                           sms=appeal.contact_phone is not None or appeal.participant_id is not None,
                           **_contacts()), 200, {"Cache-Control": "no-store"}


# The form expired (a long time typing on a phone): show it again with everything typed.
@bp.errorhandler(CSRFError)
def _expired(_err: CSRFError):
    message = _("The form expired. Check it and send it again.")
    if request.endpoint == "grievance_public.complaint_post":
        return _form(_values(), {}, 400, nonce=request.form.get("once", "")[:64] or None,
                     alert=message)
    if request.endpoint == "grievance_public.appeal_post":
        g = _looked_up(db.session)
        if g is not None:
            return _status_form(400, found=_shown(db.session, g), appeal_error=message,
                                grounds=request.form.get("grounds", "").strip()[:NOTE_MAX + 100])
    return _status_form(400, typed=request.form.get("code", "").strip()[:40], error=message)
