"""The referrals API: list, make, read and change a draft, and one endpoint per step of the
transition table (journey.referrals.states.TRANSITIONS).

Thin: load through a schema (journey.referrals.schemas), call one service
(journey.referrals.services), dump through a schema. Staff see the referrals of the participants
in their scope; a partner user only those sent to its own provider, and of the person only the
fields shared with it (journey.referrals.disclosure). Anything else reads as missing (404).
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db, reads_first
from journey.core.pagination import with_total
from journey.core.versions import precondition
from journey.referrals import listing, services
from journey.referrals.access import is_partner
from journey.referrals.schemas import (
    CompleteSchema,
    DeclineSchema,
    ProgressSchema,
    ReferralCreateSchema,
    ReferralPageSchema,
    ReferralQuerySchema,
    ReferralSchema,
    ReferralUpdateSchema,
    StepSchema,
    WithdrawSchema,
)
from journey.referrals.states import TRANSITIONS_BY_EVENT

blp = Blueprint("referrals", __name__, url_prefix="",
                description="Referrals of participants to partner services, and their outcome.")

_NOT_FOUND = ("No such referral in your scope: another office's, another provider's, a draft "
              "or one whose consent was withdrawn (a partner).")
_STATE = "Not possible from the referral's state (code referral-state, with referral_state)"
_STALE = "the version you sent in the body is stale (code stale-version, with current_version)."
_STALE_HEADER = "The If-Match you sent is stale (code stale-version)."
_REQUIRED = "Send If-Match with the version you read, or a version field."
_INVALID = "Invalid input, field by field (an unknown field, a value not in the list)."


def _etag(body: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{body["version"]}"'}


@blp.get("/referrals", permission="referrals:read")
@blp.arguments(ReferralQuerySchema, location="query")
@blp.response(200, ReferralPageSchema)
@blp.alt_response(422, description=_INVALID + " An office_id not yours (not-found).")
@reads_first
def list_referrals(args):
    """The referrals you may see, filtered, sorted and paged (total included): staff those of
    the participants in their scope; a partner those sent to its provider, with only the shared
    fields of each person. The read is audited."""
    sess = db.session
    return with_total(listing.search(sess, current_user(sess), args))


@blp.post("/referrals", permission="referrals:create")
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema, headers={"Location": {
    "description": "The new referral's address.", "schema": {"type": "string"},
    "required": True}})
@blp.alt_response(404, description="No such participant in your scope (participant_id).")
@blp.alt_response(409, description="Sending at once: the participant has not consented to share "
                                   "with service providers (code consent-required, the reason "
                                   "in detail and unmet), or other conditions are unmet (code "
                                   "guards-unmet, with unmet).")
@blp.alt_response(422, description=_INVALID + " An unknown service or grievance (unknown).")
def create_referral(data):
    """Refer a participant in your scope to a directory service: a draft, or sent at once
    (``send``: true). From a grievance of the participant with grievance_id."""
    sess = db.session
    user = current_user(sess)
    referral = services.create(sess, user, data)
    body = listing.view(sess, user, referral)
    return body, {**_etag(body), "Location": url_for("referrals.get_referral",
                                                     referral_id=referral.id)}


@blp.get("/referrals/<id:referral_id>", permission="referrals:read")
@blp.response(200, ReferralSchema)
@blp.alt_response(404, description=_NOT_FOUND)
@reads_first
def get_referral(referral_id: int):
    """One referral with its history and the steps you may take now. Staff get the whole record;
    a partner the referral and only the person's shared fields (``person``). The read is
    audited."""
    sess = db.session
    user = current_user(sess)
    body = listing.with_steps(user, services.read(sess, user, referral_id))
    return body, _etag(body)


@blp.patch("/referrals/<id:referral_id>", permission="referrals:create")
@blp.arguments(ReferralUpdateSchema)
@blp.response(200, ReferralSchema)
@blp.alt_response(404, description=_NOT_FOUND)
@blp.alt_response(409, description="Only a draft can be changed (code referral-state), or "
                                   + _STALE)
@blp.alt_response(412, description=_STALE_HEADER)
@blp.alt_response(422, description=_INVALID + " An unknown service (unknown).")
@blp.alt_response(428, description=_REQUIRED)
def update_referral(data, referral_id: int):
    """Change a draft (service, urgency, reason, shared fields) at the version you read
    (If-Match or the version field)."""
    sess = db.session
    user = current_user(sess)
    expected = precondition(data)
    referral = services.update_draft(sess, user, referral_id, data, expected=expected)
    body = listing.view(sess, user, referral)
    return body, _etag(body)


def _step(event: str, data: dict[str, Any], referral_id: int):
    sess = db.session
    user = current_user(sess)
    expected = precondition(data, required=False)
    if is_partner(user):  # a partner's own notes are its own to read
        data["partner_visible"] = True
    referral = services.transition(sess, user, referral_id, event, data, expected=expected)
    body = listing.view(sess, user, referral)
    return body, _etag(body)


def _step_route(event: str, schema, conflicts: str):
    """One POST /referrals/<id>/<event>, with the row's permission and its documented answers."""
    t = TRANSITIONS_BY_EVENT[event]

    def decorate(view):
        view.__doc__ = (view.__doc__ or "") + (
            f"\n\nPermission {t.permission}. Send the version you read (If-Match or version) "
            "to have it checked.")
        for wrap in (
            blp.alt_response(422, description=_INVALID),
            blp.alt_response(412, description=_STALE_HEADER + " Or an If-Match that is no "
                                                              "version (invalid-if-match)."),
            blp.alt_response(409, description=f"{_STATE}; {conflicts}or " + _STALE),
            blp.alt_response(404, description=_NOT_FOUND),
            blp.response(200, ReferralSchema),
            blp.arguments(schema),
            blp.post(f"/referrals/<id:referral_id>/{event}", permission=t.permission),
        ):
            view = wrap(view)
        return view
    return decorate


@_step_route("send", StepSchema, "the participant has not consented to share with service "
                                 "providers (consent-required, the reason in detail and unmet), "
                                 "or the service is not active or the record erased "
                                 "(guards-unmet, with unmet); ")
def send_referral(data, referral_id: int):
    """Send a draft to the partner: needs the participant's consent to share with service
    providers now; the response deadline starts."""
    return _step("send", data, referral_id)


@_step_route("accept", StepSchema, "")
def accept_referral(data, referral_id: int):
    """Accept a sent referral (the partner, or staff recording its answer): the completion
    deadline starts."""
    return _step("accept", data, referral_id)


@_step_route("decline", DeclineSchema, "")
def decline_referral(data, referral_id: int):
    """Decline a sent referral with a reason from the fixed list, and a note."""
    return _step("decline", data, referral_id)


@_step_route("start", StepSchema, "")
def start_referral(data, referral_id: int):
    """The service has started for an accepted referral."""
    return _step("start", data, referral_id)


@_step_route("progress", ProgressSchema, "")
def record_progress(data, referral_id: int):
    """Record progress (a note) on an accepted or started referral; from accepted it starts
    the service."""
    return _step("progress", data, referral_id)


@_step_route("complete", CompleteSchema, "a service not provided without outcome_reason "
                                         "(guards-unmet, with unmet); ")
def complete_referral(data, referral_id: int):
    """Report the outcome: provided, or not provided with a reason from the fixed list, and a
    note."""
    return _step("complete", data, referral_id)


@_step_route("withdraw", WithdrawSchema, "")
def withdraw_referral(data, referral_id: int):
    """Withdraw a draft or open referral (staff) with a reason from the fixed list."""
    return _step("withdraw", data, referral_id)
