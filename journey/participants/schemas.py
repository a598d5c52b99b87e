"""Participant schemas: what the API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import g
from marshmallow import validate

from journey.core.i18n import _
from journey.core.policy import allowed
from journey.core.schemas import (
    Country,
    Id,
    Language,
    Name,
    PageArgsSchema,
    Phone,
    Text,
    TimeZone,
    Version,
    columns,
)
from journey.participants.models import Channel, Disability, Participant, Sex
from journey.stages import Stage

_sex = validate.OneOf([s.value for s in Sex])
_disability = validate.OneOf([d.value for d in Disability])
_channel = validate.OneOf([c.value for c in Channel])


def _past_date(value: date) -> None:
    if value > date.today():
        raise ma.ValidationError(_("Date of birth cannot be in the future."))
    if value.year < 1900:
        raise ma.ValidationError(_("Date of birth is before 1900."))


class _ParticipantFields(ma.Schema):
    given_name = Name(validate=validate.Length(max=100))
    family_name = Name(validate=validate.Length(max=100))
    date_of_birth = ma.fields.Date(validate=_past_date)
    sex = ma.fields.String(validate=_sex)
    sex_self_described = Text(validate=validate.Length(max=100), allow_none=True)
    gender_identity = Text(validate=validate.Length(max=100), allow_none=True)
    nationality = Country()
    origin_country = Country()
    destination_country = Country(allow_none=True)
    phone = Phone(allow_none=True)
    email = ma.fields.Email(validate=validate.Length(max=254), allow_none=True)
    language = Language()
    timezone = TimeZone()
    channels = ma.fields.List(ma.fields.String(validate=_channel), validate=validate.Length(max=2))
    disability = ma.fields.String(validate=_disability)
    disability_details = Text(validate=validate.Length(max=500), allow_none=True)
    notes = Text(validate=validate.Length(max=10_000), allow_none=True)
    office_id = Id()
    programme_id = Id(allow_none=True)

    @ma.validates_schema
    def _cross_field(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("sex_self_described") and data.get("sex", Sex.ANOTHER) != Sex.ANOTHER:
            errors["sex_self_described"] = [_("Only for sex 'another'.")]
        channels = data.get("channels") or []
        if len(set(channels)) != len(channels):
            errors["channels"] = [_("List each channel once.")]
        if errors:
            raise ma.ValidationError(errors)


class ParticipantCreateSchema(_ParticipantFields):
    class Meta:
        fields_required = ("given_name", "family_name", "date_of_birth", "sex", "nationality",
                           "origin_country")

    confirm_not_duplicate = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Set after a 409 when the caller has checked it is another person."},
    )
    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        if field_name in self.Meta.fields_required:
            field_obj.required = True


class ParticipantUpdateSchema(_ParticipantFields):
    confirm_not_duplicate = ma.fields.Boolean(load_default=False)
    version = Version()


class ParticipantSummarySchema(ma.Schema):
    class Meta:
        include = columns(Participant, "id reference given_name family_name date_of_birth sex"
                                       " stage office_id programme_id origin_country"
                                       " destination_country language created_at version")

    stage_title = ma.fields.Function(lambda p: Stage(p.stage).title, metadata={"type": "string"})


def _sensitive(attribute: str):
    """A field only roles holding participants:read_sensitive see; for the others it is left
    out of the response altogether (not null, which would read as "not recorded")."""

    def get(p) -> str | None:
        user = g.get("user")
        if user is None or not allowed(user, "participants:read_sensitive"):
            return ma.missing
        return getattr(p, attribute)

    return ma.fields.Function(get, allow_none=True, metadata={
        "type": "string", "description": "Only for roles that may read sensitive fields."})


class ParticipantSchema(ParticipantSummarySchema):
    """The full record (reads are audited). Self-described sex, gender identity, disability
    details and notes are sensitive: only for roles holding participants:read_sensitive."""

    sex_self_described = _sensitive("sex_self_described")
    gender_identity = _sensitive("gender_identity")
    nationality = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    timezone = ma.fields.String()
    channels = ma.fields.List(ma.fields.String())
    disability = ma.fields.String()
    disability_details = _sensitive("disability_details")
    notes = _sensitive("notes")
    updated_at = ma.fields.DateTime()


class ParticipantQuerySchema(PageArgsSchema):
    SORTABLE = ("id", "reference", "family_name", "given_name", "date_of_birth", "created_at",
                "updated_at", "stage")
    DEFAULT_SORT = "-created_at"

    office_id = Id()
    programme_id = Id()
    stage = ma.fields.List(ma.fields.String(validate=validate.OneOf([s.value for s in Stage])))
    sex = ma.fields.List(ma.fields.String(validate=_sex))
    nationality = Country()
    origin_country = Country()
    destination_country = Country()
    language = Language()
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Search in names and reference; a whole phone "
                                                  "number in international form finds its owner."})


class DuplicateSchema(ma.Schema):
    reference = ma.fields.String()
    matched_on = ma.fields.String()
