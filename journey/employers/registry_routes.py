"""Employer records, contacts, Employer Pays commitments and the recruiters registry (admins and
staff), and an employer user's own record: load through a schema, call one service, dump."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.employers import recruiters, registry
from journey.employers.registry_schemas import (
    CommitmentCreateSchema,
    CommitmentSchema,
    EmployerContactCreateSchema,
    EmployerContactSchema,
    EmployerContactUpdateSchema,
    EmployerRecordSchema,
    EmployerVerificationSchema,
    RecruiterCreateSchema,
    RecruiterQuerySchema,
    RecruiterSchema,
    RecruiterUpdateSchema,
)
from journey.organisations.schemas import EmployerSchema

blp = Blueprint("employer_registry", __name__, url_prefix="",
                description="Employer records, contacts, Employer Pays commitments and the "
                            "recruiters registry (admins and staff).")

_STALE = "The version you sent is stale (409 for the body's version, 412 for If-Match)."
_NEED_VERSION = "Send the version you read, in If-Match or the body."


def _etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


# -- employer records ------------------------------------------------------------------------

@blp.get("/employers/<id:employer_id>/record", permission="employers:read")
@blp.response(200, EmployerRecordSchema)
@blp.alt_response(404, description="No such employer.")
def read_employer(employer_id: int):
    """An employer's full record: contacts, Employer Pays commitments (the latest counts) and
    its users (staff). The read is audited."""
    return registry.read_employer(db.session, current_user(), employer_id)


@blp.get("/employer/me", permission="employers:own")
@blp.response(200, EmployerRecordSchema)
@blp.alt_response(404, description="Your account is not linked to an employer.")
def own_employer():
    """Your own employer's record (employer users)."""
    return registry.own_employer(db.session, current_user())


@blp.post("/employers/<id:employer_id>/contacts", permission="employers:manage")
@blp.arguments(EmployerContactCreateSchema)
@blp.response(201, EmployerContactSchema)
@blp.alt_response(404, description="No such employer.")
def add_contact(data, employer_id: int):
    """Add a contact person (admins)."""
    return registry.add_contact(db.session, current_user(), employer_id, data)


@blp.patch("/employers/<id:employer_id>/contacts/<id:contact_id>", permission="employers:manage")
@blp.arguments(EmployerContactUpdateSchema)
@blp.response(200, EmployerContactSchema)
@blp.alt_response(404, description="No such employer or contact.")
def update_contact(data, employer_id: int, contact_id: int):
    """Change a contact person's details (admins)."""
    return registry.update_contact(db.session, current_user(), employer_id, contact_id, data)


@blp.delete("/employers/<id:employer_id>/contacts/<id:contact_id>", permission="employers:manage")
@blp.response(204)
@blp.alt_response(404, description="No such employer or contact.")
def remove_contact(employer_id: int, contact_id: int):
    """Remove a contact person (admins)."""
    registry.remove_contact(db.session, current_user(), employer_id, contact_id)


@blp.post("/employers/<id:employer_id>/commitments", permission="employers:manage")
@blp.arguments(CommitmentCreateSchema)
@blp.response(201, CommitmentSchema)
@blp.alt_response(404, description="No such employer.")
@blp.alt_response(409, description="This version is already recorded for the employer "
                                    "(existing_id names it).")
def record_commitment(data, employer_id: int):
    """Record a signed Employer Pays commitment (admins); the latest signed one counts."""
    return registry.record_commitment(db.session, current_user(), employer_id, data)


@blp.post("/employers/<id:employer_id>/verification", permission="employers:verify")
@blp.arguments(EmployerVerificationSchema)
@blp.response(200, EmployerSchema)
@blp.alt_response(404, description="No such employer.")
@blp.alt_response(409, description="No Employer Pays commitment is on record "
                                    "(commitment-missing), or the version you sent is stale.")
@blp.alt_response(412, description=_STALE)
def verify_employer(data, employer_id: int):
    """Verify, suspend or set back to pending (admins), audited. The version is optional."""
    expected = precondition(data, required=False)
    employer = registry.verify(db.session, current_user(), employer_id, data["status"],
                               expected=expected)
    return employer, _etag(employer)


# -- recruiters ------------------------------------------------------------------------------

@blp.get("/recruiters", permission="recruiters:read")
@blp.arguments(RecruiterQuerySchema, location="query")
@blp.response(200, RecruiterSchema(many=True))
def list_recruiters(args):
    """The recruiters registry by name, each with its licence status today; ?licence= keeps
    those valid, expiring (within 60 days), expired or unlicensed."""
    return recruiters.list_recruiters(db.session, current_user(), licence=args.get("licence"))


@blp.post("/recruiters", permission="recruiters:manage")
@blp.arguments(RecruiterCreateSchema)
@blp.response(201, RecruiterSchema)
@blp.alt_response(409, description="The name is taken (ignoring case, width and spacing); "
                                    "existing_id names the recruiter.")
def create_recruiter(data):
    """Add a recruiter to the registry (supervisors and admins)."""
    return recruiters.create_recruiter(db.session, current_user(), data)


@blp.get("/recruiters/<id:recruiter_id>", permission="recruiters:read")
@blp.response(200, RecruiterSchema)
@blp.alt_response(404, description="No such recruiter.")
def read_recruiter(recruiter_id: int):
    """One recruiter, with its licence status today."""
    found = recruiters.load_recruiter(db.session, current_user(), recruiter_id)
    return found, _etag(found)


@blp.patch("/recruiters/<id:recruiter_id>", permission="recruiters:manage")
@blp.arguments(RecruiterUpdateSchema)
@blp.response(200, RecruiterSchema)
@blp.alt_response(404, description="No such recruiter.")
@blp.alt_response(409, description="The version you sent is stale, or the name is taken "
                                    "(existing_id names the recruiter).")
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def update_recruiter(data, recruiter_id: int):
    """Change a recruiter at the version you read (supervisors and admins)."""
    expected = precondition(data)
    found = recruiters.update_recruiter(db.session, current_user(), recruiter_id, data,
                                        expected=expected)
    return found, _etag(found)
