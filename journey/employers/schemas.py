"""Vacancy and candidate schemas: what a client sends and reads back, the same names both ways.

Codes that need the database (an ESCO occupation, the programme, the recruiter) are checked by
the services once the schema has passed (journey.employers.vacancies, .candidates).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _l
from journey.core.schemas import Id, Integer, Name, QueryArgsSchema, Text, Version
from journey.employers.models import CandidacyState, DecisionReason, VacancyStatus
from journey.passports.schemas import CEFR_LEVELS, EscoOccupationUri, EscoSkillUri, IscoCode, Iso639

WAGE_PERIODS = ("hour", "day", "week", "month", "year")
DECISION_STATES = (CandidacyState.SHORTLISTED.value, CandidacyState.INTERVIEWED.value,
                   CandidacyState.SELECTED.value, CandidacyState.REJECTED.value)
# What staff may set a vacancy's status to by hand (publishing is its own endpoint).
SETTABLE_STATUSES = (VacancyStatus.FILLED.value, VacancyStatus.CLOSED.value)


class LanguageRequirementSchema(ma.Schema):
    """A language the job needs: ISO 639-1 (stored as 639-1 when the language has one) and the
    CEFR level."""

    language = Iso639(required=True)
    level = ma.fields.String(required=True, validate=validate.OneOf(CEFR_LEVELS))


def _unique(values: list) -> None:
    if len(values) != len(set(values)):
        raise ma.ValidationError(_l("Give each item once."))


class VacancyFieldsSchema(ma.Schema):
    """What a vacancy says: the fields a draft is written with."""

    title = Name(validate=validate.Length(min=1, max=200))
    occupation_uri = EscoOccupationUri(allow_none=True, metadata={
        "description": "An ESCO occupation URI; it fixes the ISCO-08 unit group."})
    isco_code = IscoCode(allow_none=True)
    required_skills = ma.fields.List(EscoSkillUri(), validate=[validate.Length(max=50), _unique])
    optional_skills = ma.fields.List(EscoSkillUri(), validate=[validate.Length(max=50), _unique])
    languages = ma.fields.List(ma.fields.Nested(LanguageRequirementSchema),
                               validate=validate.Length(max=10))
    certificates = ma.fields.List(Name(validate=validate.Length(min=1, max=200)),
                                  validate=validate.Length(max=20))
    place = Name(validate=validate.Length(min=1, max=200))
    positions = Integer(validate=validate.Range(min=1, max=10_000))
    start_date = ma.fields.Date(allow_none=True)
    wage_amount = ma.fields.Decimal(places=2, as_string=True, allow_none=True,
                                    validate=validate.Range(min=0, max=10**9))
    wage_currency = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    wage_period = ma.fields.String(allow_none=True, validate=validate.OneOf(WAGE_PERIODS))
    conditions = Text(allow_none=True, validate=validate.Length(max=4000))
    programme_id = Id()

    @ma.validates_schema
    def _wage_complete(self, data, **_kwargs):
        if data.get("wage_amount") is not None and not data.get("wage_currency"):
            raise ma.ValidationError(_l("Give the wage's currency."), "wage_currency")


class VacancySchema(VacancyFieldsSchema):
    """A vacancy as the API shows it; on POST, the draft (employer users draft for their own
    employer; staff name the employer)."""

    id = ma.fields.Integer(dump_only=True)
    employer_id = Id(metadata={"description": "Staff only: the employer the vacancy is for."})
    title = Name(required=True, validate=validate.Length(min=1, max=200))
    place = Name(required=True, validate=validate.Length(min=1, max=200))
    programme_id = Id(required=True)
    positions = Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    status = ma.fields.String(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    published_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    updated_at = ma.fields.DateTime(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class VacancyUpdateSchema(VacancyFieldsSchema):
    """An edit: any field, at the version read (If-Match or the version field)."""

    version = Version(load_only=True)


class VacancyQuerySchema(QueryArgsSchema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in VacancyStatus]))


class VacancyStatusSchema(ma.Schema):
    """Staff mark an open vacancy filled, or close it."""

    status = ma.fields.String(required=True, validate=validate.OneOf(SETTABLE_STATUSES))
    version = Version(load_only=True)


class VacancyPublishSchema(ma.Schema):
    version = Version(load_only=True)


class PresentSchema(ma.Schema):
    """Staff present a participant in their scope to an open vacancy."""

    participant_id = Id(required=True)
    recruiter_id = Id(allow_none=True, metadata={
        "description": "The agency that recruited the candidate; its licence is checked at "
                       "placement."})
    note = Text(allow_none=True, validate=validate.Length(max=2000),
                metadata={"description": "A note for the employer (encrypted at rest)."})


class CandidacySchema(ma.Schema):
    """A candidacy as its presenter sees it right after presenting."""

    id = ma.fields.Integer()
    vacancy_id = ma.fields.Integer()
    participant_id = ma.fields.Integer()
    employer_id = ma.fields.Integer()
    recruiter_id = ma.fields.Integer(allow_none=True)
    state = ma.fields.String()
    presented_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.Integer()


class CandidateQuerySchema(QueryArgsSchema):
    state = ma.fields.String(validate=validate.OneOf([s.value for s in CandidacyState]))
    after = Id(metadata={"description": "The last candidacy_id of the previous page."})
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CandidateSkillsSchema(ma.Schema):
    occupations = ma.fields.List(ma.fields.String())
    skills = ma.fields.List(ma.fields.String())
    languages = ma.fields.List(ma.fields.String())


class CandidateListItemSchema(ma.Schema):
    candidacy_id = ma.fields.Integer()
    participant_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    state = ma.fields.String()
    presented_at = ma.fields.DateTime()
    skills = ma.fields.Nested(CandidateSkillsSchema)


class CandidatePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CandidateListItemSchema))
    next_after = ma.fields.Integer(allow_none=True, metadata={
        "description": "Pass as ?after= for the next page; null on the last page."})


class CandidacyStepSchema(ma.Schema):
    state = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime()


class CandidateEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String(allow_none=True)
    verification = ma.fields.String()
    fields = ma.fields.Dict()


class CandidateSchema(ma.Schema):
    """A presented candidate as the employer may see them (journey.passports.disclosure)."""

    candidacy_id = ma.fields.Integer()
    vacancy_id = ma.fields.Integer()
    participant_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    state = ma.fields.String()
    presented_at = ma.fields.DateTime()
    version = ma.fields.Integer()
    entries = ma.fields.List(ma.fields.Nested(CandidateEntrySchema))
    skill_card = ma.fields.Dict(allow_none=True)
    steps = ma.fields.List(ma.fields.Nested(CandidacyStepSchema))


class DecisionSchema(ma.Schema):
    """The employer's step: the state, a reason from the fixed list, and a note."""

    state = ma.fields.String(required=True, validate=validate.OneOf(DECISION_STATES))
    reason = ma.fields.String(validate=validate.OneOf([r.value for r in DecisionReason]),
                              metadata={"description": "Required: a reason from the fixed list."})
    note = Text(allow_none=True, validate=validate.Length(max=2000))
    version = Version(load_only=True)
