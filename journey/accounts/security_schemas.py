"""Schemas of sessions, second factor and role security (tokens and users: accounts.schemas)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.accounts.totp import RoleSecurity
from journey.core.auth import UserSession
from journey.core.policy import Role
from journey.core.schemas import columns


class UserSessionSchema(ma.Schema):
    class Meta:
        include = columns(UserSession, "id created_at last_seen_at expires_at client awaiting")


class SignOutEverywhereSchema(ma.Schema):
    keep_current = ma.fields.Boolean(load_default=True, metadata={
        "description": "Keep the token this request uses (the API) or this browser (pages)."})


class AdminEndAllSchema(ma.Schema):
    revoke_tokens = ma.fields.Boolean(load_default=True, metadata={
        "description": "Revoke the user's API tokens too."})


class EndedSchema(ma.Schema):
    sessions = ma.fields.Integer(required=True, metadata={"description": "Sessions ended."})
    tokens = ma.fields.Integer(required=True, metadata={"description": "Tokens revoked."})


class RoleSecuritySchema(ma.Schema):
    class Meta:
        include = columns(RoleSecurity, "require_totp")

    role = ma.fields.String(dump_only=True, validate=validate.OneOf([r.value for r in Role]))


class RoleSecurityUpdateSchema(ma.Schema):
    require_totp = ma.fields.Boolean(required=True)


class TotpEnrolmentSchema(ma.Schema):
    secret = ma.fields.String(metadata={"description": "Base32, for typing into an app."})
    uri = ma.fields.String(metadata={"description": "otpauth:// URI, as in the QR code."})


class OtpSchema(ma.Schema):
    otp = ma.fields.String(required=True, validate=validate.Length(min=6, max=10),
                           metadata={"example": "123456"})
