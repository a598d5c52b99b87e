"""Account schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.auth import ApiToken, User
from journey.core.i18n import _l
from journey.core.policy import Role
from journey.core.schemas import Id, Integer, Language, Name, columns


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=80),
                                metadata={"example": "caseworker"})
    password = ma.fields.String(required=True, load_only=True,
                                validate=validate.Length(min=1, max=1024),
                                metadata={"example": "journey-demo-2026"})
    name = ma.fields.String(load_default="api", validate=validate.Length(min=1, max=100),
                            metadata={"example": "caseload-sync"})
    expires_in_days = Integer(validate=validate.Range(min=1, max=365), metadata={"example": 30})
    otp = ma.fields.String(validate=validate.Length(min=6, max=10), metadata={
        "description": "The current code of the user's authenticator (required once they have "
                       "set up a second factor).", "example": "123456"})


class TokenSchema(ma.Schema):
    class Meta:
        include = columns(ApiToken, "id name created_at expires_at revoked_at last_used_at")


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "Shown once; only its hash is stored."})


class UserSchema(ma.Schema):
    class Meta:
        include = columns(User, "id username full_name email role office_id employer_id"
                                " provider_id language is_active")


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=[
        validate.Length(min=3, max=80),
        validate.Regexp(r"^[A-Za-z0-9._@-]+$", error=_l("Letters, digits and . _ @ - only.")),
    ])
    full_name = Name(required=True, validate=validate.Length(max=200))
    email = ma.fields.Email(allow_none=True)
    role = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    password = ma.fields.String(required=True, load_only=True,
                                validate=validate.Length(min=12, max=1024))
    office_id = Id(allow_none=True)
    employer_id = Id(allow_none=True)
    provider_id = Id(allow_none=True)
    language = Language(load_default="en")
