"""Credential schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Id, not_blank
from journey.credentials.models import Scope

# Issued through the API; skill-card credentials come from completing a skill form.
API_SCOPES = (Scope.PASSPORT.value, Scope.ENTRY.value)


class CredentialCreateSchema(ma.Schema):
    scope = ma.fields.String(required=True, validate=validate.OneOf(API_SCOPES))
    entry_id = Id(allow_none=True)


class CredentialRevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=[validate.Length(min=1, max=500), not_blank])


class CredentialSchema(ma.Schema):
    """A credential as staff list it: everything but the signed token."""

    id = ma.fields.Integer()
    uuid = ma.fields.String()
    participant_id = ma.fields.Integer()
    scope = ma.fields.String()
    entry_id = ma.fields.Integer(allow_none=True)
    entry_version = ma.fields.Integer(allow_none=True)
    kid = ma.fields.String()
    language = ma.fields.String()
    issued_by = ma.fields.Integer(allow_none=True)
    issued_at = ma.fields.DateTime()
    valid_until = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)
    revoked_by = ma.fields.Integer(allow_none=True)
    revocation_reason = ma.fields.String(allow_none=True)
    verify_url = ma.fields.String()


class CredentialDetailSchema(CredentialSchema):
    """One credential with its VC-JWT and the decoded credential JSON."""

    token = ma.fields.String()
    credential = ma.fields.Dict()


class VerifyRequestSchema(ma.Schema):
    # A passport credential with many entries runs to tens of kilobytes; the body limit caps it.
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=500_000))


class IssuerRefSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()


class VerificationSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["valid", "revoked", "expired", "tampered",
                                                 "unknown"]})
    reason = ma.fields.String(allow_none=True)
    id = ma.fields.String(allow_none=True)
    issuer = ma.fields.Nested(IssuerRefSchema, allow_none=True)
    name = ma.fields.String(allow_none=True)
    valid_from = ma.fields.String(allow_none=True)
    valid_until = ma.fields.String(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class CredentialStatusSchema(ma.Schema):
    id = ma.fields.String()
    revoked = ma.fields.Boolean()
    revoked_at = ma.fields.DateTime(allow_none=True)
    revokedCredentials = ma.fields.List(ma.fields.Dict())  # noqa: N815  (1EdTech's name)
