"""Staff pages: employers with their verification, contact people, Employer Pays commitments and
users, and the recruiters registry with its licence flags.

Server-rendered, no script. Every form loads through the API's schema
(journey.employers.registry_schemas) and calls the same service (journey.employers.registry,
journey.employers.recruiters), so a page refuses what the API refuses, with the same messages
beside the fields. An employer user may open their own employer's page; any other reads as
missing (404).
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.db import db, utcnow
from journey.core.errors import Conflict, NotFound
from journey.core.i18n import language_choices
from journey.core.policy import allowed, require
from journey.core.versions import Precondition, parse_version
from journey.employers import recruiters, registry
from journey.employers.licences import LICENCE_TITLES, LicenceStatus, licence_status
from journey.employers.models import VERIFICATION_TITLES, Verification
from journey.employers.registry_schemas import (
    CommitmentCreateSchema,
    EmployerContactCreateSchema,
    EmployerContactUpdateSchema,
    EmployerListQuerySchema,
    EmployerVerificationSchema,
    RecruiterCreateSchema,
    RecruiterQuerySchema,
    RecruiterUpdateSchema,
)
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

bp = html_blueprint("employer_registry_pages", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

CONTACT_FIELDS = ("name", "role", "email", "phone", "language")
COMMITMENT_FIELDS = ("version", "signed_on", "signatory_name", "signatory_title")
RECRUITER_FIELDS = ("name", "country", "licence_number", "issuing_authority",
                    "licence_expires_on", "corridors")
_RECRUITER_NULLABLE = ("licence_number", "issuing_authority", "licence_expires_on")


def verification_title(code: str) -> str:
    return str(VERIFICATION_TITLES.get(Verification(code), code))


def licence_title(code: str) -> str:
    return str(LICENCE_TITLES.get(LicenceStatus(code), code))


def _helpers() -> dict[str, Any]:
    return {"verification_title": verification_title, "licence_title": licence_title}


# -- employers -------------------------------------------------------------------------------

@bp.get("/employers")
@login_required
def employers():
    """Every employer, with its verification and whether it signed Employer Pays."""
    require(g.user, "employers:read")
    raw = {k: v for k in ("verification",) if (v := request.args.get(k, "").strip())}
    args = EmployerListQuerySchema().load(raw)
    rows = registry.list_employers(db.session, g.user, verification=args.get("verification"))
    return render_template(
        "employers/registry/employers.html", rows=rows, query=raw,
        verifications=[(v.value, verification_title(v.value)) for v in Verification],
        **_helpers())


def _employer_page(employer_id: int, *, v: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200):
    found = registry.read_employer(db.session, g.user, employer_id)
    employer = found["employer"]
    return render_template(
        "employers/registry/employer.html", found=found, employer=employer,
        v=v or {"status": employer.verification, "version": employer.version},
        errors=errors or {},
        verifications=[(s.value, verification_title(s.value)) for s in Verification],
        **_helpers()), status


@bp.get("/employers/<id:employer_id>")
@login_required
def employer(employer_id: int):
    """An employer's record: verification, contacts, Employer Pays commitments, users."""
    return _employer_page(employer_id)


@bp.get("/employer/record")
@login_required
def own_employer():
    """An employer user's own employer record (its contacts and Employer Pays commitment)."""
    require(g.user, "employers:own")
    if g.user.employer_id is None:
        raise NotFound(_("No such employer."))
    return _employer_page(g.user.employer_id)


@bp.post("/employers/<id:employer_id>/verification")
@login_required
def verify(employer_id: int):
    """Verify, suspend or set back to pending (admins)."""
    require(g.user, "employers:verify")
    values = form_values(("status", "version"))
    try:
        data = EmployerVerificationSchema().load(form_input(values, ints=("version",)))
        employer = registry.verify(db.session, g.user, employer_id, data["status"],
                                   expected=Precondition(body=data.get("version")))
    except FORM_ERRORS as err:
        errors = field_errors(err, conflict_fields={"commitment-missing": "status",
                                                    "stale-version": "status"})
        return _employer_page(employer_id, v=values, errors=errors, status=form_status(err))
    flash(_("%(name)s is now: %(status)s.", name=employer.name,
            status=verification_title(employer.verification)))
    return redirect(url_for("employer_registry_pages.employer", employer_id=employer_id), 303)


def _contact_page(employer_id: int, contact: Any, v: dict[str, Any], errors: dict[str, str],
                  status: int = 200):
    found = registry.load_employer(db.session, g.user, employer_id, "employers:manage")
    return render_template("employers/registry/contact_form.html", employer=found,
                           contact=contact, v=v, errors=errors,
                           languages=language_choices()), status


def _contact_input(values: dict[str, Any]) -> dict[str, Any]:
    return form_input(values, nullable=("role", "email", "phone", "language"))


@bp.get("/employers/<id:employer_id>/contacts/new")
@login_required
def new_contact(employer_id: int):
    require(g.user, "employers:manage")
    return _contact_page(employer_id, None, {"language": "en"}, {})


@bp.post("/employers/<id:employer_id>/contacts/new")
@login_required
def create_contact(employer_id: int):
    """Add a contact person (admins)."""
    require(g.user, "employers:manage")
    values = form_values(CONTACT_FIELDS)
    try:
        data = EmployerContactCreateSchema().load(_contact_input(values))
        registry.add_contact(db.session, g.user, employer_id, data)
    except FORM_ERRORS as err:
        return _contact_page(employer_id, None, values, field_errors(err), form_status(err))
    flash(_("The contact is added."))
    return redirect(url_for("employer_registry_pages.employer", employer_id=employer_id,
                            _anchor="contacts"), 303)


def _find_contact(employer_id: int, contact_id: int):
    employer = registry.load_employer(db.session, g.user, employer_id, "employers:manage")
    return registry.load_contact(db.session, employer, contact_id)


@bp.get("/employers/<id:employer_id>/contacts/<id:contact_id>")
@login_required
def edit_contact(employer_id: int, contact_id: int):
    require(g.user, "employers:manage")
    contact = _find_contact(employer_id, contact_id)
    values = {name: getattr(contact, name) or "" for name in CONTACT_FIELDS}
    return _contact_page(employer_id, contact, values, {})


@bp.post("/employers/<id:employer_id>/contacts/<id:contact_id>")
@login_required
def update_contact(employer_id: int, contact_id: int):
    """Change a contact person's details (admins)."""
    require(g.user, "employers:manage")
    contact = _find_contact(employer_id, contact_id)
    values = form_values(CONTACT_FIELDS)
    try:
        raw = _contact_input(values)
        raw.setdefault("name", "")  # an emptied name is refused beside it, not left unchanged
        data = EmployerContactUpdateSchema().load(raw)
        registry.update_contact(db.session, g.user, employer_id, contact.id, data)
    except FORM_ERRORS as err:
        return _contact_page(employer_id, contact, values, field_errors(err), form_status(err))
    flash(_("The contact is saved."))
    return redirect(url_for("employer_registry_pages.employer", employer_id=employer_id,
                            _anchor="contacts"), 303)


@bp.post("/employers/<id:employer_id>/contacts/<id:contact_id>/remove")
@login_required
def remove_contact(employer_id: int, contact_id: int):
    """Remove a contact person (admins)."""
    require(g.user, "employers:manage")
    registry.remove_contact(db.session, g.user, employer_id, contact_id)
    flash(_("The contact is removed."))
    return redirect(url_for("employer_registry_pages.employer", employer_id=employer_id,
                            _anchor="contacts"), 303)


def _commitment_page(employer_id: int, v: dict[str, Any], errors: dict[str, str],
                     status: int = 200):
    found = registry.load_employer(db.session, g.user, employer_id, "employers:manage")
    return render_template("employers/registry/commitment_form.html", employer=found, v=v,
                           errors=errors, latest=registry.latest_commitment(db.session, found.id)
                           ), status


@bp.get("/employers/<id:employer_id>/commitments/new")
@login_required
def new_commitment(employer_id: int):
    require(g.user, "employers:manage")
    return _commitment_page(employer_id, {"signed_on": utcnow().date().isoformat()}, {})


@bp.post("/employers/<id:employer_id>/commitments/new")
@login_required
def create_commitment(employer_id: int):
    """Record a signed Employer Pays commitment (admins)."""
    require(g.user, "employers:manage")
    values = form_values(COMMITMENT_FIELDS)
    try:
        data = CommitmentCreateSchema().load(form_input(values, nullable=("signatory_title",)))
        registry.record_commitment(db.session, g.user, employer_id, data)
    except FORM_ERRORS as err:
        errors = field_errors(err, conflict_fields={"commitment-version-taken": "version"})
        return _commitment_page(employer_id, values, errors, form_status(err))
    flash(_("The signed commitment is recorded."))
    return redirect(url_for("employer_registry_pages.employer", employer_id=employer_id,
                            _anchor="commitment"), 303)


# -- recruiters ------------------------------------------------------------------------------

@bp.get("/recruiters")
@login_required
def recruiters_list():
    """The recruiters registry, each licence flagged when it expires within 60 days, has
    expired or is missing; ?licence= keeps one kind."""
    require(g.user, "recruiters:read")
    raw = {k: v for k in ("licence",) if (v := request.args.get(k, "").strip())}
    args = RecruiterQuerySchema().load(raw)
    today = utcnow().date()
    found = recruiters.list_recruiters(db.session, g.user, licence=args.get("licence"),
                                       today=today)
    return render_template(
        "employers/registry/recruiters.html", rows=recruiters.with_status(found, today),
        query=raw, licences=[(s.value, licence_title(s.value)) for s in LicenceStatus],
        **_helpers())


def _corridors(text: str) -> list[str]:
    """A form's corridors, one per line or separated by commas or spaces."""
    return [part for part in text.replace(",", " ").split() if part]


def _recruiter_input(values: dict[str, Any]) -> dict[str, Any]:
    raw = form_input({k: v for k, v in values.items() if k != "corridors"},
                     nullable=_RECRUITER_NULLABLE)
    raw["corridors"] = _corridors(values.get("corridors", ""))
    return raw


def _recruiter_values(recruiter) -> dict[str, Any]:
    values = {name: getattr(recruiter, name) for name in RECRUITER_FIELDS}
    values["licence_expires_on"] = (recruiter.licence_expires_on.isoformat()
                                    if recruiter.licence_expires_on else "")
    values["corridors"] = " ".join(recruiter.corridors or [])
    return {k: "" if v is None else v for k, v in values.items()} | {"version": recruiter.version}


def _recruiter_page(recruiter, v: dict[str, Any], errors: dict[str, str], status: int = 200,
                    conflict: list | None = None):
    status_code = licence_status(recruiter, utcnow().date()).value if recruiter else None
    return render_template("employers/registry/recruiter.html", recruiter=recruiter, v=v,
                           errors=errors, conflict=conflict, licence=status_code,
                           can_manage=allowed(g.user, "recruiters:manage"),
                           **_helpers()), status


def _labels() -> list[tuple[str, str]]:
    return [("name", _("Name")), ("country", _("Country")),
            ("licence_number", _("Licence number")),
            ("issuing_authority", _("Issuing authority")),
            ("licence_expires_on", _("Licence expires on")), ("corridors", _("Corridors"))]


@bp.get("/recruiters/new")
@login_required
def new_recruiter():
    require(g.user, "recruiters:manage")
    return _recruiter_page(None, {}, {})


@bp.post("/recruiters/new")
@login_required
def create_recruiter():
    """Add a recruiter to the registry (supervisors and admins)."""
    require(g.user, "recruiters:manage")
    values = form_values(RECRUITER_FIELDS)
    try:
        data = RecruiterCreateSchema().load(_recruiter_input(values))
        found = recruiters.create_recruiter(db.session, g.user, data)
    except FORM_ERRORS as err:
        return _recruiter_page(None, values, field_errors(
            err, conflict_fields={"name-taken": "name"}), form_status(err))
    flash(_("Saved: %(name)s.", name=found.name))
    return redirect(url_for("employer_registry_pages.recruiter", recruiter_id=found.id), 303)


@bp.get("/recruiters/<id:recruiter_id>")
@login_required
def recruiter(recruiter_id: int):
    """One recruiter: its licence, flagged, and (for those who keep the registry) its form."""
    found = recruiters.load_recruiter(db.session, g.user, recruiter_id)
    return _recruiter_page(found, _recruiter_values(found), {})


@bp.post("/recruiters/<id:recruiter_id>")
@login_required
def update_recruiter(recruiter_id: int):
    """Change a recruiter at the version read (supervisors and admins)."""
    sess = db.session
    found = recruiters.load_recruiter(sess, g.user, recruiter_id, "recruiters:manage")
    values = form_values((*RECRUITER_FIELDS, "version"))
    version = parse_version(values.pop("version"))
    try:
        raw = _recruiter_input(values)
        raw.update({k: "" for k in ("name", "country") if k not in raw})
        data = RecruiterUpdateSchema().load(raw)
        recruiters.update_recruiter(sess, g.user, found.id, data,
                                    expected=Precondition(body=version or 0))
    except FORM_ERRORS as err:
        if isinstance(err, Conflict) and err.code == "stale-version":
            sess.refresh(found)
            rows = conflict_view(_recruiter_values(found), values, _labels())
            return _recruiter_page(found, {**values, "version": found.version}, {}, 409, rows)
        return _recruiter_page(found, {**values, "version": version or ""}, field_errors(
            err, conflict_fields={"name-taken": "name"}), form_status(err))
    flash(_("Saved: %(name)s.", name=found.name))
    return redirect(url_for("employer_registry_pages.recruiter", recruiter_id=found.id), 303)
