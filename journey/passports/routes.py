"""Passport endpoints, nested under a participant: entries, verification, history, share links."""

from __future__ import annotations

from typing import Any

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.participants.routing import participant_context
from journey.passports import disclosure, services, sharing
from journey.passports.models import ShareLink
from journey.passports.schemas import (
    DisclosedPassportSchema,
    EntryCreateSchema,
    EntryRetireSchema,
    EntrySchema,
    EntryUpdateSchema,
    EntryVerifySchema,
    PassportQuerySchema,
    PassportSchema,
    PassportUpdateSchema,
    RevisionSchema,
    ShareLinkCreatedSchema,
    ShareLinkCreateSchema,
    ShareLinkRevokeSchema,
    ShareLinkSchema,
)

blp = Blueprint("passports", __name__, url_prefix="/participants",
                description="Skills passports: entries, their verification and history, sharing.")

_ENTRY = "/<id:participant_id>/passport/entries/<id:entry_id>"


def _entry_out(entry) -> tuple[dict[str, Any], dict[str, str]]:
    return services.entry_to_dict(entry), {"ETag": f'"{entry.version}"'}


def _link_out(link: ShareLink, **extra: Any) -> dict[str, Any]:
    return {**link.model_dump(), "status": sharing.share_status(link), **extra}


@blp.get("/<id:participant_id>/passport", permission="passports:read")
@blp.arguments(PassportQuerySchema, location="query")
@blp.response(200, PassportSchema)
def get_passport(args, participant_id: int):
    """Disclosure settings and the current entries, by kind (optionally only some kinds)."""
    sess, user, p = participant_context(participant_id, "passports:read")
    view = services.read_passport(sess, user, p, args.get("kind"))
    return view, {"ETag": f'"{view["version"]}"'}


@blp.get("/<id:participant_id>/passport/disclosed", permission="passports:read_disclosed")
@blp.response(200, DisclosedPassportSchema)
def get_disclosed_passport(participant_id: int):
    """Only what the participant agreed to show publicly: for employers they are linked to and
    partners they were referred to (and staff, to see what those see)."""
    return disclosure.read_disclosed(db.session, current_user(), participant_id)


@blp.patch("/<id:participant_id>/passport", permission="passports:write")
@blp.arguments(PassportUpdateSchema)
@blp.response(200, PassportSchema)
@blp.alt_response(412, description="The version you sent is stale.")
def update_passport(data, participant_id: int):
    """Set what public verification pages may show: "name" and entry kinds (nothing by default)."""
    sess, user, p = participant_context(participant_id, "passports:write")
    expected = precondition(data)
    passport = services.update_disclosure(sess, user, p, data["disclosure"], expected)
    view = {"participant_id": p.id, "disclosure": passport.disclosure, "version": passport.version,
            "updated_at": passport.updated_at}
    return view, {"ETag": f'"{passport.version}"'}


@blp.post("/<id:participant_id>/passport/entries", permission="passports:write")
@blp.arguments(EntryCreateSchema)
@blp.response(201, EntrySchema)
def create_entry(data, participant_id: int):
    """Add an entry: "kind" plus that kind's fields; it starts self-declared."""
    sess, user, p = participant_context(participant_id, "passports:write")
    kind = data.pop("kind")
    return _entry_out(services.add_entry(sess, user, p, kind, data))


@blp.get(_ENTRY, permission="passports:read")
@blp.response(200, EntrySchema)
def get_entry(participant_id: int, entry_id: int):
    """One entry, retired or not, with its ETag."""
    sess, user, p = participant_context(participant_id, "passports:read")
    return _entry_out(services.read_entry(sess, user, p, entry_id))


@blp.patch(_ENTRY, permission="passports:write")
@blp.arguments(EntryUpdateSchema)
@blp.response(200, EntrySchema)
@blp.alt_response(412, description="The version you sent is stale.")
def update_entry(data, participant_id: int, entry_id: int):
    """Change some fields at the version you read; a verified entry drops to self-declared."""
    sess, user, p = participant_context(participant_id, "passports:write")
    entry = services.load_entry(sess, p, entry_id)
    expected = precondition(data)
    reason = data.pop("reason", None)
    return _entry_out(services.update_entry(sess, user, p, entry, data, expected=expected,
                                            reason=reason))


@blp.post(f"{_ENTRY}/verify", permission="passports:verify")
@blp.arguments(EntryVerifySchema)
@blp.response(200, EntrySchema)
def verify_entry(data, participant_id: int, entry_id: int):
    """Record a verification level, with the evidence (required above self-declared)."""
    sess, user, p = participant_context(participant_id, "passports:verify")
    entry = services.load_entry(sess, p, entry_id)
    # Verifying and retiring do not need a version (they never lose an edit), but check one sent.
    expected = precondition(data, required=False)
    return _entry_out(services.verify_entry(sess, user, p, entry, level=data["level"],
                                            evidence=data.get("evidence"), expected=expected))


@blp.post(f"{_ENTRY}/retire", permission="passports:write")
@blp.arguments(EntryRetireSchema)
@blp.response(200, EntrySchema)
def retire_entry(data, participant_id: int, entry_id: int):
    """Take an entry out of the passport, with a reason; it is never deleted."""
    sess, user, p = participant_context(participant_id, "passports:write")
    entry = services.load_entry(sess, p, entry_id)
    expected = precondition(data, required=False)
    return _entry_out(services.retire_entry(sess, user, p, entry, reason=data["reason"],
                                            expected=expected))


@blp.get(f"{_ENTRY}/history", permission="passports:read")
@blp.response(200, RevisionSchema(many=True))
def entry_history(participant_id: int, entry_id: int):
    """Every version of the entry, oldest first: who changed what, when and why."""
    sess, user, p = participant_context(participant_id, "passports:read")
    return services.history(sess, user, p, services.load_entry(sess, p, entry_id))


@blp.post("/<id:participant_id>/share-links", permission="shares:manage")
@blp.arguments(ShareLinkCreateSchema)
@blp.response(201, ShareLinkCreatedSchema)
@blp.alt_response(409, description="No standing consent to share with employers.")
def create_share_link(data, participant_id: int):
    """A time-limited link to the passport for an employer; the URL is shown only this once."""
    sess, user, p = participant_context(participant_id, "shares:manage")
    link, token = sharing.create_share_link(sess, user, p, **data)
    return _link_out(link, token=token, url=sharing.share_url(token))


@blp.get("/<id:participant_id>/share-links", permission="shares:read")
@blp.response(200, ShareLinkSchema(many=True))
def list_share_links(participant_id: int):
    """The participant's share links, newest first, with their status and views (no tokens)."""
    sess, user, p = participant_context(participant_id, "shares:read")
    return [_link_out(link) for link in sharing.list_share_links(sess, user, p)]


@blp.post("/<id:participant_id>/share-links/<id:link_id>/revoke", permission="shares:manage")
@blp.arguments(ShareLinkRevokeSchema)
@blp.response(200, ShareLinkSchema)
def revoke_share_link(_data, participant_id: int, link_id: int):
    """Revoke a link at once; the next view gets a 410."""
    sess, user, p = participant_context(participant_id, "shares:manage")
    link = sharing.load_share_link(sess, p, link_id)
    return _link_out(sharing.revoke_share_link(sess, user, p, link))
