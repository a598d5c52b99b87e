"""Schemas of placements, onboarding steps, signed links and retention: shared by the API and
the pages (the same validation on both)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Id, QueryArgsSchema, Text, Version, columns, not_blank
from journey.employers.models import (
    OnboardingLink,
    OnboardingStep,
    Placement,
    PlacementStatus,
    RetentionCheck,
)
from journey.employers.placement_services import EndReason
from journey.employers.retention import MONTHS

NOTE_MAX = 2000
CONTEST_MAX = 5000


class PlacementQuerySchema(QueryArgsSchema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in PlacementStatus]))


class PlacementSchema(ma.Schema):
    class Meta:
        include = columns(Placement, "id participant_id employer_id vacancy_id candidacy_id "
                                     "recruiter_id programme_id contract_start contract_end "
                                     "arrived_on status ended_at end_reason rehire_of_id "
                                     "created_at version")


class PlacementListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PlacementSchema))


class OnboardingStepSchema(ma.Schema):
    class Meta:
        include = columns(OnboardingStep, "id placement_id key position due_on status "
                                          "confirmed_at confirmed_by confirmed_via_link_id "
                                          "contested_at contest_grievance_id version")

    title = ma.fields.String(metadata={"description": "The step, in your language."})


class RetentionCheckSchema(ma.Schema):
    class Meta:
        include = columns(RetentionCheck, "id placement_id months due_on retained recorded_by "
                                          "recorded_at")


class PlacementDetailSchema(PlacementSchema):
    steps = ma.fields.List(ma.fields.Nested(OnboardingStepSchema))
    retention = ma.fields.List(ma.fields.Nested(RetentionCheckSchema))
    rehire_of = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Earlier placements of the same worker with the same employer, latest "
                       "first (circular re-entry)."})


class PlacementUpdateSchema(ma.Schema):
    """Staff correct the contract dates or the recruiter (checked again)."""

    contract_start = ma.fields.Date(allow_none=True)
    contract_end = ma.fields.Date(allow_none=True)
    recruiter_id = Id(allow_none=True)
    version = Version()


class PlacementEndSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in EndReason]))
    version = Version()


class StepConfirmSchema(ma.Schema):
    note = Text(validate=validate.Length(max=NOTE_MAX), allow_none=True)
    version = Version()


class StepContestSchema(ma.Schema):
    """The participant's own words: what happened instead."""

    text = Text(required=True, validate=[not_blank, validate.Length(max=CONTEST_MAX)])


class StepContestedSchema(ma.Schema):
    step = ma.fields.Nested(OnboardingStepSchema)
    grievance_id = ma.fields.Integer()
    grievance_reference = ma.fields.String()


class LinkCreateSchema(ma.Schema):
    contact_id = Id(required=True, metadata={
        "description": "A contact of the placement's employer, with an email address."})


class OnboardingLinkSchema(ma.Schema):
    class Meta:
        include = columns(OnboardingLink, "id step_id contact_id created_by created_at "
                                          "expires_at used_at")


class RetentionRecordSchema(ma.Schema):
    months = ma.fields.Integer(required=True, validate=validate.OneOf(MONTHS))
    retained = ma.fields.Boolean(required=True)


class LinkConfirmSchema(ma.Schema):
    """The public page's form: an optional note from the employer's contact."""

    note = Text(validate=validate.Length(max=NOTE_MAX), allow_none=True)
