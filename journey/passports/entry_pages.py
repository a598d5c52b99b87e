"""Staff pages that change a passport: add an entry, edit it (versioned), verify it, retire it.

Each form is loaded by the API's schemas and handed to the same services as
POST/PATCH /participants/<id>/passport/entries; errors are shown beside the fields (422), a
stale version shows both versions (409), success redirects (303) with a message.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import Conflict, Forbidden
from journey.core.policy import allowed
from journey.core.versions import Precondition, parse_version
from journey.participants.services import load_participant
from journey.passports import entry_forms, services
from journey.passports.models import VERIFICATION_TITLES, EntryKind, Verification
from journey.passports.schemas import (
    EntryCreateSchema,
    EntryRetireSchema,
    EntryUpdateSchema,
    EntryVerifySchema,
)
from journey.taxonomy.services import search_occupations
from journey.web.forms import FORM_ERRORS, conflict_view, field_errors, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("passport_entry_pages", __name__)

_ENTRY = "/participants/<id:participant_id>/passport/entries/<id:entry_id>"


def _kind_arg(raw: str | None) -> str | None:
    return raw if raw in {k.value for k in EntryKind} else None


def _search(kind: str | None) -> dict[str, Any]:
    """ESCO occupations matching ?q=, for the kinds whose form offers the search (no script)."""
    q = request.args.get("q", "").strip()[:100]
    if kind not in entry_forms.SEARCH_FIELD or not q:
        return {"q": q, "results": None}
    found = search_occupations(db.session, q=q, per_page=25)["items"]
    return {"q": q, "results": [(o.uri, f"{o.label} · ISCO {o.isco_code}") for o in found]}


def _choices() -> dict[str, Any]:
    return {"kinds": [(k.value, services.KIND_TITLES[k]) for k in EntryKind],
            "levels": [(v.value, VERIFICATION_TITLES[v]) for v in Verification]}


# --- adding --------------------------------------------------------------------------------------

def _render_new(p, kind, values, errors, status=200):
    return render_template("passports/entry_new.html", p=p, kind=kind, v=values, errors=errors,
                           fields=entry_forms.FIELDS.get(kind, ()), search=_search(kind),
                           search_field=entry_forms.SEARCH_FIELD.get(kind), **_choices()), status


@bp.get("/participants/<id:participant_id>/passport/entries/new")
@login_required
def new_entry(participant_id: int):
    """Pick a kind, then its form (an occupation's form can search ESCO first)."""
    p = load_participant(db.session, g.user, participant_id, "passports:write")
    kind = _kind_arg(request.args.get("kind"))
    values = {"formality": "formal"} if kind == EntryKind.QUALIFICATION else {}
    picked = request.args.get("pick", "")
    if kind in entry_forms.SEARCH_FIELD and picked:
        values[entry_forms.SEARCH_FIELD[kind]] = picked[:300]
    return _render_new(p, kind, values, {})


@bp.post("/participants/<id:participant_id>/passport/entries/new")
@login_required
def create_entry(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "passports:write")
    kind = _kind_arg(request.form.get("kind"))
    if kind is None:
        abort(400)
    values = form_values(entry_forms.names(kind))
    try:
        data = EntryCreateSchema().load({"kind": kind, **entry_forms.to_body(kind, values)})
        entry = services.add_entry(sess, user, p, data.pop("kind"), data)
    except FORM_ERRORS as err:
        return _render_new(p, kind, values, entry_forms.flat_errors(field_errors(err)),
                           form_status(err))
    flash(_("Added to the passport: %(title)s.", title=entry.title))
    return redirect(url_for("passport_pages.staff_passport", participant_id=p.id), 303)


# --- one entry: edit, verify, retire ---------------------------------------------------------------

def _render_entry(p, entry, *, values=None, errors=None, verify=None, retire=None,
                  conflict=None, status=200):
    row = services.entry_to_dict(entry)
    kind = entry.kind
    return render_template(
        "passports/entry_edit.html", p=p, e=row, kind=kind,
        v=values if values is not None else entry_forms.to_values(row),
        version=entry.version, errors=errors or {}, fields=entry_forms.FIELDS[kind],
        verify=verify or {"v": {"verify_level": entry.verification}, "errors": {}},
        retire=retire or {"v": {}, "errors": {}}, conflict=conflict,
        can_verify=allowed(g.user, "passports:verify"), search=_search(kind),
        search_field=entry_forms.SEARCH_FIELD.get(kind), **_choices()), status


def _load(participant_id: int, entry_id: int, permission: str):
    sess = db.session
    p = load_participant(sess, g.user, participant_id, permission)
    return sess, p, services.load_entry(sess, p, entry_id)


@bp.get(f"{_ENTRY}/edit")
@login_required
def edit_entry(participant_id: int, entry_id: int):
    _sess, p, entry = _load(participant_id, entry_id, "passports:write")
    if entry.retired_at is not None:
        abort(404)
    values = None
    picked = request.args.get("pick", "")
    if entry.kind in entry_forms.SEARCH_FIELD and picked:
        values = entry_forms.to_values(services.entry_to_dict(entry))
        values[entry_forms.SEARCH_FIELD[entry.kind]] = picked[:300]
    return _render_entry(p, entry, values=values)


@bp.post(f"{_ENTRY}/edit")
@login_required
def update_entry(participant_id: int, entry_id: int):
    sess, p, entry = _load(participant_id, entry_id, "passports:write")
    kind = entry.kind
    values = form_values((*entry_forms.names(kind), "why"))
    reason = values.pop("why")
    version = parse_version(request.form.get("version", ""))
    try:
        data = EntryUpdateSchema().load({**entry_forms.to_body(kind, values, edit=True),
                                         "version": version or 0,
                                         **({"reason": reason} if reason else {})})
        data.pop("version")
        services.update_entry(sess, g.user, p, entry, data,
                              expected=Precondition(body=version or 0),
                              reason=data.pop("reason", None))
    except FORM_ERRORS as err:
        conflict = None
        if isinstance(err, Conflict) and getattr(err, "code", "") != "entry-retired":
            # Both versions, nothing overwritten: the form now carries the saved version.
            saved = entry_forms.to_values(services.entry_to_dict(entry))
            labels = [(f.name, f.label) for f in entry_forms.FIELDS[kind]]
            conflict = conflict_view(saved, values, labels)
            return _render_entry(p, entry, values={**values, "why": reason},
                                 conflict=conflict, status=409)
        errors = entry_forms.flat_errors(field_errors(err))
        if "reason" in errors:
            errors["why"] = errors.pop("reason")
        return _render_entry(p, entry, values={**values, "why": reason}, errors=errors,
                             status=form_status(err))
    flash(_("Entry saved."))
    return redirect(url_for("passport_pages.staff_passport", participant_id=p.id), 303)


@bp.post(f"{_ENTRY}/verify")
@login_required
def verify_entry(participant_id: int, entry_id: int):
    if not allowed(g.user, "passports:verify"):
        raise Forbidden()
    sess, p, entry = _load(participant_id, entry_id, "passports:verify")
    # Prefixed: the edit form on the same page has its own "evidence".
    values = form_values(("verify_level", "verify_evidence"))
    try:
        data = EntryVerifySchema().load({k.removeprefix("verify_"): v
                                         for k, v in values.items() if v})
        services.verify_entry(sess, g.user, p, entry, level=data["level"],
                              evidence=data.get("evidence"))
    except FORM_ERRORS as err:
        errors = {("_form" if k == "_form" else f"verify_{k}"): m
                  for k, m in field_errors(err).items()}
        return _render_entry(p, entry, verify={"v": values, "errors": errors},
                             status=form_status(err))
    flash(_("Verification recorded: %(level)s.", level=Verification(data["level"]).title))
    return redirect(url_for("passport_pages.staff_passport", participant_id=p.id), 303)


@bp.post(f"{_ENTRY}/retire")
@login_required
def retire_entry(participant_id: int, entry_id: int):
    sess, p, entry = _load(participant_id, entry_id, "passports:write")
    values = form_values(("reason",))
    try:
        data = EntryRetireSchema().load({k: v for k, v in values.items() if v})
        services.retire_entry(sess, g.user, p, entry, reason=data["reason"])
    except FORM_ERRORS as err:
        return _render_entry(p, entry, retire={"v": values, "errors": field_errors(err)},
                             status=form_status(err))
    flash(_("Entry retired: %(title)s.", title=entry.title))
    return redirect(url_for("passport_pages.staff_passport", participant_id=p.id), 303)
