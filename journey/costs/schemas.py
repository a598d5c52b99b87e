"""Cost schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Version
from journey.costs.models import CostCategory, Payer
from journey.costs.rules import employer_pays_breach


class CostSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    category = ma.fields.String(required=True,
                                validate=validate.OneOf([c.value for c in CostCategory]))
    amount = ma.fields.Decimal(required=True, places=2, as_string=True,
                               validate=validate.Range(min=0, max=10**9))
    currency = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    paid_by = ma.fields.String(required=True, validate=validate.OneOf([p.value for p in Payer]))
    paid_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)
    recorded_at = ma.fields.DateTime(dump_only=True)
    employer_pays_breach = ma.fields.Function(employer_pays_breach, dump_only=True,
                                              metadata={"type": "boolean"})
    version = ma.fields.Integer(dump_only=True)


class CostUpdateSchema(CostSchema):
    """An edit: any field, at the version read."""

    category = ma.fields.String(validate=validate.OneOf([c.value for c in CostCategory]))
    amount = ma.fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, max=10**9))
    currency = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    paid_by = ma.fields.String(validate=validate.OneOf([p.value for p in Payer]))
    version = Version(load_only=True)
