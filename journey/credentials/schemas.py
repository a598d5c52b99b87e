"""Credential schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Id, columns, not_blank
from journey.credentials.models import Credential, Scope

# Issued through the API; skill-card credentials come from completing a skill form.
API_SCOPES = (Scope.PASSPORT.value, Scope.ENTRY.value)


class CredentialCreateSchema(ma.Schema):
    scope = ma.fields.String(required=True, validate=validate.OneOf(API_SCOPES))
    entry_id = Id(allow_none=True)


class CredentialRevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=[validate.Length(min=1, max=500), not_blank])


class CredentialSchema(ma.Schema):
    """A credential as staff list it: everything but the signed token."""

    class Meta:
        include = columns(Credential, "id uuid participant_id scope entry_id entry_version kid"
                                      " language issued_by issued_at valid_until revoked_at"
                                      " revoked_by revocation_reason")

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
