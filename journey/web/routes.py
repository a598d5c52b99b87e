"""Pages: login, logout, the home page and a participant's record (the list and the forms are
journey.web.participant_pages).

Every page answers a browser in HTML, errors included: the API's problem+json handlers are
overridden here, per blueprint.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from journey.config import RTL_LANGUAGES
from journey.core.auth import (
    authenticate,
    load_current_user,
    log_out,
    login_succeeded,
    second_factor,
    start_session,
)
from journey.core.db import db
from journey.core.errors import ProblemError, flatten_messages
from journey.core.i18n import _l
from journey.core.policy import allowed
from journey.participants import services as participants
from journey.stages import Stage
from journey.web import display
from journey.web.pagekit import error_page, html_blueprint
from journey.web.participant_choices import header_facts

bp = html_blueprint("web", __name__)

for _name, _func in display.FILTERS.items():
    bp.add_app_template_filter(_func, _name)

# Shown instead of marshmallow's wording, which lists every allowed value.
_FIELD_HELP = {
    "page": _l("The page number must be a whole number from 1 upwards."),
    "stage": _l("Choose a stage from the list."),
    "q": _l("Search for at most 100 characters."),
}
@bp.app_context_processor
def _page_globals() -> dict[str, Any]:
    lang = str(get_locale() or "en")
    return {"html_lang": lang.replace("_", "-"),
            "html_dir": "rtl" if lang.split("_")[0] in RTL_LANGUAGES else "ltr",
            # The header shows a link only to those whose role may open the page.
            "can": lambda permission: g.get("user") is not None and allowed(g.user, permission),
            "nav_links": _nav_links}


def _nav_links() -> list:
    """The header's links (Domain.nav_links) this user's role may open."""
    user = g.get("user")
    if user is None:
        return []
    return [link for link in current_app.extensions["journey_nav_links"]
            if link.permission is None or allowed(user, link.permission)]


# Replaces html_blueprint's own handler, for the login form.
@bp.errorhandler(CSRFError)
def _csrf_failed(err: CSRFError):
    if request.endpoint == "web.login_post":
        # Usually a login page left open until the session ran out: offer a fresh form at once.
        return render_template("login.html", error=_("The form expired; please log in again."),
                               username=request.form.get("username", "")[:80]), 400
    return error_page(400, _("The form expired"), _("Go back, reload the page and try again."))


@bp.errorhandler(ValidationError)
def invalid_query_page(err: ValidationError):
    help_lines = []
    for item in flatten_messages(err.messages):
        field = item["field"].split(".", 1)[0]
        line = str(_FIELD_HELP.get(field, item["message"]))
        if line not in help_lines:
            help_lines.append(line)
    return error_page(422, _("We could not understand that search"), help_lines=help_lines)


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after login, or None: never another site."""
    if not target or len(target) > 2000:
        return None
    # Browsers treat "\" like "/" and drop tabs and newlines, so "/\evil" and "/\t/evil" are
    # other sites in disguise.
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def login_required(view):
    """Send an anonymous visitor to the login page, remembering where they were going."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if load_current_user(db.session) is None:
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("web.login", next=here))
        return view(*args, **kwargs)

    return wrapper


@bp.get("/login")
def login():
    if load_current_user(db.session) is not None:
        return redirect(_safe_next(request.args.get("next")) or url_for("web.home"))
    return render_template("login.html", error=None, username="")


@bp.post("/login")
def login_post():
    username = request.form.get("username", "").strip()[:80]
    password = request.form.get("password", "")[:1024]
    if not username or not password:
        return render_template("login.html", error=_("Enter your username and password."),
                               username=username), 400
    try:
        user = authenticate(db.session, username, password)
    except ProblemError as err:
        message = (_("Unknown username or wrong password.") if err.status == 401
                   else _("Too many failed logins; wait a while and try again."))
        return render_template("login.html", error=message, username=username), err.status, err.headers
    # A new session on login, so a session planted before it (fixation) is worthless.
    sess = db.session
    log_out(sess, session.get("sid"))  # whatever this browser was logged in as before ends
    session.clear()
    awaiting = second_factor(sess, user)
    _row, secret = start_session(sess, user, awaiting=awaiting)
    session["sid"] = secret
    next_ = _safe_next(request.args.get("next"))
    if awaiting is not None:
        # Half logged in: the server-side session signs no one in until the code (or the
        # enrolment the role requires) is done, on the pages of journey.accounts.
        step = "security.login_code" if awaiting == "otp" else "security.login_enrol"
        return redirect(url_for(step, next=next_), 303)
    login_succeeded(sess, user)
    return redirect(next_ or url_for("web.home"), 303)


@bp.get("/logout")
def logout_confirm():
    # Logging out is a POST (a link or an image elsewhere must not log people out); this page
    # only offers the button, for someone who typed the address.
    if load_current_user(db.session) is None:
        return redirect(url_for("web.login"))
    return render_template("logout.html")


@bp.post("/logout")
def logout():
    # The server-side session ends, so a copy of the cookie taken before is worthless.
    log_out(db.session, session.get("sid"))
    session.clear()
    flash(_("You have logged out."))
    return redirect(url_for("web.login"), 303)


@bp.get("/")
@login_required
def home():
    user = g.user
    # Employer users start on their own pages (journey.employers.portal, when installed).
    if "employer_portal.home" in current_app.view_functions and allowed(user, "employers:own"):
        return redirect(url_for("employer_portal.home"))
    # Partner users start on theirs (journey.referrals.partner_pages, when installed).
    if "partner_portal.home" in current_app.view_functions and allowed(user, "partners:own"):
        return redirect(url_for("partner_portal.home"))
    if not allowed(user, "participants:read"):
        return render_template("welcome.html")
    # Staff start on their work (journey.workbench, when installed), else on the caseload.
    if "workbench_pages.my_work" in current_app.view_functions:
        return redirect(url_for("workbench_pages.my_work"))
    return redirect(url_for("participant_pages.participants"))


@bp.get("/participants/<id:participant_id>")
@login_required
def participant(participant_id: int):
    user = g.user
    sess = db.session
    p = participants.read_participant(sess, user, participant_id)
    return render_template("participant.html", p=p, head=header_facts(sess, user, p),
                           sensitive=allowed(user, "participants:read_sensitive"),
                           sections=record_sections(sess, user, p))


def record_sections(sess, user, p) -> list:
    """The domains' sections of a record page (Domain.record_sections), in order."""
    found = [s for provider in current_app.extensions["journey_record_sections"]
             if (s := provider(sess, user, p)) is not None]
    return sorted(found, key=lambda s: s.order)


def _info_page(stage):
    """A public page a message links to: what to expect in a stage, in the reader's language,
    with the numbers of their programme and destination (?programme=, ?country=: the welcome
    SMS's link carries both; neither names a person)."""
    from journey.programmes.contacts import contacts_for
    from journey.programmes.models import Programme
    from journey.stages.checklists import definitions_for

    programme_id = request.args.get("programme", "")
    programme = (db.session.get(Programme, int(programme_id))
                 if programme_id.isdigit() and len(programme_id) < 10 else None)
    country = request.args.get("country", "").upper()
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        country = programme.destination_country if programme else ""
    numbers = contacts_for(programme.contacts if programme else None, country,
                           current_app.config)
    config = programme.checklist_config if programme else None
    return render_template(
        "info.html", title=stage.title,
        items=[str(d.reminder_text()) for d in definitions_for(stage, config)],
        centre=current_app.config["CENTRE_NAME"], helpline=numbers.helpline,
        emergency=numbers.emergency if stage.value == "arrival" else None,
        embassy=numbers.embassy)


@bp.get("/welcome")
def welcome_package():
    """The welcome package the arrival SMS links to (no login: the migrant opens it)."""
    return _info_page(Stage.ARRIVAL)


@bp.get("/return")
def return_information():
    """What to do before returning, linked from the pre-return SMS."""
    return _info_page(Stage.RETURN)
