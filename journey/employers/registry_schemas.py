"""Schemas of employer records (contacts, Employer Pays commitments, verification) and of the
recruiters registry, shared by the API and the pages (the same validation on both)."""

from __future__ import annotations

import re

import marshmallow as ma
import pycountry
from marshmallow import validate

from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.i18n import _, _l
from journey.core.schemas import (
    Country,
    Language,
    Name,
    Phone,
    QueryArgsSchema,
    String,
    Text,
    Version,
    columns,
)
from journey.employers.licences import LicenceStatus, licence_status
from journey.employers.models import (
    EmployerContact,
    EmployerPaysCommitment,
    Recruiter,
    Verification,
)
from journey.organisations.schemas import EmployerSchema

_CORRIDOR = re.compile(r"([A-Z]{2})-([A-Z]{2})")
MAX_CORRIDORS = 50


class Corridor(String):
    """A migration corridor as "NP-PT": the origin and destination countries (ISO 3166-1
    alpha-2), upper-cased; the two differ."""

    default_error_messages = {
        "corridor": _l("Write a corridor as two ISO country codes joined by a hyphen, origin "
                       "first: NP-PT."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        found = _CORRIDOR.fullmatch(code)
        if (found is None or found.group(1) == found.group(2)
                or not all(pycountry.countries.get(alpha_2=c) for c in found.groups())):
            raise self.make_error("corridor")
        return code


def _unique_corridors(value: list[str]) -> None:
    if len(set(value)) != len(value):
        raise ma.ValidationError(_("Each corridor once."))


# -- employers -------------------------------------------------------------------------------

class EmployerContactCreateSchema(ma.Schema):
    name = Name(required=True, validate=validate.Length(max=200))
    role = Text(validate=validate.Length(max=100), allow_none=True,
                metadata={"description": "What they do: HR, site manager..."})
    email = ma.fields.Email(validate=validate.Length(max=254), allow_none=True)
    phone = Phone(allow_none=True)
    language = Language(allow_none=True, metadata={
        "description": "For the onboarding links sent to them (default en)."})


class EmployerContactUpdateSchema(EmployerContactCreateSchema):
    name = Name(validate=validate.Length(max=200))
    # A contact always has a language (links to them are written in it): it can change, not go.
    language = Language(metadata={"description": "For the onboarding links sent to them."})


class EmployerContactSchema(ma.Schema):
    class Meta:
        include = columns(EmployerContact, "id employer_id name role email phone language "
                                           "created_at")


class CommitmentCreateSchema(ma.Schema):
    """A signed Employer Pays commitment: the version of the text, the day and the signatory."""

    version = ma.fields.String(required=True, validate=[
        validate.Length(min=1, max=20),
        validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                        error=_l("Letters, digits, dots, hyphens or underscores, e.g. 2026-1."))],
        metadata={"description": "The version of the commitment's text, e.g. 2026-1."})
    signed_on = ma.fields.Date(required=True)
    signatory_name = Name(required=True, validate=validate.Length(max=200))
    signatory_title = Text(validate=validate.Length(max=200), allow_none=True)

    @ma.validates("signed_on")
    def _not_future(self, value, **_kwargs):
        if value > utcnow().date():
            raise ma.ValidationError(_("A commitment cannot be signed in the future."))


class CommitmentSchema(ma.Schema):
    class Meta:
        include = columns(EmployerPaysCommitment, "id employer_id version signed_on "
                                                  "signatory_name signatory_title recorded_by "
                                                  "recorded_at")


class EmployerVerificationSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=validate.OneOf(
        [v.value for v in Verification]), metadata={
        "description": "verified (needs an Employer Pays commitment on record), suspended, or "
                       "pending again."})
    version = Version()


class EmployerUserSchema(ma.Schema):
    class Meta:
        include = columns(User, "id username full_name email is_active")


class EmployerRecordSchema(ma.Schema):
    """An employer's record: the employer, its contacts, its commitments and the one that
    counts (null: no commitment signed) and, for staff, its users."""

    employer = ma.fields.Nested(EmployerSchema)
    contacts = ma.fields.List(ma.fields.Nested(EmployerContactSchema))
    commitment = ma.fields.Nested(CommitmentSchema, allow_none=True, metadata={
        "description": "The latest signed commitment; null when none is signed."})
    commitments = ma.fields.List(ma.fields.Nested(CommitmentSchema))
    users = ma.fields.List(ma.fields.Nested(EmployerUserSchema), metadata={
        "description": "The employer's users (role employer); empty for an employer user."})


class EmployerListQuerySchema(QueryArgsSchema):
    verification = ma.fields.String(validate=validate.OneOf([v.value for v in Verification]))


# -- recruiters ------------------------------------------------------------------------------

class RecruiterCreateSchema(ma.Schema):
    name = Name(required=True, validate=validate.Length(max=200))
    country = Country(required=True, metadata={"description": "Where it is registered."})
    licence_number = Text(validate=validate.Length(max=64), allow_none=True)
    issuing_authority = Text(validate=validate.Length(max=200), allow_none=True)
    licence_expires_on = ma.fields.Date(allow_none=True)
    corridors = ma.fields.List(Corridor(), load_default=list, validate=[
        validate.Length(max=MAX_CORRIDORS), _unique_corridors], metadata={
        "description": 'Corridors served, origin first: ["NP-PT", "NP-MY"]. Empty: any.'})


class RecruiterUpdateSchema(RecruiterCreateSchema):
    name = Name(validate=validate.Length(max=200))
    country = Country()
    corridors = ma.fields.List(Corridor(), validate=[validate.Length(max=MAX_CORRIDORS),
                                                     _unique_corridors])
    version = Version()


class RecruiterSchema(ma.Schema):
    class Meta:
        include = columns(Recruiter, "id name country licence_number issuing_authority "
                                     "licence_expires_on version")

    corridors = ma.fields.List(ma.fields.String())
    licence_status = ma.fields.String(metadata={
        "description": "valid, expiring (within 60 days), expired or unlicensed, today."})

    @ma.pre_dump
    def _with_status(self, recruiter, **_kwargs):
        if not isinstance(recruiter, Recruiter):
            return recruiter
        values = {name: getattr(recruiter, name) for name in (*self.Meta.include, "corridors")}
        return {**values, "licence_status": licence_status(recruiter, utcnow().date()).value}


class RecruiterQuerySchema(QueryArgsSchema):
    licence = ma.fields.String(validate=validate.OneOf([s.value for s in LicenceStatus]),
                               metadata={"description": "valid, expiring, expired or "
                                                        "unlicensed."})
