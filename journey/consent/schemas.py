"""Consent schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.consent.models import ConsentRecord, Method, Purpose
from journey.core.schemas import columns


class ConsentCreateSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=validate.OneOf([p.value for p in Purpose]))
    method = ma.fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class ConsentWithdrawSchema(ma.Schema):
    method = ma.fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class ConsentRecordSchema(ma.Schema):
    class Meta:
        include = columns(ConsentRecord, "id purpose method note recorded_by recorded_at"
                                         " withdrawn_at withdrawn_by withdrawal_method"
                                         " withdrawal_note")


class ConsentStateSchema(ma.Schema):
    current = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    history = ma.fields.List(ma.fields.Nested(ConsentRecordSchema))
