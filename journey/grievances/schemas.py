"""Grievance schemas, shared by the API and the pages (the same validation on both)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import (
    Id,
    Integer,
    Language,
    Phone,
    QueryArgsSchema,
    Text,
    Version,
    columns,
    not_blank,
)
from journey.grievances.models import (
    AgainstKind,
    Category,
    Confidentiality,
    Decision,
    Grievance,
    GrievanceEntry,
    Severity,
    SlaStatus,
    State,
)
from journey.grievances.queries import DEFAULT_LIMIT, MAX_LIMIT
from journey.grievances.states import TRANSITIONS_BY_EVENT

DESCRIPTION_MAX = 5000
NOTE_MAX = 2000


def _values(enum) -> list[str]:
    return [e.value for e in enum]


class _Complaint(ma.Schema):
    """What every channel asks of a complaint."""

    category = ma.fields.String(required=True, validate=validate.OneOf(_values(Category)))
    description = Text(required=True, validate=[not_blank, validate.Length(max=DESCRIPTION_MAX)])
    desired_outcome = Text(validate=validate.Length(max=NOTE_MAX), allow_none=True)
    against_kind = ma.fields.String(validate=validate.OneOf(_values(AgainstKind)), allow_none=True)
    against_name = Text(validate=validate.Length(max=200), allow_none=True)
    language = Language(allow_none=True)


class GrievanceCreateSchema(_Complaint):
    """A grievance logged by staff, for a participant or for an unnamed person."""

    participant_id = Id(allow_none=True)
    office_id = Id(allow_none=True, metadata={
        "description": "The office handling it: the participant's, else the user's own."})
    severity = ma.fields.String(load_default=Severity.MEDIUM.value,
                                validate=validate.OneOf(_values(Severity)))
    confidentiality = ma.fields.String(
        validate=validate.OneOf(_values(Confidentiality)), allow_none=True,
        metadata={"description": "Default: restricted for harassment and gender-based violence, "
                                 "else standard."})
    against_employer_id = Id(allow_none=True)
    against_recruiter_id = Id(allow_none=True, metadata={
        "description": "A recruiter of the registry (GET /recruiters). One not in it is named "
                       "in against_name."})
    assignee_id = Id(allow_none=True)
    # An unnamed person who wants replies: their contact (a participant's is on their record).
    contact_phone = Phone(allow_none=True)
    contact_email = ma.fields.Email(validate=validate.Length(max=254), allow_none=True)


class GrievanceUpdateSchema(ma.Schema):
    """Triage: what a grievance is about, corrected while it is open (the description stays)."""

    category = ma.fields.String(validate=validate.OneOf(_values(Category)))
    severity = ma.fields.String(validate=validate.OneOf(_values(Severity)))
    confidentiality = ma.fields.String(validate=validate.OneOf(_values(Confidentiality)))
    against_kind = ma.fields.String(validate=validate.OneOf(_values(AgainstKind)), allow_none=True)
    against_employer_id = Id(allow_none=True)
    against_recruiter_id = Id(allow_none=True)
    against_name = Text(validate=validate.Length(max=200), allow_none=True)
    desired_outcome = Text(validate=validate.Length(max=NOTE_MAX), allow_none=True)
    language = Language()
    version = Version()


class PublicComplaintSchema(_Complaint):
    """The anonymous public form: no name asked; a contact only if they want replies."""

    office_id = Id(allow_none=True)
    contact_phone = Phone(allow_none=True)


class TransitionSchema(ma.Schema):
    event = ma.fields.String(required=True,
                             validate=validate.OneOf(sorted(TRANSITIONS_BY_EVENT)))
    version = Version()
    decision = ma.fields.String(validate=validate.OneOf(_values(Decision)), allow_none=True)
    resolution_summary = Text(validate=validate.Length(max=DESCRIPTION_MAX), allow_none=True)
    note = Text(validate=validate.Length(max=NOTE_MAX), allow_none=True)
    pause_clock = ma.fields.Boolean(load_default=False, metadata={
        "description": "With request_information: stop the resolution clock until it comes."})


class EntryCreateSchema(ma.Schema):
    body = Text(required=True, validate=[not_blank, validate.Length(max=NOTE_MAX)])
    public = ma.fields.Boolean(load_default=False, metadata={
        "description": "Shown on the status page and sent to the complainant."})


class AssigneeSchema(ma.Schema):
    assignee_id = Id(required=True, allow_none=True)
    version = Version()


class GrievanceQuerySchema(QueryArgsSchema):
    state = ma.fields.List(ma.fields.String(validate=validate.OneOf(_values(State))))
    open = ma.fields.Boolean(load_default=False, data_key="open",
                             metadata={"description": "Only grievances not yet resolved."})
    category = ma.fields.String(validate=validate.OneOf(_values(Category)))
    severity = ma.fields.String(validate=validate.OneOf(_values(Severity)))
    sla_status = ma.fields.String(validate=validate.OneOf(_values(SlaStatus)))
    office_id = Id()
    participant_id = Id()
    assignee_id = Id()
    q = Text(validate=validate.Length(max=100),
             metadata={"description": "A reference, or a participant's name (not in masked rows)."})
    limit = Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class GrievanceSummarySchema(ma.Schema):
    class Meta:
        include = columns(Grievance, "id reference office_id state severity "
                                     "confidentiality channel sla_status received_at ack_due_at "
                                     "resolve_due_at assignee_id participant_id against_kind "
                                     "against_employer_id against_recruiter_id appeal_of_id "
                                     "version")

    # Null exactly when ``masked``: what it is about can point to a person (access.MASKED_FIELDS).
    category = ma.fields.String(allow_none=True)
    participant_name = ma.fields.String(allow_none=True)
    masked = ma.fields.Boolean()


class GrievanceListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GrievanceSummarySchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class EntrySchema(ma.Schema):
    class Meta:
        include = columns(GrievanceEntry, "id kind event from_state to_state body public "
                                          "actor_id created_at")


class GrievanceSchema(GrievanceSummarySchema):
    """One grievance; masked fields are null and ``masked`` true for a user who may not see them."""

    class Meta:
        include = {**GrievanceSummarySchema.Meta.include,
                   **columns(Grievance, "language against_name description desired_outcome "
                                        "decision resolution_summary acknowledged_at resolved_at "
                                        "closed_at clock_paused_at created_by")}

    contact_phone = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String(allow_none=True)
    available_events = ma.fields.List(ma.fields.String())
    entries = ma.fields.List(ma.fields.Nested(EntrySchema))


class CreatedSchema(GrievanceSchema):
    tracking_code = ma.fields.String(metadata={
        "description": "The complainant's tracking code, given this once: tell them."})


# The OpenAPI document names a schema by its class (less "Schema"): EntrySchema and
# EntryCreateSchema would collide with the passport's, so the API answers with these.
class GrievanceEntrySchema(EntrySchema):
    pass


class GrievanceEntryCreateSchema(EntryCreateSchema):
    pass


class GrievanceDetailSchema(GrievanceSchema):
    """One grievance as the API answers it: masked for a user who may not see it in full, so
    the description is nullable here (null exactly when ``masked``)."""

    class Meta:
        include = {name: field for name, field in GrievanceSchema.Meta.include.items()
                   if name != "description"}

    description = ma.fields.String(allow_none=True)
    entries = ma.fields.List(ma.fields.Nested(GrievanceEntrySchema))


class AppealCreatedSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    tracking_code = ma.fields.String(metadata={
        "description": "The appeal's own tracking code, given this once: tell the complainant."})


class TransitionedSchema(GrievanceDetailSchema):
    appeal = ma.fields.Nested(AppealCreatedSchema, metadata={
        "description": "Only after an appeal: the new grievance it opened (appeal_of_id links it "
                       "to this one)."})


class GrievanceCreatedSchema(GrievanceDetailSchema):
    """CreatedSchema as the API answers it (its entries named apart from the passport's)."""

    tracking_code = CreatedSchema._declared_fields["tracking_code"]
