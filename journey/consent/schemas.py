"""Consent schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.consent.models import Method, Purpose


class ConsentCreateSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=validate.OneOf([p.value for p in Purpose]))
    method = ma.fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class ConsentWithdrawSchema(ma.Schema):
    method = ma.fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class ConsentRecordSchema(ma.Schema):
    id = ma.fields.Integer()
    purpose = ma.fields.String()
    method = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    recorded_by = ma.fields.Integer(allow_none=True)
    recorded_at = ma.fields.DateTime()
    withdrawn_at = ma.fields.DateTime(allow_none=True)
    withdrawn_by = ma.fields.Integer(allow_none=True)
    withdrawal_method = ma.fields.String(allow_none=True)
    withdrawal_note = ma.fields.String(allow_none=True)


class ConsentStateSchema(ma.Schema):
    current = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    history = ma.fields.List(ma.fields.Nested(ConsentRecordSchema))
