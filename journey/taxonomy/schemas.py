"""Taxonomy schemas: search arguments and what the API returns."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _l
from journey.core.schemas import Integer, QueryArgsSchema, columns, not_blank
from journey.taxonomy.models import EscoOccupation, IscoGroup

_code = validate.Regexp(r"^\d{1,4}$", error=_l("An ISCO-08 code is 1 to 4 digits, e.g. 5120."))


class _PageArgs(QueryArgsSchema):
    # Results are ranked (exact matches first), so these lists take no sort argument.
    page = Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = Integer(load_default=25, validate=validate.Range(min=1, max=100))


class IscoGroupQuerySchema(_PageArgs):
    q = ma.fields.String(validate=[validate.Length(max=100), not_blank], metadata={
        "description": "Words of the title (any case, accents optional), or a code prefix."})
    code = ma.fields.String(validate=_code, metadata={
        "description": "Code prefix: 22 finds 22, 221, 2211 and so on."})
    level = Integer(validate=validate.Range(min=1, max=4), metadata={
        "description": "1 major, 2 sub-major, 3 minor, 4 unit group."})


class OccupationQuerySchema(_PageArgs):
    q = ma.fields.String(validate=[validate.Length(max=100), not_blank], metadata={
        "description": "Words of the title (any case, accents optional), or an ISCO code prefix."})
    isco = ma.fields.String(validate=_code, metadata={
        "description": "ISCO-08 code prefix of the occupations' unit group."})


class IscoGroupSchema(ma.Schema):
    class Meta:
        include = columns(IscoGroup, "code level label parent_code")


class OccupationSchema(ma.Schema):
    class Meta:
        include = columns(EscoOccupation, "id uri label isco_code")


class IscoGroupDetailSchema(IscoGroupSchema):
    parents = ma.fields.List(ma.fields.Nested(IscoGroupSchema),
                             metadata={"description": "From the major group down."})
    children = ma.fields.List(ma.fields.Nested(IscoGroupSchema))
    occupations = ma.fields.List(ma.fields.Nested(OccupationSchema),
                                 metadata={"description": "ESCO occupations (unit groups only)."})
