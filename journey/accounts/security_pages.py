"""Pages: the login's second step, your account (sessions, sign out everywhere, TOTP), and the
admin's view of a user's sessions and tokens and of what each role's logins require.

journey.web's login page starts a half-finished session when a code or an enrolment is owed;
these pages finish it. Such a session signs no one in anywhere else.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.accounts import sessions, totp
from journey.accounts.language import LanguageChoiceSchema, set_own_language
from journey.accounts.services import revoke_token
from journey.core.auth import (
    ApiToken,
    User,
    UserSession,
    current_session_id,
    end_session,
    load_current_user,
    login_succeeded,
    session_for_secret,
    start_session,
)
from journey.core.db import db
from journey.core.errors import InvalidInput, NotFound, ProblemError, TooManyRequests
from journey.core.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_DAYS, language_choices
from journey.core.policy import require
from journey.web.forms import field_errors, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import _safe_next, login_required

bp = html_blueprint("security", __name__)


@bp.app_context_processor
def _language_switch() -> dict:
    # The header's switch (base.html) on every page, staff or public.
    return {"language_choices": language_choices}


def _code_error(err: ProblemError) -> tuple[dict[str, str], int]:
    if isinstance(err, TooManyRequests):
        return {"code": _("Too many wrong codes; wait a while and try again.")}, 429
    if isinstance(err, InvalidInput):
        return {"code": _("That code is not right, or was already used. Enter the current "
                          "code.")}, 422
    return {"code": str(err.detail or err.title)}, err.status


def _code() -> str:
    return request.form.get("code", "")[:20]


# --- the login's second step ----------------------------------------------------------------------

def _pending(kind: str) -> tuple[UserSession, User] | None:
    row = session_for_secret(db.session, session.get("sid"), awaiting=True)
    if row is None or row.awaiting != kind:
        return None
    return row, db.session.get(User, row.user_id)


def _finish_login(row: UserSession, user: User):
    """Swap the half-finished session for a full one (a new secret: the step raised privilege)."""
    sess = db.session
    end_session(row, "second-step-done")
    session.clear()
    _row, secret = start_session(sess, user)
    session["sid"] = secret
    login_succeeded(sess, user, second_factor=True)
    return redirect(_safe_next(request.args.get("next")) or url_for("web.home"), 303)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = _pending(totp.AWAIT_CODE)
    if pending is None:
        return redirect(url_for("web.login"))
    row, user = pending
    errors, status = {}, 200
    if request.method == "POST":
        try:
            totp.check_code(db.session, user, _code(), purpose="login")
        except ProblemError as err:
            errors, status = _code_error(err)
        else:
            return _finish_login(row, user)
    return render_template("account/login_code.html", errors=errors), status


def _enrol_page(user: User, action: str, errors: dict[str, str], status: int, *, login: bool):
    row = totp.start_enrolment(db.session, user)
    uri = totp.provisioning_uri(user, row)
    # Groups of four are easier to type into an app by hand.
    grouped = " ".join(row.secret[i:i + 4] for i in range(0, len(row.secret), 4))
    return render_template("account/enrol.html", secret=grouped, qr=totp.qr_svg(uri),
                           action=action, errors=errors, login=login), status


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol():
    pending = _pending(totp.AWAIT_ENROLMENT)
    if pending is None:
        return redirect(url_for("web.login"))
    row, user = pending
    errors, status = {}, 200
    if request.method == "POST":
        try:
            totp.confirm_enrolment(db.session, user, _code())
        except ProblemError as err:
            errors, status = _code_error(err)
        else:
            return _finish_login(row, user)
    action = url_for("security.login_enrol", next=_safe_next(request.args.get("next")))
    return _enrol_page(user, action, errors, status, login=True)


# --- your account -------------------------------------------------------------------------------

def _account_page(errors: dict[str, str] | None = None, status: int = 200,
                  language_errors: dict[str, str] | None = None, language: str | None = None):
    sess, user = db.session, g.user
    return render_template(
        "account/account.html", sessions=sessions.list_sessions(sess, user.id),
        tokens=[t for t in sessions.list_tokens(sess, user.id) if t.revoked_at is None],
        current_id=current_session_id(), totp_row=totp.confirmed(sess, user.id),
        required=totp.role_requires_totp(sess, user.role), errors=errors or {},
        language_errors=language_errors or {}, language=language or user.language,
        languages=language_choices()), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/language")
@login_required
def account_language():
    values = form_values(["language"])
    try:
        data = LanguageChoiceSchema().load(values)
    except ValidationError as err:
        return _account_page(status=422, language_errors=field_errors(err),
                             language=values["language"])
    if set_own_language(db.session, g.user, data["language"]):
        with force_locale(data["language"]):  # the notice in the language just chosen
            flash(_("Your language is saved."))
    return redirect(url_for("security.account"), 303)


# --- the header's language switch ---------------------------------------------------------------

def _back_to(target: str | None) -> str:
    """Where the switch returns: the page it was used on, without a ?lang= that would outvote
    the choice just made."""
    target = _safe_next(target) or url_for("web.home")
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + (f"?{urlencode(query)}" if query else "")


@bp.route("/language", methods=["GET", "POST"])
def switch_language():
    """The header's switch. A logged-in user POSTs it (with CSRF) and their setting is saved;
    a visitor's GET only sets a cookie, so it needs no session and changes nothing stored."""
    source = request.form if request.method == "POST" else request.args
    back = _back_to(source.get("next"))
    try:
        language = LanguageChoiceSchema().load({"language": source.get("language", "")[:40]}
                                               )["language"]
    except ValidationError:
        flash(_("Choose a language from the list."))
        return redirect(back, 303)
    if request.method == "POST" and load_current_user(db.session) is not None:
        set_own_language(db.session, g.user, language)
    response = redirect(back, 303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_DAYS * 86400,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        httponly=True, samesite="Lax")
    return response


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def account_end_session(session_id: int):
    sessions.end_one_session(db.session, g.user, g.user.id, session_id)
    if session_id == current_session_id():
        session.clear()
        return redirect(url_for("web.login"), 303)
    return redirect(url_for("security.account"), 303)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def account_revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != g.user.id:
        raise NotFound(_("No such token."))
    revoke_token(db.session, g.user, token_id)
    return redirect(url_for("security.account"), 303)


@bp.post("/account/sign-out-everywhere")
@login_required
def account_sign_out_everywhere():
    this_too = request.form.get("this_browser") == "yes"
    sessions.sign_out_everywhere(db.session, g.user,
                                 keep_session_id=None if this_too else current_session_id())
    if this_too:
        session.clear()
        return redirect(url_for("web.login"), 303)
    return redirect(url_for("security.account", done="signed-out"), 303)


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def account_totp():
    errors, status = {}, 200
    if request.method == "POST":
        try:
            totp.confirm_enrolment(db.session, g.user, _code())
        except ProblemError as err:
            errors, status = _code_error(err)
        else:
            return redirect(url_for("security.account"), 303)
    if totp.confirmed(db.session, g.user.id) is not None:
        return redirect(url_for("security.account"), 303)
    return _enrol_page(g.user, url_for("security.account_totp"), errors, status, login=False)


@bp.post("/account/totp/disable")
@login_required
def account_totp_disable():
    try:
        totp.disable(db.session, g.user, _code())
    except ProblemError as err:
        return _account_page(*_code_error(err))
    return redirect(url_for("security.account"), 303)


# --- admins -------------------------------------------------------------------------------------

def _admin_target(user_id: int) -> User:
    require(g.user, "users:manage")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


@bp.get("/admin/users/<id:user_id>/security")
@login_required
def admin_user_security(user_id: int):
    sess = db.session
    user = _admin_target(user_id)
    return render_template("account/admin_security.html", target=user,
                           sessions=sessions.list_sessions(sess, user.id),
                           tokens=sessions.list_tokens(sess, user.id),
                           totp_row=totp.confirmed(sess, user.id))


@bp.post("/admin/users/<id:user_id>/sessions/<id:session_id>/end")
@login_required
def admin_end_session(user_id: int, session_id: int):
    sessions.end_one_session(db.session, g.user, _admin_target(user_id).id, session_id)
    return redirect(url_for("security.admin_user_security", user_id=user_id), 303)


@bp.post("/admin/users/<id:user_id>/tokens/<id:token_id>/revoke")
@login_required
def admin_revoke_token(user_id: int, token_id: int):
    target = _admin_target(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != target.id:
        raise NotFound(_("No such token."))
    revoke_token(db.session, g.user, token_id)
    return redirect(url_for("security.admin_user_security", user_id=user_id), 303)


@bp.post("/admin/users/<id:user_id>/sessions/end-all")
@login_required
def admin_end_all(user_id: int):
    target = _admin_target(user_id)
    sessions.end_sessions(db.session, target.id, reason="revoked", actor_id=g.user.id,
                          keep_id=current_session_id())
    sessions.revoke_tokens(db.session, target.id, actor_id=g.user.id)
    return redirect(url_for("security.admin_user_security", user_id=user_id), 303)


@bp.post("/admin/users/<id:user_id>/totp/reset")
@login_required
def admin_reset_totp(user_id: int):
    if totp.reset_by_admin(db.session, g.user.id, _admin_target(user_id)):
        flash(_("The second factor is removed; the user sets a new one up at their next login."))
    return redirect(url_for("security.admin_user_security", user_id=user_id), 303)


@bp.route("/admin/security", methods=["GET", "POST"])
@login_required
def admin_roles():
    require(g.user, "users:manage")
    sess = db.session
    if request.method == "POST":
        wanted = set(request.form.getlist("require_totp"))
        for role, current in totp.role_rules(sess).items():
            if (role in wanted) != current:
                totp.set_role_rule(sess, g.user, role, role in wanted)
        return redirect(url_for("security.admin_roles", saved=1), 303)
    return render_template("account/roles.html", rules=totp.role_rules(sess),
                           saved=request.args.get("saved") == "1")
