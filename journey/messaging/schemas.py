"""Message, delivery-rate and campaign schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from journey.core.ids import ID_RANGE
from journey.core.schemas import Language, columns
from notifications.models import OutboxMessage
from notifications.reconcile import Outcome
from notifications.templates import TEMPLATES


class MessageSchema(ma.Schema):
    class Meta:
        include = columns(OutboxMessage, "id channel template language subject body status"
                                         " skip_reason segments attempts last_error_code created_at"
                                         " sent_at delivered_at")


class StatsSchema(ma.Schema):
    channel = ma.fields.String()
    language = ma.fields.String()
    total = ma.fields.Integer()
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    delivery_rate = ma.fields.Float(allow_none=True, metadata={
        "description": "delivered / (sent + delivered + undelivered + failed)"})


class CampaignFilterSchema(ma.Schema):
    programme_id = ma.fields.Integer(strict=True, validate=ID_RANGE)
    office_id = ma.fields.Integer(strict=True, validate=ID_RANGE)
    stage = ma.fields.List(ma.fields.String())
    language = Language()


def _params_doc() -> str:
    lines = []
    for name in sorted(TEMPLATES):
        declared = TEMPLATES[name].params
        lines.append(f"{name}: " + (", ".join(f"{k} ({p.kind})" for k, p in declared.items())
                                    or "none"))
    return "The params the template declares, and no others. " + "; ".join(lines) + "."


class CampaignSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    template = ma.fields.String(required=True, validate=validate.OneOf(sorted(TEMPLATES)))
    filter = ma.fields.Nested(CampaignFilterSchema, load_default=dict)
    params = ma.fields.Dict(keys=ma.fields.String(), load_default=dict,
                            metadata={"description": _params_doc()})

    @ma.validates_schema
    def _params_fit_the_template(self, data: dict[str, Any], **_kwargs) -> None:
        template = TEMPLATES.get(data.get("template"))
        if template is None:
            return  # the template field reports it
        errors = template.schema().validate(data.get("params") or {})
        if errors:
            raise ma.ValidationError({"params": errors})

    @ma.post_load
    def _typed_params(self, data: dict[str, Any], **_kwargs) -> dict[str, Any]:
        # Dates as dates, so each recipient sees them in their own language.
        data["params"] = TEMPLATES[data["template"]].schema().load(data.get("params") or {})
        return data


class PreviewSchema(ma.Schema):
    recipients = ma.fields.Integer()
    messages = ma.fields.Integer()
    by_language = ma.fields.List(ma.fields.Dict())
    skipped = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    estimated_cost = ma.fields.String()
    campaign_id = ma.fields.Integer(allow_none=True)


class ReconcileSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(strict=True, validate=ID_RANGE),
                         validate=validate.Length(min=1, max=100), metadata={
                             "description": "Only these messages (at most 100); without it, up to "
                                            "25 outcome-unknown SMS, longest unknown first."})


class ReconcileResultSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={
        "enum": [o.value for o in Outcome],
        "description": "sent: found at the provider (status is its status); requeued: not sent, "
                       "queued again; not_sent: not sent and too old to resend (failed, not-sent); "
                       "ambiguous: several of the provider's messages fit (failed, "
                       "outcome-ambiguous); waiting: not found while the provider may still send "
                       "it; provider_error: the provider could not be asked; needs_person: email; "
                       "changed: settled meanwhile by something else"})
    status = ma.fields.String(allow_none=True)
    error_code = ma.fields.String(allow_none=True)


class ReconcileReportSchema(ma.Schema):
    checked = ma.fields.Integer()
    settled = ma.fields.Integer()
    by_outcome = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    results = ma.fields.List(ma.fields.Nested(ReconcileResultSchema))
    not_applicable = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Ids asked about that are not outcome-unknown messages you may see"})
    remaining = ma.fields.Integer(metadata={
        "description": "Outcome-unknown SMS this call did not reach: call again"})
    emails_for_a_person = ma.fields.Integer(metadata={
        "description": "Outcome-unknown emails: a mail server keeps no list to ask"})
