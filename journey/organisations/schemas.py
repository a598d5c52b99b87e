"""Organisation schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Country, TimeZone, Version, not_blank

PROVIDER_KINDS = ("job_centre", "health", "legal", "housing", "financial", "consulate",
                  "training", "psychosocial", "other")


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


class ServiceProviderSchema(_NamedOrganisationSchema):
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
    version = Version()


class ServiceProviderUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=[validate.Length(max=200), not_blank])
    country = Country()
    kind = ma.fields.String(validate=validate.OneOf(PROVIDER_KINDS))
    version = Version()
