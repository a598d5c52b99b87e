"""Placements, the onboarding steps employers confirm, and retention: thin routes (schema in,
one service, schema out).

Employer users see their own employer's placements, staff those of the participants in their
scope (journey.employers.access); anything else is a 404."""

from __future__ import annotations

from typing import Any

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db, reads_first
from journey.core.versions import precondition
from journey.employers import placement_services as services
from journey.employers import steps
from journey.employers.models import OnboardingStep, Placement
from journey.employers.placement_schemas import (
    LinkCreateSchema,
    OnboardingLinkSchema,
    OnboardingStepSchema,
    PlacementDetailSchema,
    PlacementEndSchema,
    PlacementListSchema,
    PlacementQuerySchema,
    PlacementUpdateSchema,
    RetentionCheckSchema,
    RetentionRecordSchema,
    StepConfirmSchema,
    StepContestedSchema,
    StepContestSchema,
)
from journey.grievances.models import Channel

blp = Blueprint("placements", __name__, url_prefix="",
                description="Placements, the onboarding steps employers confirm (or contest), "
                            "signed links for employers without an account, and retention.")

_STALE = "The version you sent (in the body) is stale (code stale-version)."
_ENDED = "The placement has ended (code placement-ended)."


def _etag(obj: Any) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


def _step(step: OnboardingStep, user) -> dict[str, Any]:
    # An employer user sees a contested step as the confirmation it gave (steps.present_step).
    return steps.present_step(step, user)


def _detail(sess, user, found: dict[str, Any]) -> dict[str, Any]:
    placement: Placement = found["placement"]
    body = {name: getattr(placement, name) for name in PlacementDetailSchema().fields
            if hasattr(Placement, name)}
    body.update(steps=[_step(s, user) for s in found["steps"]], retention=found["retention"],
                rehire_of=[p.id for p in services.rehires(sess, placement)])
    return body


@blp.get("/placements", permission="placements:read")
@blp.arguments(PlacementQuerySchema, location="query")
@blp.response(200, PlacementListSchema)
@reads_first
def list_placements(args):
    """The placements you see, newest first: an employer user its own employer's; staff those of
    the participants in their scope (the read is audited)."""
    sess = db.session
    return {"items": services.list_placements(sess, current_user(sess), status=args.get("status"))}


@blp.get("/placements/<id:placement_id>", permission="placements:read")
@blp.response(200, PlacementDetailSchema)
@reads_first
def get_placement(placement_id: int):
    """One placement with its onboarding steps, retention checks and the earlier placements it
    rehires after (the read is audited)."""
    sess = db.session
    user = current_user(sess)
    found = services.read_placement(sess, user, placement_id)
    return _detail(sess, user, found), _etag(found["placement"])


@blp.patch("/placements/<id:placement_id>", permission="placements:manage")
@blp.arguments(PlacementUpdateSchema)
@blp.response(200, PlacementDetailSchema)
@blp.alt_response(409, description="A recruiter that may not place (code recruiter-unlicensed, "
                                   "recruiter-licence-expired or recruiter-corridor, with the "
                                   "reason); " + _ENDED + " Or " + _STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def update_placement(data, placement_id: int):
    """Correct an active placement's contract dates or recruiter, at the version you read. A new
    recruiter is checked again: a placement through an unlicensed or expired one is refused."""
    sess = db.session
    user = current_user(sess)
    expected = precondition(data)
    services.update_placement(sess, user, placement_id, data, expected=expected)
    found = services.read_placement(sess, user, placement_id)
    return _detail(sess, user, found), _etag(found["placement"])


@blp.post("/placements/<id:placement_id>/end", permission="placements:manage")
@blp.arguments(PlacementEndSchema)
@blp.response(200, PlacementDetailSchema)
@blp.alt_response(409, description=_ENDED + " Or " + _STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def end_placement(data, placement_id: int):
    """End an active placement with a reason from the fixed list; the participant is no longer
    linked to the employer as placed."""
    sess = db.session
    user = current_user(sess)
    expected = precondition(data, required=False)
    services.end_placement(sess, user, placement_id, reason=data["reason"], expected=expected)
    found = services.read_placement(sess, user, placement_id)
    return _detail(sess, user, found), _etag(found["placement"])


@blp.post("/placements/<id:placement_id>/steps/<id:step_id>/confirm",
          permission="onboarding:confirm")
@blp.arguments(StepConfirmSchema)
@blp.response(200, OnboardingStepSchema)
@blp.alt_response(409, description="Already confirmed or contested (code step-not-waiting); "
                                   + _ENDED + " Or " + _STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def confirm_step(data, placement_id: int, step_id: int):
    """Confirm a waiting onboarding step (the employer, or staff on its behalf). The participant
    is told in their language and may contest it."""
    sess = db.session
    user = current_user(sess)
    expected = precondition(data, required=False)
    step = steps.confirm_step(sess, user, step_id, note=data.get("note"),
                              expected=expected, placement_id=placement_id)
    sess.refresh(step)
    return _step(step, user), _etag(step)


@blp.post("/placements/<id:placement_id>/steps/<id:step_id>/contest",
          permission="onboarding:contest")
@blp.arguments(StepContestSchema)
@blp.response(201, StepContestedSchema)
@blp.alt_response(409, description="Only a confirmed step can be contested (code "
                                   "step-not-confirmed).")
def contest_step(data, placement_id: int, step_id: int):
    """Write down the participant's contest of a confirmed step, in their words: a grievance
    against the employer opens (the participant gets its receipt) and the step is contested."""
    sess = db.session
    user = current_user(sess)
    g = steps.contest_step(sess, user, step_id, text=data["text"], channel=Channel.STAFF,
                           placement_id=placement_id)
    step = sess.get(OnboardingStep, step_id)
    sess.refresh(step)
    return {"step": _step(step, user), "grievance_id": g.id, "grievance_reference": g.reference}


@blp.post("/placements/<id:placement_id>/steps/<id:step_id>/links",
          permission="onboarding:send_link")
@blp.arguments(LinkCreateSchema)
@blp.response(201, OnboardingLinkSchema)
@blp.alt_response(409, description="The step is not waiting (code step-not-waiting); " + _ENDED)
def issue_link(data, placement_id: int, step_id: int):
    """Email a contact of the employer (one without an account) a signed link that confirms this
    one step, once, within 14 days. The link itself is only in the email."""
    sess = db.session
    link, _token = steps.issue_link(sess, current_user(sess), step_id,
                                    contact_id=data["contact_id"], placement_id=placement_id)
    return link


@blp.post("/placements/<id:placement_id>/retention", permission="retention:record")
@blp.arguments(RetentionRecordSchema)
@blp.response(200, RetentionCheckSchema)
@blp.alt_response(409, description="The arrival is not recorded yet (code retention-not-open), "
                                   "or the check is not due yet (retention-not-due).")
def record_retention(data, placement_id: int):
    """Record whether the worker is still with the employer 3, 6 or 12 months after arrival
    (recording again corrects it)."""
    sess = db.session
    return services.record_retention(sess, current_user(sess), placement_id,
                                     months=data["months"], retained=data["retained"])
