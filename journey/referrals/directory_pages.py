"""The service directory's pages: search (staff and partners), one service with its hours and
locations, the forms admins and supervisors keep it with, and a light public page of the active
services for migrants (no login).

Server-rendered, no script. The forms load through the API's schemas
(journey.referrals.directory_schemas) and call the same services (journey.referrals.directory),
so a page refuses what the API refuses, with the same messages beside the fields. A partner and
the public page never see a confidential location.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.db import db
from journey.core.errors import Conflict
from journey.core.policy import allowed, require
from journey.core.versions import Precondition, parse_version
from journey.organisations.models import ServiceProvider
from journey.referrals import directory, directory_admin
from journey.referrals.access import sees_confidential
from journey.referrals.directory import (
    CATEGORIES,
    CATEGORY_TITLES,
    FLAG_TITLES,
    FLAGS,
    SERVICE_STATUS_TITLES,
    SEX_TITLES,
    STATUS_TITLES,
    STATUSES,
    language_title,
)
from journey.referrals.directory_schemas import (
    DirectoryLocationCreateSchema,
    DirectoryLocationUpdateSchema,
    DirectorySearchSchema,
    DirectoryServiceCreateSchema,
    DirectoryServiceUpdateSchema,
)
from journey.referrals.models import DirectoryLocation, ServiceLanguage, ServiceStatus
from journey.web import display
from journey.web.forms import (
    FORM_ERRORS,
    conflict_view,
    field_errors,
    form_input,
    form_status,
    form_values,
)
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("directory_pages", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

SEARCH_ARGS = ("q", "category", "flag", "language", "place", "stale", "status", "page")
TEXT_FIELDS = ("name", "description", "status", "url", "email", "phone", "min_age", "max_age",
               "eligible_sex", "eligibility_note", "fees_description", "application_process",
               "documents_required", "capacity", "waiting_days", "response_days",
               "completion_days", "provider_id", "languages", "areas")
INTS = ("min_age", "max_age", "capacity", "waiting_days", "response_days", "completion_days",
        "provider_id")
NULLABLE = ("description", "url", "email", "phone", "min_age", "max_age", "eligibility_note",
            "fees_description", "application_process", "documents_required", "capacity",
            "waiting_days", "response_days", "completion_days")
LOCATION_TEXT = ("provider_id", "name", "address", "city", "region", "postal_code", "country",
                 "latitude", "longitude")
LOCATION_NULLABLE = ("address", "city", "region", "postal_code", "latitude", "longitude")


def _days() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=str(get_locale() or "en"))
    return [(d, names[d - 1]) for d in range(1, 8)]


def _helpers() -> dict[str, Any]:
    return {
        "category_title": lambda c: str(CATEGORY_TITLES.get(c, c)),
        "flag_title": lambda f: str(FLAG_TITLES.get(f, f)),
        "status_title": lambda s: str(STATUS_TITLES.get(s, s)),
        "service_status_title": lambda s: str(SERVICE_STATUS_TITLES.get(s, s)),
        "sex_title": lambda s: str(SEX_TITLES.get(s, s)),
        "language_title": language_title, "days": _days(),
        "can_manage": g.get("user") is not None and allowed(g.user, "directory:manage"),
    }


def _language_choices() -> list[tuple[str, str]]:
    codes = db.session.scalars(sa.select(ServiceLanguage.language).distinct()).all()
    return sorted(((c, language_title(c)) for c in codes), key=lambda x: x[1].casefold())


def _query_args() -> tuple[dict[str, str], dict[str, Any]]:
    raw = {k: v for k in SEARCH_ARGS if (v := request.args.get(k, "").strip())}
    unknown = set(request.args) - set(SEARCH_ARGS) - {"lang"}
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    return raw, DirectorySearchSchema().load(raw)


@bp.get("/directory")
@login_required
def services():
    """Search the directory by text, category, flag, language, place and stale."""
    require(g.user, "directory:read")
    raw, args = _query_args()
    if not sees_confidential(g.user):
        args.pop("status", None)
    rows, total = directory.search(db.session, g.user, **args)
    pages = math.ceil(total / args["per_page"]) if total else 0
    page = {"page": args["page"], "pages": pages, "total": total}
    return render_template(
        "referrals/directory/services.html", rows=rows, query={k: v for k, v in raw.items()
                                                              if k != "page"},
        page=page, window=display.page_window(page["page"], pages),
        categories=[(c, str(CATEGORY_TITLES[c])) for c in CATEGORIES],
        flags=[(f, str(FLAG_TITLES[f])) for f in FLAGS], languages=_language_choices(),
        statuses=[(s.value, str(SERVICE_STATUS_TITLES[s.value])) for s in ServiceStatus],
        staff=sees_confidential(g.user), **_helpers())


@bp.get("/directory/services/<id:service_id>")
@login_required
def service(service_id: int):
    """One service: what it offers, to whom, how to apply, its hours and the locations this user
    may see (a partner never sees a confidential one)."""
    found = directory.read_service(db.session, g.user, service_id)
    return _service_page(found)


def _service_page(found: dict[str, Any], status: int = 200):
    providers_locations = {loc.id: loc for loc in found["locations"]}
    return render_template("referrals/directory/service.html", row=found, s=found["service"],
                           locations=providers_locations, **_helpers()), status


@bp.post("/directory/services/<id:service_id>/confirm")
@login_required
def confirm(service_id: int):
    """"Confirmed today": the entry is still correct (admins and supervisors)."""
    require(g.user, "directory:manage")
    version = parse_version(request.form.get("version", ""))
    try:
        found = directory_admin.confirm_service(db.session, g.user, service_id,
                                          expected=Precondition(body=version))
    except Conflict:
        flash(_("Someone changed this entry since you read it; check it and confirm again."))
        return redirect(url_for("directory_pages.service", service_id=service_id), 303)
    flash(_("Confirmed today: %(name)s.", name=found.name))
    return redirect(url_for("directory_pages.service", service_id=service_id), 303)


# --- the service form ---------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def _form_schedules(values: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The weekly hours typed (one opening per weekday); and which weekday each schedule's index
    is, to put an error beside its day."""
    out, index = [], {}
    for day in range(1, 8):
        opens, closes = values.get(f"opens_{day}", ""), values.get(f"closes_{day}", "")
        if opens or closes:
            index[len(out)] = day
            out.append({"weekday": day, "opens_at": opens or None, "closes_at": closes or None})
    return out, index


def _service_input(values: dict[str, Any], kept: list[dict[str, Any]] | None = None
                   ) -> tuple[dict[str, Any], dict[int, int]]:
    raw = form_input({k: values[k] for k in TEXT_FIELDS if k in values and k not in
                      ("languages", "areas")}, ints=INTS, nullable=NULLABLE)
    raw["languages"] = _split(values.get("languages", ""))
    raw["areas"] = [a.strip() for a in values.get("areas", "").splitlines() if a.strip()]
    chosen = set(values.get("categories") or [])
    for name in CATEGORIES:
        raw[name] = name in chosen
    flags = set(values.get("flags") or [])
    for name in FLAGS:
        raw[name] = name in flags
    raw["eligible_statuses"] = list(values.get("eligible_statuses") or [])
    raw["location_ids"] = [int(v) for v in values.get("location_ids") or [] if v.isdigit()]
    schedules, index = _form_schedules(values)
    # Hours at one location (kept through the API) stay as they are.
    raw["schedules"] = schedules + [
        {**s, "opens_at": s["opens_at"].strftime("%H:%M"),
         "closes_at": s["closes_at"].strftime("%H:%M")} for s in kept or []
        if s["location_id"] is not None]
    return raw, index


def _errors(err: Exception, index: dict[int, int]) -> dict[str, str]:
    errors = field_errors(err)
    for key in list(errors):
        parts = key.split(".")
        if parts[0] == "schedules" and len(parts) > 1 and parts[1].isdigit():
            day = index.get(int(parts[1]))
            if day is not None:
                errors[f"hours_{day}"] = errors.pop(key)
    errors.pop("schedules", None) if any(k.startswith("hours_") for k in errors) else None
    for name in CATEGORIES:
        if name in errors:
            errors["categories"] = errors.pop(name)
    return errors


def _form_values(found: dict[str, Any]) -> dict[str, Any]:
    v = {k: ("" if found.get(k) is None else found[k]) for k in TEXT_FIELDS}
    v["languages"] = " ".join(found.get("languages") or [])
    v["areas"] = "\n".join(found.get("areas") or [])
    v["categories"] = [c for c in CATEGORIES if found.get(c)]
    v["flags"] = [f for f in FLAGS if found.get(f)]
    v["eligible_statuses"] = list(found.get("eligible_statuses") or [])
    v["location_ids"] = [str(i) for i in found.get("location_ids") or []]
    for s in found.get("schedules") or []:
        if s["location_id"] is None:
            v[f"opens_{s['weekday']}"] = s["opens_at"].strftime("%H:%M")
            v[f"closes_{s['weekday']}"] = s["closes_at"].strftime("%H:%M")
    v["version"] = found.get("version", "")
    return v


def _posted() -> dict[str, Any]:
    names = (*TEXT_FIELDS, "categories", "flags", "eligible_statuses", "location_ids",
             *(f"{k}_{d}" for d in range(1, 8) for k in ("opens", "closes")))
    return form_values(names, multi=("categories", "flags", "eligible_statuses",
                                     "location_ids"))


def _form_page(service, v: dict[str, Any], errors: dict[str, str], status: int = 200,
               conflict: list | None = None):
    providers = db.session.scalars(sa.select(ServiceProvider).order_by(ServiceProvider.name)).all()
    names = {p.id: p.name for p in providers}
    locations = db.session.scalars(sa.select(DirectoryLocation).order_by(
        DirectoryLocation.provider_id, DirectoryLocation.name)).all()
    return render_template(
        "referrals/directory/service_form.html", service=service, v=v, errors=errors,
        conflict=conflict, providers=[(p.id, p.name) for p in providers],
        locations=[(str(loc.id), f"{loc.name} ({names.get(loc.provider_id, '')})"
                    + (" · " + _("confidential") if loc.confidential else ""))
                   for loc in locations],
        categories=[(c, str(CATEGORY_TITLES[c])) for c in CATEGORIES],
        flags=[(f, str(FLAG_TITLES[f])) for f in FLAGS],
        statuses=[(s, str(STATUS_TITLES[s])) for s in STATUSES],
        service_statuses=[(s.value, str(SERVICE_STATUS_TITLES[s.value])) for s in ServiceStatus],
        sexes=[(k, str(t)) for k, t in SEX_TITLES.items()], **_helpers()), status


@bp.get("/directory/services/new")
@login_required
def new_service():
    require(g.user, "directory:manage")
    return _form_page(None, {"eligible_sex": "any", "flags": ["free_of_charge"],
                             "provider_id": request.args.get("provider_id", "")}, {})


@bp.post("/directory/services/new")
@login_required
def create_service():
    """Add a service (admins and supervisors)."""
    require(g.user, "directory:manage")
    values = _posted()
    raw, index = _service_input(values)
    raw.setdefault("name", "")
    raw.pop("status", None)
    try:
        data = DirectoryServiceCreateSchema().load(raw)
        found = directory_admin.create_service(db.session, g.user, data)
    except FORM_ERRORS as err:
        return _form_page(None, values, _errors(err, index), form_status(err))
    flash(_("Saved: %(name)s.", name=found.name))
    return redirect(url_for("directory_pages.service", service_id=found.id), 303)


@bp.get("/directory/services/<id:service_id>/edit")
@login_required
def edit_service(service_id: int):
    require(g.user, "directory:manage")
    found = directory.load_service(db.session, g.user, service_id, "directory:manage")
    return _form_page(found, _form_values(directory_admin.edit_values(db.session, found)), {})


def _labels() -> list[tuple[str, str]]:
    return [("name", _("Name")), ("description", _("Description")), ("status", _("Status")),
            ("capacity", _("Capacity (places)")), ("waiting_days", _("Waiting time (days)")),
            ("languages", _("Languages")), ("areas", _("Service areas"))]


@bp.post("/directory/services/<id:service_id>/edit")
@login_required
def update_service(service_id: int):
    """Change a service at the version read (admins and supervisors)."""
    sess = db.session
    found = directory.load_service(sess, g.user, service_id, "directory:manage")
    values = _posted()
    version = parse_version(request.form.get("version", ""))
    kept = directory_admin.edit_values(sess, found)["schedules"]
    raw, index = _service_input(values, kept)
    raw.pop("provider_id", None)
    raw.setdefault("name", "")
    try:
        data = DirectoryServiceUpdateSchema().load(raw)
        directory_admin.update_service(sess, g.user, found.id, data,
                                 expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        if isinstance(err, Conflict) and err.code == "stale-version":
            sess.refresh(found)
            current = _form_values(directory_admin.edit_values(sess, found))
            rows = conflict_view(current, values, _labels())
            return _form_page(found, {**values, "version": found.version}, {}, 409, rows)
        return _form_page(found, {**values, "version": version or ""}, _errors(err, index),
                          form_status(err))
    flash(_("Saved: %(name)s.", name=found.name))
    return redirect(url_for("directory_pages.service", service_id=found.id), 303)


# --- locations ----------------------------------------------------------------------------------

def _location_page(loc, v: dict[str, Any], errors: dict[str, str], status: int = 200):
    providers = db.session.scalars(sa.select(ServiceProvider).order_by(ServiceProvider.name)).all()
    return render_template("referrals/directory/location_form.html", location=loc, v=v,
                           errors=errors, providers=[(p.id, p.name) for p in providers],
                           **_helpers()), status


def _location_input(values: dict[str, Any]) -> dict[str, Any]:
    raw = form_input({k: v for k, v in values.items() if k != "confidential"},
                     ints=("provider_id",), nullable=LOCATION_NULLABLE)
    for key in ("latitude", "longitude"):
        if isinstance(raw.get(key), str):
            try:
                raw[key] = float(raw[key].replace(",", "."))
            except ValueError:
                pass  # the schema says what is wrong, beside the field
    raw["confidential"] = values.get("confidential") in ("yes", "on", "true")
    return raw


@bp.get("/directory/locations/new")
@login_required
def new_location():
    require(g.user, "directory:manage")
    return _location_page(None, {"provider_id": request.args.get("provider_id", "")}, {})


@bp.post("/directory/locations/new")
@login_required
def create_location():
    """Add a location of a provider (admins and supervisors)."""
    require(g.user, "directory:manage")
    values = form_values((*LOCATION_TEXT, "confidential"))
    try:
        raw = _location_input(values)
        raw.update({k: "" for k in ("name", "country") if k not in raw})
        data = DirectoryLocationCreateSchema().load(raw)
        loc = directory_admin.create_location(db.session, g.user, data)
    except FORM_ERRORS as err:
        return _location_page(None, values, field_errors(err), form_status(err))
    flash(_("Saved: %(name)s.", name=loc.name))
    return redirect(url_for("directory_pages.services"), 303)


@bp.get("/directory/locations/<id:location_id>/edit")
@login_required
def edit_location(location_id: int):
    loc = directory_admin.load_location(db.session, g.user, location_id, "directory:manage")
    v = {k: "" if getattr(loc, k, None) is None else getattr(loc, k) for k in LOCATION_TEXT}
    v["confidential"] = "yes" if loc.confidential else ""
    v["version"] = loc.version
    return _location_page(loc, v, {})


@bp.post("/directory/locations/<id:location_id>/edit")
@login_required
def update_location(location_id: int):
    """Change a location at the version read (admins and supervisors)."""
    loc = directory_admin.load_location(db.session, g.user, location_id, "directory:manage")
    values = form_values((*LOCATION_TEXT, "confidential"))
    version = parse_version(request.form.get("version", ""))
    try:
        raw = _location_input(values)
        raw.pop("provider_id", None)
        raw.update({k: "" for k in ("name", "country") if k not in raw})
        data = DirectoryLocationUpdateSchema().load(raw)
        directory_admin.update_location(db.session, g.user, loc.id, data,
                                  expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        return _location_page(loc, {**values, "version": version or ""},
                              field_errors(err, conflict_fields={"stale-version": "name"}),
                              form_status(err))
    flash(_("Saved: %(name)s.", name=loc.name))
    return redirect(url_for("directory_pages.services"), 303)


# --- the public page ----------------------------------------------------------------------------

@bp.get("/services")
def public():
    """The active services, for migrants (no login): what they offer, in which languages, where
    (never a confidential location: the caseworker gives that address) and what to bring."""
    raw = {k: v for k in ("category", "language", "place", "page")
           if (v := request.args.get(k, "").strip())}
    args = DirectorySearchSchema().load(raw)
    args.pop("per_page", None)
    rows, total = directory.public_search(db.session, per_page=30, **args)
    pages = math.ceil(total / 30) if total else 0
    page = {"page": args["page"], "pages": pages, "total": total}
    return render_template(
        "referrals/directory/public.html", rows=rows, page=page,
        window=display.page_window(page["page"], pages),
        query={k: v for k, v in raw.items() if k != "page"},
        categories=[(c, str(CATEGORY_TITLES[c])) for c in CATEGORIES],
        languages=_language_choices(), **_helpers())
