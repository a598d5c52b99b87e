"""Schemas of focal points, break-the-glass and complaint patterns, shared by the API and the
pages (the same validation on both)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _
from journey.core.schemas import Id, QueryArgsSchema, Text, columns, not_blank
from journey.grievances.glass import REASON_MAX, REASON_MIN
from journey.grievances.models import AccessGrant


class FocalPointCreateSchema(ma.Schema):
    user_id = Id(required=True, metadata={
        "description": "An active supervisor or caseworker of the office."})


class FocalPointSchema(ma.Schema):
    office_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    full_name = ma.fields.String()
    role = ma.fields.String()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class BreakGlassSchema(ma.Schema):
    # The minimum length is the service's (journey.grievances.glass.check_reason), with a
    # message that says what to write.
    reason = Text(required=True, validate=[not_blank, validate.Length(max=REASON_MAX)],
                  metadata={"description": f"Why you need to open it ({REASON_MIN} characters "
                                           "or more): kept encrypted with the opening, shown "
                                           "in no list or message."})


class AccessGrantSchema(ma.Schema):
    class Meta:
        include = columns(AccessGrant, "id grievance_id user_id created_at expires_at")


class PatternsQuerySchema(QueryArgsSchema):
    date_from = ma.fields.Date(data_key="from", metadata={
        "description": "Received on or after this day (UTC)."})
    date_to = ma.fields.Date(data_key="to", metadata={
        "description": "Received on or before this day (UTC)."})
    office_id = Id()

    @ma.validates_schema
    def _period(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ma.ValidationError(_("The end of the period is before its start."), "to")


class _Named(ma.Schema):
    name = ma.fields.String(allow_none=True)
    count = ma.fields.Integer()


class EmployerCountSchema(_Named):
    employer_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "Null for an employer named in free text."})


class RecruiterCountSchema(_Named):
    recruiter_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "The recruiter of the registry (GET /recruiters/{id}); null for one named "
                       "in free text that matches none of the registry."})


class OfficeCountSchema(_Named):
    office_id = ma.fields.Integer()


class PatternsSchema(ma.Schema):
    total = ma.fields.Integer()
    by_employer = ma.fields.List(ma.fields.Nested(EmployerCountSchema))
    restricted_employer = ma.fields.Integer(metadata={
        "description": "Restricted grievances against an employer you do not see in full: "
                       "counted, never attributed."})
    by_recruiter = ma.fields.List(ma.fields.Nested(RecruiterCountSchema))
    restricted_recruiter = ma.fields.Integer()
    by_category = ma.fields.List(ma.fields.Nested(ma.Schema.from_dict(
        {"category": ma.fields.String(), "count": ma.fields.Integer()}, name="CategoryCount")))
    by_office = ma.fields.List(ma.fields.Nested(OfficeCountSchema))
    by_state = ma.fields.List(ma.fields.Nested(ma.Schema.from_dict(
        {"state": ma.fields.String(), "count": ma.fields.Integer()}, name="StateCount")))
    by_month = ma.fields.List(ma.fields.Nested(ma.Schema.from_dict(
        {"month": ma.fields.String(metadata={"description": "YYYY-MM (UTC)"}),
         "count": ma.fields.Integer()}, name="MonthCount")))
    date_from = ma.fields.Date(allow_none=True)
    date_to = ma.fields.Date(allow_none=True)
    office_id = ma.fields.Integer(allow_none=True)
