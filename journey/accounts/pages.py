"""Pages: admins manage users; anyone with a reset link sets a password; a user changes theirs.

Server-rendered, no scripts, POST-redirect-GET, CSRF on every POST (journey.web.pagekit). The
forms load through the API's schemas and call the same services, so a page and the API refuse
the same input with the same messages, shown next to each field.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlmodel import select

from journey.accounts import resets, services
from journey.accounts.models import DeactivationReason, ReactivationReason
from journey.accounts.passwords import MIN_LENGTH
from journey.accounts.schemas import UserCreateSchema, UserUpdateSchema
from journey.config import SUPPORTED_LANGUAGES
from journey.core.auth import User
from journey.core.db import db
from journey.core.errors import Conflict, Forbidden, InvalidInput, ProblemError, flatten_messages
from journey.core.policy import Role, allowed
from journey.core.versions import Precondition, parse_version
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.web.display import language_name, role_title
from journey.web.pagekit import error_page, html_blueprint
from journey.web.routes import login_required

logger = logging.getLogger(__name__)

bp = html_blueprint("account_pages", __name__)

_FORM_FIELDS = ("username", "full_name", "email", "role", "office_id", "employer_id",
                "provider_id", "language")
_ID_FIELDS = ("office_id", "employer_id", "provider_id")
# Conflicts that belong to one field of the form.
_CONFLICT_FIELDS = {"username-taken": "username", "own-role": "role", "last-admin": "role"}


def _admin() -> User:
    user = g.user
    if not allowed(user, "users:manage"):
        raise Forbidden()
    return user


def _field_errors(err: Exception) -> dict[str, str]:
    """{field: message} from a schema's ValidationError or a service's InvalidInput/Conflict."""
    if isinstance(err, ValidationError):
        items = flatten_messages(err.messages)
    elif isinstance(err, InvalidInput):
        items = err.errors
    else:
        field = _CONFLICT_FIELDS.get(getattr(err, "code", ""), "_form")
        items = [{"field": field, "message": str(err.detail or err)}]
    errors: dict[str, str] = {}
    for item in items:
        field = item["field"].split(".", 1)[0]
        errors[field] = f"{errors[field]} {item['message']}" if field in errors else item["message"]
    return errors


def _form_values(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:1024] for name in names}


def _raw(values: dict[str, str]) -> dict[str, Any]:
    """Form values as the schema's input: an empty field is no value (None for optional ids)."""
    raw: dict[str, Any] = {}
    for name, value in values.items():
        if value == "":
            if name in ("email", *_ID_FIELDS):
                raw[name] = None
            continue
        # A select's value is text; the schema's ids are numbers (JSON bodies send numbers).
        raw[name] = int(value) if name in _ID_FIELDS and value.isascii() and value.isdigit() \
            and len(value) < 11 else value
    return raw


def _choices() -> dict[str, list[tuple[Any, str]]]:
    sess = db.session
    return {
        "roles": [(r.value, role_title(r.value)) for r in Role],
        "offices": [(o.id, f"{o.code} · {o.name}")
                    for o in sess.scalars(select(Office).order_by(Office.code))],
        "employers": [(e.id, e.name) for e in sess.scalars(select(Employer).order_by(Employer.name))],
        "providers": [(p.id, p.name) for p in sess.scalars(
            select(ServiceProvider).order_by(ServiceProvider.name))],
        "languages": [(code, language_name(code)) for code in SUPPORTED_LANGUAGES],
    }


# --- the list ----------------------------------------------------------------------------------

@bp.get("/admin/users")
@login_required
def users():
    _admin()
    role = request.args.get("role", "")
    active = request.args.get("active", "")
    query = select(User).order_by(User.username)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    else:
        role = ""
    if active in ("yes", "no"):
        query = query.where(User.is_active.is_(active == "yes"))
    else:
        active = ""
    sess = db.session
    offices = {o.id: o.code for o in sess.scalars(select(Office))}
    return render_template("admin/users.html", users=sess.scalars(query).all(), role=role,
                           active=active, roles=[(r.value, role_title(r.value)) for r in Role],
                           offices=offices)


# --- creating a user ---------------------------------------------------------------------------

@bp.get("/admin/users/new")
@login_required
def new_user():
    _admin()
    # "Add a user" on an employer's page names the role and the employer.
    v = {"language": "en"}
    if request.args.get("role") == "employer" and request.args.get("employer_id", "").isdigit():
        v.update(role="employer", employer_id=request.args["employer_id"])
    return render_template("admin/users_new.html", v=v, errors={}, **_choices())


@bp.post("/admin/users/new")
@login_required
def create_user():
    admin = _admin()
    values = _form_values(_FORM_FIELDS)
    raw = _raw(values)
    raw["password"] = request.form.get("password", "")[:1024]
    sess = db.session
    try:
        user = services.create_user(sess, admin.id, UserCreateSchema().load(raw))
    except (ValidationError, InvalidInput, Conflict) as err:
        return render_template("admin/users_new.html", v=values, errors=_field_errors(err),
                               **_choices()), 422 if not isinstance(err, Conflict) else 409
    flash(_("User %(username)s created.", username=user.username))
    return redirect(url_for("account_pages.user_detail", user_id=user.id), 303)


# --- one user ----------------------------------------------------------------------------------

def _detail(user: User, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
            status: int = 200, reset_link: str | None = None):
    sess = db.session
    if values is None:
        values = {name: "" if getattr(user, name) is None else str(getattr(user, name))
                  for name in _FORM_FIELDS}
    reason = services.last_deactivation(sess, user) if not user.is_active else None
    return render_template(
        "admin/users_detail.html", user=user, v=values, errors=errors or {},
        version=services.user_version(user), reset_link=reset_link,
        deactivation_reasons=list(DeactivationReason),
        reactivation_reasons=list(ReactivationReason),
        deactivated_because=DeactivationReason(reason).title if reason in set(DeactivationReason)
        else None,
        office=sess.get(Office, user.office_id) if user.office_id else None,
        **_choices()), status


@bp.get("/admin/users/<id:user_id>")
@login_required
def user_detail(user_id: int):
    _admin()
    return _detail(services.load_user(db.session, user_id))


@bp.post("/admin/users/<id:user_id>")
@login_required
def update_user(user_id: int):
    admin = _admin()
    sess = db.session
    user = services.load_user(sess, user_id)
    values = _form_values(_FORM_FIELDS)
    raw = {k: v for k, v in _raw(values).items() if k != "username"}
    version = parse_version(request.form.get("version", ""))
    try:
        data = UserUpdateSchema().load(raw)
        services.update_user(sess, admin, user, data, Precondition(body=version or 0))
    except (ValidationError, InvalidInput, Conflict) as err:
        status = 409 if isinstance(err, Conflict) else 422
        values["username"] = user.username
        return _detail(user, values, _field_errors(err), status)
    flash(_("Changes saved."))
    return redirect(url_for("account_pages.user_detail", user_id=user.id), 303)


def _reason(allowed_reasons) -> str | None:
    reason = request.form.get("reason", "")
    return reason if reason in {r.value for r in allowed_reasons} else None


@bp.post("/admin/users/<id:user_id>/deactivate")
@login_required
def deactivate_user(user_id: int):
    admin = _admin()
    sess = db.session
    user = services.load_user(sess, user_id)
    reason = _reason(DeactivationReason)
    if reason is None or request.form.get("confirm") != "yes":
        return _detail(user, errors={"deactivate": _(
            "Choose a reason and tick the box to confirm.")}, status=422)
    try:
        services.deactivate_user(sess, admin, user, reason)
    except Conflict as err:
        return _detail(user, errors={"deactivate": str(err.detail)}, status=409)
    flash(_("%(username)s is deactivated: their sessions and tokens have ended.",
            username=user.username))
    return redirect(url_for("account_pages.user_detail", user_id=user.id), 303)


@bp.post("/admin/users/<id:user_id>/reactivate")
@login_required
def reactivate_user(user_id: int):
    admin = _admin()
    sess = db.session
    user = services.load_user(sess, user_id)
    reason = _reason(ReactivationReason)
    if reason is None:
        return _detail(user, errors={"reactivate": _("Choose a reason.")}, status=422)
    try:
        services.reactivate_user(sess, admin, user, reason)
    except Conflict as err:
        return _detail(user, errors={"reactivate": str(err.detail)}, status=409)
    flash(_("%(username)s can log in again.", username=user.username))
    return redirect(url_for("account_pages.user_detail", user_id=user.id), 303)


@bp.post("/admin/users/<id:user_id>/reset-link")
@login_required
def make_reset_link(user_id: int):
    """Shows the link on this response only (not after a redirect: it is never stored)."""
    admin = _admin()
    sess = db.session
    user = services.load_user(sess, user_id)
    try:
        _reset, token = resets.create_reset_link(sess, admin.id, user)
    except Conflict as err:
        return _detail(user, errors={"reset": str(err.detail)}, status=409)
    return _detail(user, reset_link=resets.reset_url(token))


# --- a reset link, opened by its user (no login) -------------------------------------------------

_UNUSABLE = {
    "used": lambda: (_("This link has already been used"),
                     _("Each link works once. If you did not use it, tell an administrator.")),
    "expired": lambda: (_("This link has expired"),
                        _("Ask an administrator for a new link.")),
    "superseded": lambda: (_("This link has been replaced"),
                           _("A newer link was made for your account; use that one, or ask an "
                             "administrator for a new link.")),
}


def _unusable(err: resets.LinkUnusable):
    title, detail = _UNUSABLE.get(err.reason, _UNUSABLE["expired"])()
    return error_page(410, title, detail)


def _reset_form(token: str, user: User, errors: dict[str, str], status: int = 200):
    return render_template("password_reset.html", token=token, username=user.username,
                           errors=errors), status


@bp.get("/password/reset/<token>")
def reset_password(token: str):
    try:
        _reset, user = resets.resolve_reset_link(db.session, token)
    except resets.LinkUnusable as err:
        return _unusable(err)
    return _reset_form(token, user, {})


@bp.post("/password/reset/<token>")
def reset_password_post(token: str):
    sess = db.session
    try:
        _reset, user = resets.resolve_reset_link(sess, token)
        password = request.form.get("password", "")[:1024]
        if password != request.form.get("password_again", "")[:1024]:
            return _reset_form(token, user, {"password_again": _(
                "The two passwords are not the same.")}, 422)
        resets.use_reset_link(sess, token, password)
    except resets.LinkUnusable as err:
        return _unusable(err)
    except InvalidInput as err:
        return _reset_form(token, user, _field_errors(err), 422)
    flash(_("Your new password is set. Log in with it."))
    return redirect(url_for("web.login"), 303)


# --- changing your own password ------------------------------------------------------------------

def _change_form(errors: dict[str, str], status: int = 200):
    return render_template("password_change.html", errors=errors), status


@bp.get("/account/password")
@login_required
def change_password():
    return _change_form({})


@bp.post("/account/password")
@login_required
def change_password_post():
    sess = db.session
    user = g.user
    new = request.form.get("new_password", "")[:1024]
    if new != request.form.get("new_password_again", "")[:1024]:
        return _change_form({"new_password_again": _("The two passwords are not the same.")}, 422)
    if len(new) < 12:
        return _change_form({"new_password": _("Use at least %(n)d characters.", n=MIN_LENGTH)},
                            422)
    try:
        ended = resets.change_password(sess, user, request.form.get("current_password", "")[:1024],
                                       new)
    except InvalidInput as err:
        return _change_form(_field_errors(err), 422)
    except ProblemError as err:  # 429: too many wrong current passwords
        return _change_form({"current_password": str(err.detail)}, err.status)
    flash(_("Your password is changed.") + " " + (
        _("Your other sessions and tokens have ended (%(n)d).", n=ended) if ended
        else _("You had no other sessions or tokens.")))
    return redirect(url_for("web.home"), 303)

