"""Credential endpoints: issue, list, revoke, and the public verification API."""

from __future__ import annotations

from typing import Any

from flask import current_app

from journey.core.api import Blueprint
from journey.core.db import db
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.credentials import services
from journey.credentials.models import Credential
from journey.credentials.schemas import (
    CredentialCreateSchema,
    CredentialDetailSchema,
    CredentialRevokeSchema,
    CredentialSchema,
    CredentialStatusSchema,
    VerificationSchema,
    VerifyRequestSchema,
)
from journey.participants.routing import participant_context

blp = Blueprint("credentials", __name__, url_prefix="",
                description="Open Badges 3.0 credentials: issue, verify, revoke.")


def _out(cred: Credential, *, detail: bool = False) -> dict[str, Any]:
    data = cred.model_dump()
    data["verify_url"] = f"{current_app.config['PUBLIC_BASE_URL']}/verify/{cred.uuid}"
    if detail:
        data["credential"] = services.document(cred)
    else:
        data.pop("token", None)
    return data


@blp.get("/participants/<id:participant_id>/credentials", permission="credentials:read")
@blp.response(200, CredentialSchema(many=True))
def list_credentials(participant_id: int):
    """The participant's credentials, newest first (without their tokens)."""
    sess, user, p = participant_context(participant_id, "credentials:read")
    return [_out(c) for c in services.read_list(sess, user, p)]


@blp.post("/participants/<id:participant_id>/credentials", permission="credentials:issue")
@blp.arguments(CredentialCreateSchema)
@blp.response(201, CredentialDetailSchema)
@blp.alt_response(409, description="The passport has no entries.")
@blp.alt_response(503, description="No signing key is installed (production).")
def issue_credential(data, participant_id: int):
    """Issue the whole passport, or one qualification or skill, as a signed Open Badges 3.0
    credential (VC-JWT, EdDSA)."""
    sess, user, p = participant_context(participant_id, "credentials:issue")
    cred = services.issue(sess, user, p, data["scope"], entry_id=data.get("entry_id"))
    return _out(cred, detail=True)


@blp.get("/participants/<id:participant_id>/credentials/<id:credential_id>", permission="credentials:read")
@blp.response(200, CredentialDetailSchema)
def get_credential(participant_id: int, credential_id: int):
    """One credential with its token and credential JSON."""
    sess, user, p = participant_context(participant_id, "credentials:read")
    return _out(services.read_one(sess, user, p, credential_id), detail=True)


@blp.post("/participants/<id:participant_id>/credentials/<id:credential_id>/revoke",
          permission="credentials:revoke")
@blp.arguments(CredentialRevokeSchema)
@blp.response(200, CredentialSchema)
@blp.alt_response(409, description="Already revoked.")
def revoke_credential(data, participant_id: int, credential_id: int):
    """Revoke a credential: verification answers "revoked" from now on."""
    sess, user, p = participant_context(participant_id, "credentials:revoke")
    cred = services.get_for(sess, p.id, credential_id)
    return _out(services.revoke(sess, user, p, cred, reason=data["reason"]))


# --- public: no token needed ---------------------------------------------------------------------

@blp.post("/credentials/verify")
@blp.arguments(VerifyRequestSchema)
@blp.response(200, VerificationSchema)
def verify_credential(data):
    """Verify a credential (public): valid, revoked, expired, tampered or unknown.

    Answers 200 whatever the token holds; only a body without a token string is a 422. Says
    nothing about the holder."""
    sess = db.session
    result = services.verify(sess, data["token"])
    services.audit_view(sess, result, via="api")
    return {"status": result.status, "reason": result.reason, "id": result.id,
            "issuer": result.issuer, "name": result.name, "valid_from": result.valid_from,
            "valid_until": result.valid_until, "revoked_at": result.revoked_at}


@blp.get("/credentials/<credential_uuid>/status")
@blp.response(200, CredentialStatusSchema)
def credential_status(credential_uuid: str):
    """Revocation status of one credential (public; the credential's credentialStatus.id)."""
    cred = services.by_uuid(db.session, credential_uuid)
    if cred is None:
        raise NotFound(_("No such credential."))
    return services.status_document(cred)
