"""Journey endpoints: transitions (one and bulk), checklists, permits, the timeline."""

from __future__ import annotations

from journey.continuum import intake, services
from journey.continuum.models import ChecklistItem, Permit
from journey.continuum.schemas import (
    BulkResponseSchema,
    BulkTransitionSchema,
    ChecklistItemSchema,
    ChecklistItemUpdateSchema,
    ParticipantRegistrationSchema,
    PermitSchema,
    PermitUpdateSchema,
    StageInfoSchema,
    TimelineSchema,
    TransitionRequestSchema,
)
from journey.continuum.stages import TRANSITIONS, Stage
from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db, load_owned
from journey.core.i18n import _
from journey.core.versions import precondition
from journey.participants.routing import participant_context
from journey.participants.schemas import ParticipantSchema

blp = Blueprint("continuum", __name__, url_prefix="",
                description="The migration continuum: stages, checklists, permits, timeline.")


@blp.get("/stages", permission="participants:read")
@blp.response(200, StageInfoSchema(many=True))
def list_stages():
    """Every stage, its translated title, and the events that leave it."""
    return [{"stage": s.value, "title": s.title,
             "events": [{"event": t.event, "title": str(t.title), "guards": list(t.guards),
                         "required": list(t.required)} for t in TRANSITIONS if s in t.sources]}
            for s in Stage]


@blp.post("/participants/", permission="participants:create")
@blp.arguments(ParticipantRegistrationSchema)
@blp.response(201, ParticipantSchema)
@blp.alt_response(409, description="A likely duplicate; resend with confirm_not_duplicate. In "
                                    "your scope: possible-duplicate with its reference; elsewhere: "
                                    "possible-duplicate-elsewhere, naming nothing.")
@blp.alt_response(429, description="Too many matches outside your scope this hour.")
def register_participant(data):
    """Register a participant (409 on a likely duplicate: its reference when you may see it)."""
    p = intake.register_participant(db.session, current_user(), data)
    return p, {"ETag": f'"{p.version}"'}


@blp.post("/participants/<id:participant_id>/transitions", permission="continuum:transition")
@blp.arguments(TransitionRequestSchema)
@blp.response(200, ParticipantSchema)
@blp.alt_response(409, description="Not possible from this stage, or guards unmet (listed).")
def transition(data, participant_id: int):
    """Move a participant by one event; 409 lists every unmet guard."""
    sess, user, p = participant_context(participant_id, "continuum:transition")
    expected = precondition(data)
    event = data.pop("event")
    override = data.pop("override_reason", None)
    p = services.apply_transition(sess, user, p, event, data, expected=expected,
                                  override_reason=override)
    return p, {"ETag": f'"{p.version}"'}


@blp.post("/participants/transitions", permission="continuum:transition")
@blp.arguments(BulkTransitionSchema)
@blp.response(200, BulkResponseSchema)
def bulk_transition(data):
    """Move a cohort (ids or a filter); each participant succeeds or fails on their own."""
    sess = db.session
    user = current_user(sess)
    event = data.pop("event")
    ids = data.pop("participant_ids", None)
    filters = data.pop("filter", None)
    override = data.pop("override_reason", None)
    return services.bulk_transition(sess, user, event, participant_ids=ids, filters=filters,
                                    data=data, override_reason=override)


@blp.get("/participants/<id:participant_id>/checklist", permission="participants:read")
@blp.response(200, ChecklistItemSchema(many=True))
def checklist(participant_id: int):
    """The participant's checklist items for the current cycle, stage by stage."""
    sess, user, p = participant_context(participant_id)
    return services.read_checklist(sess, user, p)


@blp.patch("/participants/<id:participant_id>/checklist/<id:item_id>", permission="continuum:checklist")
@blp.arguments(ChecklistItemUpdateSchema)
@blp.response(200, ChecklistItemSchema)
def update_checklist_item(data, participant_id: int, item_id: int):
    """Mark an item in progress, done, not applicable or blocked; set its due date or evidence."""
    sess, user, p = participant_context(participant_id, "continuum:checklist")
    item = load_owned(sess, ChecklistItem, item_id, p.id, _("No such checklist item."))
    expected = precondition(data)
    return services.update_item(sess, user, p, item, data, expected=expected)


@blp.get("/participants/<id:participant_id>/permits", permission="permits:read")
@blp.response(200, PermitSchema(many=True))
def list_permits(participant_id: int):
    """Visas and permits (numbers included: the read is audited)."""
    sess, user, p = participant_context(participant_id, "permits:read")
    return services.read_permits(sess, user, p)


@blp.post("/participants/<id:participant_id>/permits", permission="permits:manage")
@blp.arguments(PermitSchema)
@blp.response(201, PermitSchema)
def create_permit(data, participant_id: int):
    """Record a visa or permit."""
    sess, user, p = participant_context(participant_id, "permits:manage")
    return services.record_permit(sess, user, p, data)


@blp.patch("/participants/<id:participant_id>/permits/<id:permit_id>", permission="permits:manage")
@blp.arguments(PermitUpdateSchema)
@blp.response(200, PermitSchema)
def update_permit(data, participant_id: int, permit_id: int):
    """Update a permit: its status, dates, renewal."""
    sess, user, p = participant_context(participant_id, "permits:manage")
    permit = load_owned(sess, Permit, permit_id, p.id, _("No such permit."))
    expected = precondition(data)
    return services.update_permit(sess, user, p, permit, data, expected=expected)


@blp.get("/participants/<id:participant_id>/timeline", permission="participants:read")
@blp.response(200, TimelineSchema)
def timeline(participant_id: int):
    """Everything that happened, in order, with actor and reason; time spent in each stage."""
    sess, user, p = participant_context(participant_id)
    return services.read_timeline(sess, user, p)
