"""My work: the query and the response, shared by the API and the page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.schemas import Id, Integer, QueryArgsSchema
from journey.workbench.services import DEFAULT_LIMIT, MAX_LIMIT, SECTIONS


class MyWorkQuerySchema(QueryArgsSchema):
    office_id = Id(metadata={"description": "Only this office (admins; others see their own)."})
    limit = Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
                    metadata={"description": "Items listed per section (each gives its total)."})


class _Person(ma.Schema):
    participant_id = ma.fields.Integer()
    reference = ma.fields.String()
    given_name = ma.fields.String()
    family_name = ma.fields.String()
    office_id = ma.fields.Integer()
    caseworker_id = ma.fields.Integer(allow_none=True)


class ChecklistWorkSchema(_Person):
    id = ma.fields.Integer()
    key = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String()
    stage = ma.fields.String()
    due_date = ma.fields.Date()


class PermitWorkSchema(_Person):
    id = ma.fields.Integer()
    type = ma.fields.String()
    status = ma.fields.String()
    issuing_country = ma.fields.String()
    expires_on = ma.fields.Date()


class ReplyWorkSchema(_Person):
    id = ma.fields.Integer()
    received_at = ma.fields.AwareDateTime()
    keyword = ma.fields.String(allow_none=True)
    body = ma.fields.String(metadata={"description": "The migrant's text (reading it is audited)."})


class ProblemWorkSchema(_Person):
    id = ma.fields.Integer()
    template = ma.fields.String()
    channel = ma.fields.String()
    status = ma.fields.String(metadata={"description": "failed, undelivered or skipped"})
    skip_reason = ma.fields.String(allow_none=True)
    last_error_code = ma.fields.String(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class GrievanceWorkSchema(ma.Schema):
    """A grievance due or breached. Masked (a restricted one the caller does not see in full):
    only its id, reference, office, deadline and SLA status; the rest null."""

    id = ma.fields.Integer()
    reference = ma.fields.String()
    office_id = ma.fields.Integer()
    state = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    severity = ma.fields.String(allow_none=True)
    sla_status = ma.fields.String()
    deadline = ma.fields.String(metadata={"description": "acknowledge or resolve"})
    due_at = ma.fields.AwareDateTime()
    caseworker_id = ma.fields.Integer(allow_none=True, metadata={"description": "The assignee"})
    participant_id = ma.fields.Integer(allow_none=True)
    participant_reference = ma.fields.String(allow_none=True)
    given_name = ma.fields.String(allow_none=True)
    family_name = ma.fields.String(allow_none=True)
    masked = ma.fields.Boolean()


class EscalationWorkSchema(GrievanceWorkSchema):
    """A breach escalated to the caller (its supervisor or focal point)."""

    escalation_id = ma.fields.Integer()
    escalated_at = ma.fields.AwareDateTime()
    seen_at = ma.fields.AwareDateTime(allow_none=True)


class ReferralWorkSchema(ma.Schema):
    """A referral due, overdue (or expired) or declined, with its participant."""

    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "The referral's"})
    state = ma.fields.String()
    urgency = ma.fields.String()
    service_id = ma.fields.Integer()
    service_name = ma.fields.String()
    provider_id = ma.fields.Integer()
    provider_name = ma.fields.String()
    deadline = ma.fields.String(metadata={"description": "response or completion"})
    due_at = ma.fields.AwareDateTime(allow_none=True)
    escalated_at = ma.fields.AwareDateTime(allow_none=True)
    decline_reason = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    participant_id = ma.fields.Integer()
    participant_reference = ma.fields.String()
    given_name = ma.fields.String()
    family_name = ma.fields.String()
    office_id = ma.fields.Integer()
    caseworker_id = ma.fields.Integer(allow_none=True)


def _section(item: type[ma.Schema], name: str, **extra: ma.fields.Field) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "total": ma.fields.Integer(metadata={"description": "All the items, not only those listed"}),
        "items": ma.fields.List(ma.fields.Nested(item)),
        **extra,
    }, name=name)


_ITEM_OF = {"overdue": ChecklistWorkSchema, "due": ChecklistWorkSchema,
            "permits_expired": PermitWorkSchema, "permits_7": PermitWorkSchema,
            "permits_30": PermitWorkSchema, "permits_90": PermitWorkSchema,
            "replies": ReplyWorkSchema, "problems": ProblemWorkSchema,
            "grievances_due": GrievanceWorkSchema, "grievances_breached": GrievanceWorkSchema,
            "escalations": EscalationWorkSchema,
            "referrals_due": ReferralWorkSchema, "referrals_overdue": ReferralWorkSchema,
            "referrals_declined": ReferralWorkSchema}
_SECTION_SCHEMAS = {
    schema: _section(schema, schema.__name__.replace("Schema", "SectionSchema"))
    for schema in dict.fromkeys(_ITEM_OF.values()) if schema is not EscalationWorkSchema}
_SECTION_SCHEMAS[EscalationWorkSchema] = _section(
    EscalationWorkSchema, "EscalationWorkSectionSchema",
    unseen=ma.fields.Integer(metadata={"description": "Escalations not yet seen"}))

WorkSectionsSchema = ma.Schema.from_dict(
    {name: ma.fields.Nested(_SECTION_SCHEMAS[_ITEM_OF[name]]) for name in SECTIONS},
    name="WorkSectionsSchema")


class CaseworkerCountsSchema(ma.Schema):
    caseworker_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: unassigned"})
    name = ma.fields.String(allow_none=True)
    total = ma.fields.Integer()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "Items per section (grievances by their "
                                                     "assignee; escalations are the caller's "
                                                     "own, counted 0 here)"})


class TriageCountSchema(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "Texts from unknown numbers to triage"})


class MyWorkSchema(ma.Schema):
    today = ma.fields.Date()
    view = ma.fields.String(metadata={"description": "mine (caseworker), office (supervisor) or "
                                                     "all (admin)"})
    office_id = ma.fields.Integer(allow_none=True)
    limit = ma.fields.Integer()
    sections = ma.fields.Nested(WorkSectionsSchema, metadata={
        "description": "overdue and due (within 7 days) checklist items; permits expired or "
                       "expiring within 7, 30 and 90 days; unanswered replies; messages that "
                       "failed or were skipped in the last 30 days; open grievances whose "
                       "acknowledgement or resolution is due within 2 days, and breached ones "
                       "(a caseworker's assigned ones, a supervisor's office); escalations "
                       "addressed to the caller, unseen first; referrals whose response or "
                       "completion is due within 2 days, overdue ones (and those expired in "
                       "the last 30 days), and those declined in the last 30 days"})
    triage = ma.fields.Nested(TriageCountSchema)
    caseworkers = ma.fields.List(ma.fields.Nested(CaseworkerCountsSchema))
