"""Organisation schemas."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _l
from journey.core.schemas import CodeField, Country, Phone, Text, TimeZone, Version, not_blank

PROVIDER_KINDS = ("job_centre", "health", "legal", "housing", "financial", "consulate",
                  "training", "psychosocial", "other")


# ISIC Rev. 4: a section letter (A to U), or a division (2 digits), group (3) or class (4).
_ISIC = re.compile(r"[A-U]|[0-9]{2,4}")


class IsicCode(CodeField):
    """An ISIC Rev. 4 code: a section letter A to U, or 2 to 4 digits ("A", "01", "0111")."""

    default_error_messages = {"unrecognised": _l(
        "Not an ISIC Rev. 4 code: a section letter from A to U, or 2 to 4 digits (e.g. 5510).")}

    def normalise(self, text: str) -> str | None:
        code = text.strip().upper()
        return code if _ISIC.fullmatch(code) else None


class OfficeSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9-]{2,16}$"))
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    country = Country(required=True)
    timezone = TimeZone(required=True)
    version = ma.fields.Integer(dump_only=True)


class _NamedOrganisationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    country = Country(required=True)
    version = ma.fields.Integer(dump_only=True)


class EmployerSchema(_NamedOrganisationSchema):
    sector = ma.fields.String(validate=validate.Length(max=100), allow_none=True)
    isic_code = IsicCode(allow_none=True, metadata={
        "description": "ISIC Rev. 4: a section letter (A to U) or 2 to 4 digits."})
    # Set by an admin through POST /employers/{id}/verification (journey.employers.registry).
    verification = ma.fields.String(dump_only=True, metadata={
        "description": "pending, verified or suspended."})
    verified_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class _ProviderContact(ma.Schema):
    """A provider's HSDS organization fields (journey.referrals' directory)."""

    description = Text(validate=validate.Length(max=2000), allow_none=True)
    email = ma.fields.Email(validate=validate.Length(max=254), allow_none=True, metadata={
        "description": "Receives referrals for services that have no email of their own."})
    phone = Phone(allow_none=True)
    website = ma.fields.URL(validate=validate.Length(max=500), allow_none=True,
                            schemes={"http", "https"})


class ServiceProviderSchema(_NamedOrganisationSchema, _ProviderContact):
    kind = ma.fields.String(required=True, validate=validate.OneOf(PROVIDER_KINDS))


class OfficeUpdateSchema(ma.Schema):
    """A partial change to an office; its code never changes (it is printed on documents)."""

    name = ma.fields.String(validate=[validate.Length(max=200), not_blank])
    country = Country()
    timezone = TimeZone()
    version = Version()


class EmployerUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=[validate.Length(max=200), not_blank])
    country = Country()
    sector = ma.fields.String(validate=validate.Length(max=100), allow_none=True)
    isic_code = IsicCode(allow_none=True)
    version = Version()


class ServiceProviderUpdateSchema(_ProviderContact):
    name = ma.fields.String(validate=[validate.Length(max=200), not_blank])
    country = Country()
    kind = ma.fields.String(validate=validate.OneOf(PROVIDER_KINDS))
    version = Version()
