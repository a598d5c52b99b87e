"""Continuum schemas: registration, transitions, checklist items, permits, the timeline."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.consent.models import Method, Purpose
from journey.continuum.models import ChecklistItem, ItemStatus, PermitStatus, PermitType
from journey.continuum.stages import TRANSITIONS_BY_EVENT
from journey.core.i18n import _
from journey.core.schemas import Country, Id, Text, Version, columns
from journey.core.timeline import JourneyEvent
from journey.participants.schemas import ParticipantCreateSchema


class TransitionDataSchema(ma.Schema):
    reason = ma.fields.String(validate=validate.Length(max=2000), allow_none=True)
    employer_id = Id(allow_none=True)
    arrival_date = ma.fields.Date(allow_none=True)
    return_date = ma.fields.Date(allow_none=True)
    destination_country = Country(allow_none=True)


class TransitionRequestSchema(TransitionDataSchema):
    event = ma.fields.String(required=True, validate=validate.OneOf(sorted(TRANSITIONS_BY_EVENT)))
    version = Version()
    override_reason = ma.fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Supervisors: override unmet guards, with a written reason."})


class BulkFilterSchema(ma.Schema):
    office_id = Id()
    programme_id = Id()
    stage = ma.fields.List(ma.fields.String())
    destination_country = Country()


class BulkTransitionSchema(TransitionDataSchema):
    event = ma.fields.String(required=True, validate=validate.OneOf(sorted(TRANSITIONS_BY_EVENT)))
    participant_ids = ma.fields.List(Id(),
                                     validate=validate.Length(min=1, max=1000))
    filter = ma.fields.Nested(BulkFilterSchema)
    override_reason = ma.fields.String(validate=validate.Length(min=1, max=2000))

    @ma.validates_schema
    def _one_selector(self, data, **_kwargs):
        if ("participant_ids" in data) == ("filter" in data):
            raise ma.ValidationError(_("Give either participant_ids or filter."), "_schema")


class BulkResultSchema(ma.Schema):
    participant_id = ma.fields.Integer()
    result = ma.fields.String(metadata={"description": "done, refused or not_found"})
    stage = ma.fields.String(allow_none=True)
    code = ma.fields.String(allow_none=True)
    reasons = ma.fields.List(ma.fields.String())


class BulkResponseSchema(ma.Schema):
    event = ma.fields.String()
    done = ma.fields.Integer()
    refused = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(BulkResultSchema))


class ChecklistItemSchema(ma.Schema):
    class Meta:
        include = columns(ChecklistItem, "id stage cycle key title required status due_date"
                                         " completed_by completed_at evidence_note version")


class ChecklistItemUpdateSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in ItemStatus]))
    due_date = ma.fields.Date(allow_none=True)
    evidence_note = ma.fields.String(validate=validate.Length(max=1000), allow_none=True)
    version = Version()


class PermitSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    type = ma.fields.String(required=True, validate=validate.OneOf([t.value for t in PermitType]))
    issuing_country = Country(required=True)
    number = ma.fields.String(validate=validate.Length(max=64), allow_none=True)
    status = ma.fields.String(load_default="planned",
                              validate=validate.OneOf([s.value for s in PermitStatus]))
    applied_on = ma.fields.Date(allow_none=True)
    decided_on = ma.fields.Date(allow_none=True)
    issued_on = ma.fields.Date(allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    employer_tied = ma.fields.Boolean(load_default=False)
    employer_id = Id(allow_none=True)
    version = ma.fields.Integer(dump_only=True)


class PermitUpdateSchema(PermitSchema):
    type = ma.fields.String(validate=validate.OneOf([t.value for t in PermitType]))
    issuing_country = Country()
    status = ma.fields.String(validate=validate.OneOf([s.value for s in PermitStatus]))
    employer_tied = ma.fields.Boolean()
    version = Version(load_only=True)


class JourneyEventSchema(ma.Schema):
    class Meta:
        include = columns(JourneyEvent, "id kind occurred_at actor_id stage reason data")


class StageTimeSchema(ma.Schema):
    stage = ma.fields.String()
    days = ma.fields.Float()


class TimelineSchema(ma.Schema):
    participant_id = ma.fields.Integer()
    stage = ma.fields.String()
    events = ma.fields.List(ma.fields.Nested(JourneyEventSchema))
    time_in_stage = ma.fields.List(ma.fields.Nested(StageTimeSchema))


class StageInfoSchema(ma.Schema):
    stage = ma.fields.String()
    title = ma.fields.String()
    events = ma.fields.List(ma.fields.Dict())


class InitialConsentSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=validate.OneOf([p.value for p in Purpose]))
    method = ma.fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    note = Text(validate=validate.Length(max=500), allow_none=True)


class ParticipantRegistrationSchema(ParticipantCreateSchema):
    """A new participant's record, with the consents they give at registration."""

    consents = ma.fields.List(ma.fields.Nested(InitialConsentSchema), load_default=list,
                              validate=validate.Length(max=len(Purpose)))
