"""Programme schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Country, Language, not_blank


class ProgrammeSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9-]{2,32}$"))
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    origin_country = Country(required=True)
    destination_country = Country(required=True)
    sector = ma.fields.String(required=True, validate=[validate.Length(max=100), not_blank])
    occupations = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^\d{1,4}$", error="An ISCO-08 code.")),
        load_default=list, metadata={"description": "ISCO-08 unit group codes."})
    default_language = Language(load_default="en")

    @ma.validates_schema
    def _distinct(self, data, **_kwargs):
        if data.get("origin_country") and data.get("origin_country") == data.get(
                "destination_country"):
            raise ma.ValidationError({"destination_country": ["Must differ from the origin."]})
