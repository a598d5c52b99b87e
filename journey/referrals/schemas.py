"""Referral schemas, shared by the API and the pages (the same validation on both).

A referral is answered in one of two shapes, both documented by ReferralSchema (every field
optional): staff get the whole record (journey.referrals.services.staff_view); a partner user
gets what journey.referrals.disclosure.for_partner gives it, where the person is only the fields
the caseworker shared (``person``), and none of the staff fields appear at all.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import (
    Id,
    PageArgsSchema,
    Text,
    Version,
    not_blank,
    page_schema,
)
from journey.referrals.states import (
    SHAREABLE,
    DeclineReason,
    Outcome,
    OutcomeReason,
    ReferralEventKind,
    State,
    Urgency,
    WithdrawReason,
)

REASON_MAX = 2000
NOTE_MAX = 2000


def _values(enum) -> list[str]:
    return [e.value for e in enum]


_STAFF = "Staff only: absent from a partner's answer."
_PARTNER = "A partner's answer only: absent from staff's."


def _staff(field: ma.fields.Field) -> ma.fields.Field:
    field.metadata = {**field.metadata, "description": _STAFF}
    return field


# --- input -------------------------------------------------------------------------------------

class ReferralQuerySchema(PageArgsSchema):
    """The filters of GET /referrals (page, per_page and sort as every paged list)."""

    SORTABLE = ("id", "created_at", "sent_at", "response_due_at", "complete_due_at")
    DEFAULT_SORT = "-id"

    state = ma.fields.List(ma.fields.String(validate=validate.OneOf(_values(State))),
                           metadata={"description": "One or more states (repeat the parameter)."})
    participant_id = Id()
    provider_id = Id()
    service_id = Id()
    office_id = Id(metadata={"description": "The referring office (yours, unless admin)."})
    grievance_id = Id(metadata={"description": "Referrals made from this grievance."})
    urgency = ma.fields.String(validate=validate.OneOf(_values(Urgency)))
    overdue = ma.fields.Boolean(metadata={
        "description": "true: open referrals whose response (sent) or completion (accepted, in "
                       "progress) deadline has passed; false: every other referral."})


class ReferralCreateSchema(ma.Schema):
    """A referral of a participant in your scope to a directory service."""

    participant_id = Id(required=True)
    service_id = Id(required=True)
    urgency = ma.fields.String(load_default=Urgency.ROUTINE.value,
                               validate=validate.OneOf(_values(Urgency)))
    reason = Text(allow_none=True, validate=validate.Length(max=REASON_MAX),
                  metadata={"description": "Why the person is referred; the partner sees it."})
    shared_fields = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SHAREABLE)),
        validate=validate.Length(max=len(SHAREABLE) * 2),
        metadata={"description": "The person's fields the partner may see (default: name and "
                                 "language)."})
    grievance_id = Id(allow_none=True, metadata={
        "description": "The participant's grievance this referral answers; it then shows the "
                       "outcome."})
    send = ma.fields.Boolean(load_default=False, metadata={
        "description": "Send at once (needs consent to share with service providers); "
                       "otherwise a draft."})


class ReferralUpdateSchema(ma.Schema):
    """A change to a draft, at the version read (If-Match or version)."""

    service_id = Id()
    urgency = ma.fields.String(validate=validate.OneOf(_values(Urgency)))
    reason = Text(allow_none=True, validate=validate.Length(max=REASON_MAX))
    shared_fields = ma.fields.List(ma.fields.String(validate=validate.OneOf(SHAREABLE)),
                                   validate=validate.Length(max=len(SHAREABLE) * 2))
    version = Version()


class StepSchema(ma.Schema):
    """A step with nothing more to say than an optional note. Send the version you read to have
    it checked (If-Match or version); without one the step is not checked against it."""

    note = Text(allow_none=True, validate=validate.Length(max=NOTE_MAX))
    partner_visible = ma.fields.Boolean(load_default=True, metadata={
        "description": "Staff: whether the partner sees the note (a partner's own notes are "
                       "always shown to it)."})
    version = Version()


class DeclineSchema(StepSchema):
    reason = ma.fields.String(required=True, validate=validate.OneOf(_values(DeclineReason)))


class ProgressSchema(StepSchema):
    note = Text(required=True, validate=[not_blank, validate.Length(max=NOTE_MAX)])


class CompleteSchema(StepSchema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(_values(Outcome)))
    outcome_reason = ma.fields.String(
        allow_none=True, validate=validate.OneOf(_values(OutcomeReason)),
        metadata={"description": "Why the service was not provided: required then (409 "
                                 "guards-unmet without it), ignored when provided."})


class WithdrawSchema(StepSchema):
    reason = ma.fields.String(required=True, validate=validate.OneOf(_values(WithdrawReason)))


# --- output ------------------------------------------------------------------------------------

class SharedPersonSchema(ma.Schema):
    """The person as a partner sees them: only the fields shared (absent otherwise); null when
    the record was erased."""

    name = ma.fields.String(allow_none=True)
    date_of_birth = ma.fields.Date(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    language = ma.fields.String(allow_none=True)
    nationality = ma.fields.String(allow_none=True)


class ReferralEventSchema(ma.Schema):
    """One step of the referral's history. A partner sees no caseworker-only note (null) and
    neither the actor nor from_state."""

    kind = ma.fields.String(validate=validate.OneOf(_values(ReferralEventKind)))
    from_state = _staff(ma.fields.String(allow_none=True))
    to_state = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    partner_visible = _staff(ma.fields.Boolean())
    actor_id = _staff(ma.fields.Integer(allow_none=True))
    via_link = _staff(ma.fields.Boolean())
    at = ma.fields.DateTime()


class ReferralSummarySchema(ma.Schema):
    """A referral in a list."""

    id = ma.fields.Integer()
    reference = ma.fields.String(allow_none=True)
    state = ma.fields.String()
    urgency = ma.fields.String()
    service_id = ma.fields.Integer()
    service_name = ma.fields.String(allow_none=True)
    provider_id = ma.fields.Integer()
    office_id = _staff(ma.fields.Integer())
    participant_id = _staff(ma.fields.Integer())
    participant_reference = _staff(ma.fields.String(allow_none=True))
    grievance_id = _staff(ma.fields.Integer(allow_none=True))
    person = ma.fields.Nested(SharedPersonSchema, allow_none=True,
                              metadata={"description": _PARTNER})
    created_at = _staff(ma.fields.DateTime())
    sent_at = ma.fields.DateTime(allow_none=True)
    response_due_at = ma.fields.DateTime(allow_none=True)
    complete_due_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    overdue = ma.fields.Boolean(metadata={
        "description": "Open, and its response or completion deadline has passed."})
    version = ma.fields.Integer()


ReferralPageSchema = page_schema(ReferralSummarySchema, "ReferralPage")


class ReferralSchema(ma.Schema):
    """One referral: the whole record for staff; for its partner, the referral and only the
    person's shared fields (``person``)."""

    id = ma.fields.Integer()
    reference = ma.fields.String(allow_none=True)
    state = ma.fields.String()
    urgency = ma.fields.String()
    service_id = ma.fields.Integer()
    service_name = ma.fields.String(allow_none=True)
    provider_id = ma.fields.Integer()
    reason = ma.fields.String(allow_none=True)
    shared_fields = ma.fields.List(ma.fields.String())
    person = ma.fields.Nested(SharedPersonSchema, metadata={"description": _PARTNER})
    participant_id = _staff(ma.fields.Integer())
    participant_reference = _staff(ma.fields.String(allow_none=True))
    participant_name = _staff(ma.fields.String(allow_none=True))
    office_id = _staff(ma.fields.Integer())
    grievance_id = _staff(ma.fields.Integer(allow_none=True))
    created_by = _staff(ma.fields.Integer(allow_none=True))
    created_at = _staff(ma.fields.DateTime())
    sent_at = ma.fields.DateTime(allow_none=True)
    sent_by = _staff(ma.fields.Integer(allow_none=True))
    response_due_at = ma.fields.DateTime(allow_none=True)
    remind_at = _staff(ma.fields.DateTime(allow_none=True))
    reminded_at = _staff(ma.fields.DateTime(allow_none=True))
    complete_due_at = ma.fields.DateTime(allow_none=True)
    escalated_at = _staff(ma.fields.DateTime(allow_none=True))
    responded_at = _staff(ma.fields.DateTime(allow_none=True))
    accepted_at = ma.fields.DateTime(allow_none=True)
    decline_reason = ma.fields.String(allow_none=True)
    started_at = _staff(ma.fields.DateTime(allow_none=True))
    outcome = ma.fields.String(allow_none=True)
    outcome_reason = ma.fields.String(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.Integer()
    overdue = ma.fields.Boolean()
    available_steps = ma.fields.List(ma.fields.String(), metadata={
        "description": "The steps you may take now (POST /referrals/{id}/<step>)."})
    events = ma.fields.List(ma.fields.Nested(ReferralEventSchema))
