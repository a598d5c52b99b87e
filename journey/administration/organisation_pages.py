"""Pages: the administration index; offices, employers and service providers listed (for whoever
may read them), created and edited (admins).

Each form loads through the API's schema and calls the same service (journey.web.forms): the page
and PATCH refuse the same input with the same messages, beside the fields. An edit carries the
version it read; a stale one shows both versions and overwrites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from marshmallow import Schema

from journey.core.db import db
from journey.core.errors import Conflict, Forbidden
from journey.core.policy import allowed, require
from journey.core.versions import Precondition, parse_version
from journey.organisations import services
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.organisations.schemas import (
    PROVIDER_KINDS,
    EmployerSchema,
    EmployerUpdateSchema,
    OfficeSchema,
    OfficeUpdateSchema,
    ServiceProviderSchema,
    ServiceProviderUpdateSchema,
)
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("organisation_pages", __name__)


def kind_titles() -> dict[str, str]:
    return {
        "job_centre": _("Job centre"), "health": _("Health service"), "legal": _("Legal service"),
        "housing": _("Housing"), "financial": _("Financial service"), "consulate": _("Consulate"),
        "training": _("Training provider"), "psychosocial": _("Psychosocial support"),
        "other": _("Other"),
    }


@dataclass(frozen=True)
class Kind:
    """One kind of organisation the pages manage: its schemas, services and form fields."""

    slug: str
    model: type
    create_schema: type[Schema]
    update_schema: type[Schema]
    create: Any
    update: Any
    read: str
    manage: str
    fields: tuple[str, ...]  # in the form, in order; the create form also has "code" for offices
    nullable: tuple[str, ...] = ()

    def titles(self) -> dict[str, str]:
        return {
            "office": {"one": _("Office"), "new": _("Open an office"), "list": _("Offices")},
            "employer": {"one": _("Employer"), "new": _("Add an employer"),
                         "list": _("Employers")},
            "provider": {"one": _("Service provider"), "new": _("Add a service provider"),
                         "list": _("Service providers")},
        }[self.slug]


KINDS = {
    "office": Kind("office", Office, OfficeSchema, OfficeUpdateSchema, services.create_office,
                   services.update_office, "offices:read", "offices:manage",
                   ("name", "country", "timezone")),
    "employer": Kind("employer", Employer, EmployerSchema, EmployerUpdateSchema,
                     services.create_employer, services.update_employer, "organisations:read",
                     "organisations:manage", ("name", "country", "sector", "isic_code"),
                     nullable=("sector", "isic_code")),
    "provider": Kind("provider", ServiceProvider, ServiceProviderSchema,
                     ServiceProviderUpdateSchema, services.create_provider,
                     services.update_provider, "organisations:read", "organisations:manage",
                     ("name", "country", "kind")),
}
# Conflicts that belong to one field of the form.
_CONFLICT_FIELDS = {"code-taken": "code", "name-taken": "name"}


def _labels() -> dict[str, str]:
    return {"code": _("Code"), "name": _("Name"), "country": _("Country (ISO code, e.g. NP)"),
            "timezone": _("Time zone (e.g. Asia/Kathmandu)"), "sector": _("Sector (optional)"),
            "isic_code": _("ISIC code (optional: a section letter or 2 to 4 digits)"),
            "kind": _("Kind of service")}


def _hints() -> dict[str, str]:
    return {"code": _("2 to 16 capital letters, digits or hyphens. It cannot be changed later.")}


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def _render_form(kind: Kind, obj: Any, v: dict[str, Any], errors: dict[str, str],
                 conflict_rows: list | None = None):
    fields = (("code",) if obj is None and kind.slug == "office" else ()) + kind.fields
    return render_template(
        "admin/org_form.html", kind=kind, titles=kind.titles(), obj=obj, v=v, errors=errors,
        fields=fields, labels=_labels(), hints=_hints(), conflict_rows=conflict_rows,
        kinds=sorted(kind_titles().items(), key=lambda kv: PROVIDER_KINDS.index(kv[0])))


# --- the index and the lists ------------------------------------------------------------------

@bp.get("/admin")
@login_required
def admin_index():
    """Links to everything an admin manages."""
    if not allowed(g.user, "offices:manage"):
        raise Forbidden()
    return render_template("admin/index.html")


@bp.get("/admin/offices")
@login_required
def offices():
    """Every office, by name."""
    rows = services.list_offices(db.session, g.user)
    return render_template("admin/offices.html", offices=rows,
                           can_manage=allowed(g.user, "offices:manage"))


@bp.get("/admin/organisations")
@login_required
def organisations():
    """Employers and service providers, by name."""
    sess = db.session
    return render_template(
        "admin/organisations.html", employers=services.list_employers(sess, g.user),
        providers=services.list_providers(sess, g.user), kind_titles=kind_titles(),
        can_manage=allowed(g.user, "organisations:manage"))


def _list_endpoint(kind: Kind) -> str:
    return "organisation_pages.offices" if kind.slug == "office" else \
        "organisation_pages.organisations"


# --- create -------------------------------------------------------------------------------------

@bp.get("/admin/<any(office, employer, provider):slug>/new")
@login_required
def new(slug: str):
    kind = _kind(slug)
    require(g.user, kind.manage)
    return _render_form(kind, None, {}, {})


@bp.post("/admin/<any(office, employer, provider):slug>/new")
@login_required
def create(slug: str):
    kind = _kind(slug)
    require(g.user, kind.manage)
    names = (("code",) if kind.slug == "office" else ()) + kind.fields
    values = form_values(names)
    try:
        data = kind.create_schema().load(form_input(values, nullable=kind.nullable))
        obj = kind.create(db.session, g.user, data)
    except FORM_ERRORS as err:
        return _render_form(kind, None, values, field_errors(
            err, conflict_fields=_CONFLICT_FIELDS)), form_status(err)
    flash(_("Saved: %(name)s.", name=obj.name))
    return redirect(url_for("organisation_pages.edit", slug=slug, obj_id=obj.id), 303)


# --- edit ---------------------------------------------------------------------------------------

def _load(kind: Kind, obj_id: int) -> Any:
    sess = db.session
    if kind.slug == "office":
        return services.load_office(sess, g.user, obj_id, kind.manage)
    return services.load_organisation(sess, g.user, kind.model, obj_id, kind.manage)


@bp.get("/admin/<any(office, employer, provider):slug>/<int:obj_id>")
@login_required
def edit(slug: str, obj_id: int):
    kind = _kind(slug)
    obj = _load(kind, obj_id)
    values = {name: getattr(obj, name) for name in kind.fields}
    values["version"] = obj.version
    return _render_form(kind, obj, values, {})


@bp.post("/admin/<any(office, employer, provider):slug>/<int:obj_id>")
@login_required
def update(slug: str, obj_id: int):
    kind = _kind(slug)
    obj = _load(kind, obj_id)
    values = form_values((*kind.fields, "version"))
    version = parse_version(values.pop("version"))
    try:
        raw = form_input(values, nullable=kind.nullable)
        # An emptied required field is refused beside it, not left unchanged.
        raw.update({k: "" for k in kind.fields if k not in raw})
        data = kind.update_schema().load(raw)
        kind.update(db.session, g.user, obj.id, data, expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        rows = None
        if isinstance(err, Conflict) and err.code == "stale-version":
            db.session.refresh(obj)
            current = {name: getattr(obj, name) for name in kind.fields}
            rows = conflict_view(current, values, [(n, _labels()[n]) for n in kind.fields])
            errors = {}
        else:
            errors = field_errors(err, conflict_fields=_CONFLICT_FIELDS)
        # Saving again after a conflict keeps what was typed, at the version now saved.
        values["version"] = obj.version if rows is not None else (version or "")
        return _render_form(kind, obj, values, errors, rows), form_status(err)
    flash(_("Saved: %(name)s.", name=obj.name))
    return redirect(url_for("organisation_pages.edit", slug=slug, obj_id=obj.id), 303)
