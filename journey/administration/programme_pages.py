"""Pages: programmes listed (for whoever may read them), created and edited by admins, and each
programme's checklist configuration edited as a plain form: one row per default item (skip it,
rename it) and blank rows to add the programme's own items.

The forms load through the API's schemas (ProgrammeSchema, ProgrammeUpdateSchema with its
ChecklistConfigSchema) and call the same services; errors show beside the fields.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlmodel import select

from journey.core.db import db
from journey.core.errors import Conflict
from journey.core.policy import allowed, require
from journey.core.versions import Precondition, parse_version
from journey.employers.onboarding import DEFAULT_STEPS, STEP_TITLES
from journey.organisations.models import Employer, ServiceProvider
from journey.programmes import services
from journey.programmes.contacts import contacts_for
from journey.programmes.schemas import ProgrammeSchema, ProgrammeUpdateSchema
from journey.stages import Stage
from journey.stages.checklists import DEFAULT_CHECKLISTS
from journey.web.display import language_name, stage_title
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("programme_pages", __name__)

BLANK_ROWS = 3
MAX_ADDED = 60
_CREATE_FIELDS = ("code", "name", "origin_country", "destination_country", "sector",
                  "occupations", "default_language", "languages")
_EDIT_FIELDS = ("name", "languages", "training_provider_id")
# The programme's own numbers (ContactsSchema), posted as contacts.<name> so that the schema's
# errors ("contacts.helpline") land beside their fields.
_CONTACT_FIELDS = ("contacts.helpline", "contacts.emergency", "contacts.embassy")
# The budget per hire (the Employer Pays summary compares placements with it) and the onboarding
# steps employers confirm (checkboxes, in the usual order; none ticked: the default list).
_BUDGET_FIELDS = ("budget_per_hire", "budget_currency")


def _labels() -> dict[str, str]:
    return {"code": _("Code"), "name": _("Name"),
            "origin_country": _("Origin country (ISO code, e.g. NP)"),
            "destination_country": _("Destination country (ISO code, e.g. PT)"),
            "sector": _("Sector"), "occupations": _("Occupations (ISCO-08 codes, comma-separated)"),
            "default_language": _("Default language (e.g. ne)"),
            "languages": _("Other languages (comma-separated, e.g. en, pt)"),
            "training_provider_id": _("Training provider"), "employer_ids": _("Partner employers"),
            "contacts.helpline": _("Helpline in the destination country"),
            "contacts.emergency": _("Emergency number in the destination country"),
            "contacts.embassy": _("Embassy or consulate of the origin country"),
            "budget_per_hire": _("Budget per hire"),
            "budget_currency": _("Currency of the budget (e.g. EUR)"),
            "onboarding_steps": _("Onboarding steps employers confirm")}


def _budget(values: dict[str, Any]) -> dict[str, Any]:
    """The budget and onboarding steps to load: empty fields clear them."""
    raw: dict[str, Any] = {k: values.get(k) or None for k in _BUDGET_FIELDS}
    raw["onboarding_steps"] = values.get("onboarding_steps") or None
    return raw


def _budget_values(prog) -> dict[str, Any]:
    return {"budget_per_hire": "" if prog.budget_per_hire is None else str(prog.budget_per_hire),
            "budget_currency": prog.budget_currency or "",
            "onboarding_steps": list(prog.onboarding_steps or DEFAULT_STEPS)}


def _steps() -> list[tuple[str, str]]:
    return [(key, str(title)) for key, title in STEP_TITLES.items()]


def _contacts(values: dict[str, Any]) -> dict[str, str]:
    """The contacts to load: the filled-in numbers (an emptied one is removed, so it falls back
    on the destination country's, then the centre's)."""
    return {name.split(".", 1)[1]: values[name] for name in _CONTACT_FIELDS if values.get(name)}


def _contact_values(contacts: dict[str, Any] | None) -> dict[str, str]:
    return {f"contacts.{k}": v for k, v in (contacts or {}).items()
            if f"contacts.{k}" in _CONTACT_FIELDS and v}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()][:50]


def _choices() -> dict[str, list[tuple[Any, str]]]:
    sess = db.session
    return {
        "employers": [(e.id, e.name) for e in sess.scalars(select(Employer).order_by(Employer.name))],
        "providers": [(p.id, p.name) for p in sess.scalars(
            select(ServiceProvider).order_by(ServiceProvider.name))],
        "steps": _steps(),
    }


@bp.get("/admin/programmes")
@login_required
def programmes():
    """Every programme, by code."""
    rows = services.list_programmes(db.session, g.user)
    return render_template("admin/programmes.html", programmes=rows,
                           can_manage=allowed(g.user, "programmes:manage"))


# --- create -------------------------------------------------------------------------------------

def _render_new(v: dict[str, Any], errors: dict[str, str]):
    return render_template("admin/programme_new.html", v=v, errors=errors, labels=_labels(),
                           **_choices())


@bp.get("/admin/programmes/new")
@login_required
def new_programme():
    require(g.user, "programmes:manage")
    return _render_new({"default_language": "en", "onboarding_steps": list(DEFAULT_STEPS)}, {})


@bp.post("/admin/programmes/new")
@login_required
def create_programme():
    require(g.user, "programmes:manage")
    values = form_values((*_CREATE_FIELDS, *_CONTACT_FIELDS, *_BUDGET_FIELDS,
                          "onboarding_steps"), multi=("onboarding_steps",))
    values["employer_ids"] = request.form.getlist("employer_ids")[:200]
    raw = form_input({k: v for k, v in values.items()
                      if k not in ("occupations", "languages", "onboarding_steps",
                                   *_CONTACT_FIELDS, *_BUDGET_FIELDS)})
    raw.update(_budget(values))
    raw["contacts"] = _contacts(values)
    raw["occupations"] = _split(values["occupations"])
    raw["languages"] = _split(values["languages"])
    raw["employer_ids"] = [int(i) if i.isascii() and i.isdigit() and len(i) < 11 else i
                           for i in values["employer_ids"]]
    try:
        data = ProgrammeSchema().load(raw)
        prog = services.create_programme(db.session, g.user, data)
    except FORM_ERRORS as err:
        return _render_new(values, field_errors(err, conflict_fields={"code-taken": "code"})), \
            form_status(err)
    flash(_("Saved: %(name)s.", name=prog.name))
    return redirect(url_for("programme_pages.edit_programme", programme_id=prog.id), 303)


# --- edit ---------------------------------------------------------------------------------------

def _render_edit(prog, v: dict[str, Any], errors: dict[str, str], rows=None):
    return render_template("admin/programme_edit.html", prog=prog, v=v, errors=errors,
                           labels=_labels(), conflict_rows=rows, language_name=language_name,
                           contacts=contacts_for(prog.contacts, prog.destination_country,
                                                 current_app.config),
                           **_choices())


def _current(prog) -> dict[str, Any]:
    return {"name": prog.name, "languages": ", ".join(prog.languages),
            "training_provider_id": prog.training_provider_id or "",
            "employer_ids": [str(e.id) for e in prog.employers], "version": prog.version,
            **_contact_values(prog.contacts), **_budget_values(prog)}


@bp.get("/admin/programmes/<int:programme_id>")
@login_required
def edit_programme(programme_id: int):
    prog = services.load_programme(db.session, g.user, programme_id, "programmes:manage")
    return _render_edit(prog, _current(prog), {})


@bp.post("/admin/programmes/<int:programme_id>")
@login_required
def update_programme(programme_id: int):
    sess = db.session
    prog = services.load_programme(sess, g.user, programme_id, "programmes:manage")
    values = form_values((*_EDIT_FIELDS, *_CONTACT_FIELDS, *_BUDGET_FIELDS, "onboarding_steps",
                          "version"), multi=("onboarding_steps",))
    values["employer_ids"] = request.form.getlist("employer_ids")[:200]
    version = parse_version(values["version"])
    raw = form_input({"name": values["name"],
                      "training_provider_id": values["training_provider_id"]},
                     ints=("training_provider_id",), nullable=("training_provider_id",))
    raw["name"] = values["name"]  # an emptied name is refused, not left unchanged
    raw["languages"] = _split(values["languages"])
    raw["employer_ids"] = [int(i) if i.isascii() and i.isdigit() and len(i) < 11 else i
                           for i in values["employer_ids"]]
    raw["contacts"] = _contacts(values)
    raw.update(_budget(values))
    try:
        data = ProgrammeUpdateSchema().load(raw)
        services.update_programme(sess, g.user, prog.id, data,
                                  expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        rows = None
        if isinstance(err, Conflict) and err.code == "stale-version":
            current = _current(prog)
            rows = conflict_view(current, values,
                                 [(n, _labels()[n]) for n in (*_EDIT_FIELDS, *_CONTACT_FIELDS,
                                                              *_BUDGET_FIELDS)])
            values["version"] = prog.version
        return _render_edit(prog, values, {} if rows else field_errors(err), rows), \
            form_status(err)
    flash(_("Saved: %(name)s.", name=prog.name))
    return redirect(url_for("programme_pages.edit_programme", programme_id=prog.id), 303)


# --- the checklist ------------------------------------------------------------------------------

def _stages() -> list[dict[str, Any]]:
    return [{"value": s.value, "title": stage_title(s.value),
             "items": [d for d in DEFAULT_CHECKLISTS if d.stage == s]} for s in Stage
            if any(d.stage == s for d in DEFAULT_CHECKLISTS)]


def _config_values(config: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a saved configuration."""
    v: dict[str, Any] = {"added": []}
    for key in config.get("disabled", []):
        v[f"skip-{key}"] = "yes"
    for key, title in config.get("renamed", {}).items():
        v[f"rename-{key}"] = title
    for extra in config.get("added", []):
        v["added"].append({"stage": extra["stage"], "key": extra["key"], "title": extra["title"],
                           "required": extra.get("required", True),
                           "due_days": "" if extra.get("due_days") is None else extra["due_days"]})
    return v


def _render_checklist(prog, v: dict[str, Any], errors: dict[str, str], rows=None):
    added = list(v.get("added", []))
    added += [{"stage": "", "key": "", "title": "", "required": True, "due_days": ""}
              for _i in range(BLANK_ROWS)]
    return render_template("admin/programme_checklist.html", prog=prog, v=v, added=added,
                           errors=errors, stages=_stages(), conflict_rows=rows,
                           stage_items=[(s.value, stage_title(s.value)) for s in Stage])


@bp.get("/admin/programmes/<int:programme_id>/checklist")
@login_required
def checklist(programme_id: int):
    prog = services.load_programme(db.session, g.user, programme_id, "programmes:manage")
    v = _config_values(prog.checklist_config or {})
    v["version"] = prog.version
    return _render_checklist(prog, v, {})


def _read_checklist_form() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the config to load, the values to show again)."""
    form = request.form
    v: dict[str, Any] = {"added": []}
    config: dict[str, Any] = {"disabled": [], "renamed": {}, "added": []}
    for item in DEFAULT_CHECKLISTS:
        if form.get(f"skip-{item.key}"):
            v[f"skip-{item.key}"] = "yes"
            config["disabled"].append(item.key)
        title = form.get(f"rename-{item.key}", "").strip()[:1000]
        if title:
            v[f"rename-{item.key}"] = title
            config["renamed"][item.key] = title
    for i in range(MAX_ADDED):
        if f"add-{i}-stage" not in form:
            break
        row = {name: form.get(f"add-{i}-{name}", "").strip()[:1000]
               for name in ("stage", "key", "title", "due_days")}
        row["required"] = bool(form.get(f"add-{i}-required"))
        if not (row["key"] or row["title"] or row["due_days"]):
            continue  # a blank row
        v["added"].append(row)
        config["added"].append(form_input(row, ints=("due_days",), nullable=("due_days",)))
    return config, v


def _checklist_errors(err: ValidationError, config: dict[str, Any]) -> dict[str, str]:
    """The schema's messages, placed beside the form's fields."""
    errors: dict[str, str] = {}
    messages = err.messages.get("checklist_config", {}) if isinstance(err.messages, dict) else {}
    if not isinstance(messages, dict):
        return {"_form": " ".join(map(str, messages))}
    for index, fields in (messages.get("added") or {}).items():
        if isinstance(fields, dict):
            for name, msgs in fields.items():
                errors[f"add-{index}-{name}"] = " ".join(map(str, msgs))
    for key, msgs in (messages.get("renamed") or {}).items():
        value = msgs.get("value", msgs) if isinstance(msgs, dict) else msgs
        errors[f"rename-{key}"] = " ".join(map(str, value))
    defaults = {d.key for d in DEFAULT_CHECKLISTS}
    seen: set[str] = set()
    for index, extra in enumerate(config["added"]):
        key = extra.get("key")
        if key in defaults:
            errors.setdefault(f"add-{index}-key", _("'%(key)s' is already a default item.",
                                                   key=key))
        elif key in seen:
            errors.setdefault(f"add-{index}-key", _("Two new items have the key '%(key)s'.",
                                                   key=key))
        seen.add(key)
    if messages.get("_schema") and not errors:
        errors["_form"] = " ".join(map(str, messages["_schema"]))
    return errors


@bp.post("/admin/programmes/<int:programme_id>/checklist")
@login_required
def update_checklist(programme_id: int):
    sess = db.session
    prog = services.load_programme(sess, g.user, programme_id, "programmes:manage")
    version = parse_version(request.form.get("version", ""))
    config, v = _read_checklist_form()
    v["version"] = version or ""
    try:
        data = ProgrammeUpdateSchema().load({"checklist_config": config})
        services.update_programme(sess, g.user, prog.id, data,
                                  expected=Precondition(body=version or 0))
    except ValidationError as err:
        return _render_checklist(prog, v, _checklist_errors(err, config)), 422
    except FORM_ERRORS as err:
        rows = None
        if isinstance(err, Conflict) and err.code == "stale-version":
            rows = conflict_view({"checklist_config": prog.checklist_config},
                                 {"checklist_config": config},
                                 [("checklist_config", _("Checklist configuration"))])
            v["version"] = prog.version
        return _render_checklist(prog, v, {} if rows else field_errors(err), rows), \
            form_status(err)
    flash(_("Saved the checklist of %(name)s.", name=prog.name))
    return redirect(url_for("programme_pages.checklist", programme_id=prog.id), 303)
