"""Organisation schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Country, TimeZone, not_blank


class OfficeSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9-]{2,16}$"))
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    country = Country(required=True)
    timezone = TimeZone(required=True)


class _NamedOrganisationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    country = Country(required=True)


class EmployerSchema(_NamedOrganisationSchema):
    sector = ma.fields.String(validate=validate.Length(max=100), allow_none=True)


class ServiceProviderSchema(_NamedOrganisationSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(
        ["job_centre", "health", "legal", "housing", "financial", "consulate", "training",
         "psychosocial", "other"]))
