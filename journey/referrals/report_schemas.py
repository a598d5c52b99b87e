"""Schemas of the closed-loop figures, shared by the API and the report page (the same
validation on both)."""

from __future__ import annotations

import marshmallow as ma

from journey.core.i18n import _
from journey.core.schemas import Id, QueryArgsSchema


class FiguresQuerySchema(QueryArgsSchema):
    office_id = Id(metadata={"description": "The referring office (admins: any; others: their "
                                            "own). Without it, every referral you may see."})
    since = ma.fields.Date(metadata={"description": "Sent on or after this day (UTC)."})
    until = ma.fields.Date(metadata={"description": "Sent on or before this day (UTC)."})

    @ma.validates_schema
    def _period(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ma.ValidationError(_("The end of the period is before its start."), "until")


class _ReasonCount(ma.Schema):
    reason = ma.fields.String(metadata={"description": "journey.referrals.states.OutcomeReason"})
    count = ma.fields.Integer()


class FiguresSchema(ma.Schema):
    """One group's figures (or all of them)."""

    sent = ma.fields.Integer(metadata={"description": "Referrals sent in the period."})
    closed_within_30 = ma.fields.Integer(metadata={
        "description": "Reached a final state (declined, completed, withdrawn, expired) within "
                       "30 days of being sent."})
    closed_after_30 = ma.fields.Integer(metadata={
        "description": "Reached a final state more than 30 days after being sent."})
    open_past_30 = ma.fields.Integer(metadata={
        "description": "Still open, sent more than 30 days ago: the loop was not closed in time."})
    open_within_30 = ma.fields.Integer(metadata={
        "description": "Still open, sent less than 30 days ago: may yet close in time, so left "
                       "out of the share."})
    closed_within_30_share = ma.fields.Float(allow_none=True, metadata={
        "description": "closed_within_30 / (sent - open_within_30), 0 to 1; null when nothing "
                       "can be counted yet."})
    completed_provided = ma.fields.Integer()
    completed_not_provided = ma.fields.Integer()
    not_provided_reasons = ma.fields.List(ma.fields.Nested(_ReasonCount), metadata={
        "description": "Why the service was not provided, most frequent first."})
    declined = ma.fields.Integer()
    withdrawn = ma.fields.Integer()
    expired = ma.fields.Integer()
    answered = ma.fields.Integer(metadata={"description": "The partner accepted or declined."})
    never_answered = ma.fields.Integer(metadata={
        "description": "Closed without an answer from the partner (expired, or withdrawn while "
                       "waiting)."})
    awaiting_answer = ma.fields.Integer(metadata={"description": "Sent, not answered yet."})
    response_median_hours = ma.fields.Float(allow_none=True, metadata={
        "description": "Median hours from sent to the partner's answer; null without answers."})
    response_p90_hours = ma.fields.Float(allow_none=True, metadata={
        "description": "90th percentile of the same (interpolated, as percentile_cont)."})


class ServiceFiguresSchema(FiguresSchema):
    service_id = ma.fields.Integer()
    name = ma.fields.String()


class PartnerFiguresSchema(FiguresSchema):
    provider_id = ma.fields.Integer()
    name = ma.fields.String()


class SexFiguresSchema(FiguresSchema):
    sex = ma.fields.String(metadata={"description": "The participant's sex, as recorded."})


class ClosedLoopSchema(ma.Schema):
    office_id = ma.fields.Integer(allow_none=True)
    since = ma.fields.Date(allow_none=True)
    until = ma.fields.Date(allow_none=True)
    as_of = ma.fields.AwareDateTime(metadata={
        "description": "When the figures were computed: the 30 days of open referrals run to it."})
    window_days = ma.fields.Integer()
    overall = ma.fields.Nested(FiguresSchema)
    by_service = ma.fields.List(ma.fields.Nested(ServiceFiguresSchema))
    by_partner = ma.fields.List(ma.fields.Nested(PartnerFiguresSchema))
    by_sex = ma.fields.List(ma.fields.Nested(SexFiguresSchema))
