"""Schemas of the service directory, shared by the API and the pages (the same validation on
both)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _, _l
from journey.core.schemas import (
    CodeField,
    Country,
    Id,
    Integer,
    Name,
    Phone,
    QueryArgsSchema,
    String,
    Text,
    Version,
    columns,
)
from journey.referrals.directory import CATEGORIES, FLAGS, STATUSES, normal_language
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    EligibleSex,
    ServiceStatus,
)

_DAYS = validate.Range(min=0, max=3650)
_AGE = validate.Range(min=0, max=130)
_DEADLINE = validate.Range(min=1, max=365)


class SpokenLanguage(CodeField):
    """A language a service is given in: an ISO 639-1 code ("pt", "uk") or one of journey's
    languages ("fil"), lower-cased; a tag is read as its language ("pt-PT" -> "pt")."""

    default_error_messages = {"unrecognised": _l("Not an ISO 639-1 language code (e.g. pt).")}

    def normalise(self, text: str) -> str | None:
        return normal_language(text)


def _unique(value: list) -> None:
    if len(set(value)) != len(value):
        raise ma.ValidationError(_("Each value once."))


class ScheduleSchema(ma.Schema):
    """Opening hours on one weekday (1 = Monday ... 7 = Sunday), at one location or at every
    location (location_id null)."""

    weekday = Integer(required=True, validate=validate.Range(min=1, max=7, error=_l(
        "A weekday from 1 (Monday) to 7 (Sunday).")))
    opens_at = ma.fields.Time(required=True, format="%H:%M")
    closes_at = ma.fields.Time(required=True, format="%H:%M")
    location_id = Id(allow_none=True, load_default=None)

    @ma.validates_schema(skip_on_field_errors=False)
    def _ordered(self, data, **_kwargs):
        if "opens_at" in data and "closes_at" in data and data["opens_at"] >= data["closes_at"]:
            raise ma.ValidationError(_("A service must close after it opens."), "closes_at")


class _ServiceFields(ma.Schema):
    description = Text(validate=validate.Length(max=4000), allow_none=True)
    status = String(validate=validate.OneOf([s.value for s in ServiceStatus]), metadata={
        "description": "active, inactive, defunct or temporarily closed (HSDS)."})
    url = ma.fields.URL(validate=validate.Length(max=500), allow_none=True,
                        schemes={"http", "https"})
    email = ma.fields.Email(validate=validate.Length(max=254), allow_none=True, metadata={
        "description": "Where referrals and signed links go."})
    phone = Phone(allow_none=True)
    min_age = Integer(validate=_AGE, allow_none=True)
    max_age = Integer(validate=_AGE, allow_none=True)
    eligible_sex = String(validate=validate.OneOf([s.value for s in EligibleSex]))
    eligible_statuses = ma.fields.List(String(validate=validate.OneOf(STATUSES)),
                                       validate=[validate.Length(max=len(STATUSES)), _unique],
                                       metadata={"description": "Migration statuses served; "
                                                                "empty: everyone."})
    eligibility_note = Text(validate=validate.Length(max=1000), allow_none=True)
    free_of_charge = ma.fields.Boolean()
    fees_description = Text(validate=validate.Length(max=1000), allow_none=True)
    application_process = Text(validate=validate.Length(max=2000), allow_none=True)
    documents_required = Text(validate=validate.Length(max=1000), allow_none=True)
    capacity = Integer(validate=validate.Range(min=0, max=1_000_000), allow_none=True,
                       metadata={"description": "Places in all; null: not known."})
    waiting_days = Integer(validate=_DAYS, allow_none=True, metadata={
        "description": "How long a new client waits, in days; null: not known."})
    legal_aid = ma.fields.Boolean()
    health = ma.fields.Boolean()
    housing = ma.fields.Boolean()
    employment = ma.fields.Boolean()
    training = ma.fields.Boolean()
    psychosocial = ma.fields.Boolean()
    financial = ma.fields.Boolean()
    women_only = ma.fields.Boolean()
    sogiesc_safe = ma.fields.Boolean(metadata={
        "description": "Safe for people of diverse SOGIESC."})
    response_days = Integer(validate=_DEADLINE, allow_none=True, metadata={
        "description": "Days the partner has to answer a referral; null: the settings'."})
    completion_days = Integer(validate=_DEADLINE, allow_none=True, metadata={
        "description": "Days to complete an accepted referral; null: the settings'."})
    languages = ma.fields.List(SpokenLanguage(), validate=[validate.Length(max=30), _unique],
                               metadata={"description": "Languages spoken (ISO 639-1)."})
    areas = ma.fields.List(Name(validate=validate.Length(max=200)),
                           validate=validate.Length(max=50), metadata={
                               "description": "Service areas by name: Lisbon, Setúbal district."})
    location_ids = ma.fields.List(Id(), validate=[validate.Length(max=50), _unique], metadata={
        "description": "Locations of the same provider where it is offered."})
    schedules = ma.fields.List(ma.fields.Nested(ScheduleSchema), validate=validate.Length(max=70))

    @ma.validates_schema(skip_on_field_errors=False)
    def _ages(self, data, **_kwargs):
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError(_("The maximum age must not be below the minimum age."),
                                     "max_age")


class DirectoryServiceCreateSchema(_ServiceFields):
    provider_id = Id(required=True)
    name = Name(required=True, validate=validate.Length(max=200))


class DirectoryServiceUpdateSchema(_ServiceFields):
    """A partial change; the lists given replace the service's."""

    name = Name(validate=validate.Length(max=200))
    version = Version()


class ConfirmSchema(ma.Schema):
    version = Version()


class ScheduleOutSchema(ma.Schema):
    weekday = ma.fields.Integer()
    opens_at = ma.fields.Time(format="%H:%M")
    closes_at = ma.fields.Time(format="%H:%M")
    location_id = ma.fields.Integer(allow_none=True)


class DirectoryLocationSchema(ma.Schema):
    class Meta:
        include = columns(DirectoryLocation, "id provider_id name address city region "
                                             "postal_code country latitude longitude "
                                             "confidential version")


_SERVICE_COLUMNS = ("id provider_id name description status url email phone min_age max_age "
                    "eligible_sex eligibility_note free_of_charge fees_description "
                    "application_process documents_required capacity waiting_days legal_aid "
                    "health housing employment training psychosocial financial women_only "
                    "sogiesc_safe response_days completion_days assured_at assured_by "
                    "updated_at version")


class DirectoryServiceSchema(ma.Schema):
    """A directory service with what search and reading add: the provider's name, languages,
    areas, the locations you may see, categories, flags and whether it is stale."""

    class Meta:
        include = columns(DirectoryService, _SERVICE_COLUMNS)

    eligible_statuses = ma.fields.List(ma.fields.String())
    provider_name = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    areas = ma.fields.List(ma.fields.String())
    locations = ma.fields.List(ma.fields.Nested(DirectoryLocationSchema), metadata={
        "description": "The locations you may see (never a confidential one for a partner)."})
    address_withheld = ma.fields.Boolean(metadata={
        "description": "Offered only at confidential locations: the caseworker gives the "
                       "address."})
    categories = ma.fields.List(ma.fields.String())
    flags = ma.fields.List(ma.fields.String())
    stale = ma.fields.Boolean(metadata={
        "description": "Not confirmed for DIRECTORY_STALE_DAYS (180 by default)."})
    schedules = ma.fields.List(ma.fields.Nested(ScheduleOutSchema), metadata={
        "description": "Opening hours (one service only; empty in a search)."})

    @ma.pre_dump
    def _flatten(self, row, **_kwargs):
        if not isinstance(row, dict) or "service" not in row:
            return row
        service = row["service"]
        out = {name: getattr(service, name) for name in self.Meta.include}
        out["eligible_statuses"] = service.eligible_statuses or []
        out["provider_name"] = row["provider"].name if row.get("provider") else None
        for key in ("languages", "areas", "locations", "address_withheld", "categories", "flags",
                    "stale"):
            out[key] = row[key]
        out["schedules"] = row.get("schedules", [])
        return out


class DirectoryServicePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DirectoryServiceSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    pages = ma.fields.Integer()


class DirectorySearchSchema(QueryArgsSchema):
    q = String(validate=validate.Length(max=100))
    category = String(validate=validate.OneOf(CATEGORIES))
    flag = String(validate=validate.OneOf(FLAGS))
    language = SpokenLanguage()
    place = String(validate=validate.Length(max=100))
    stale = ma.fields.Boolean(metadata={"description": "true: stale only; false: fresh only."})
    status = String(validate=validate.OneOf([s.value for s in ServiceStatus]), metadata={
        "description": "Staff only (default active); partners always see active services."})
    page = Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = Integer(load_default=25, validate=validate.Range(min=1, max=100))


class DirectoryLocationCreateSchema(ma.Schema):
    provider_id = Id(required=True)
    name = Name(required=True, validate=validate.Length(max=200))
    address = Text(validate=validate.Length(max=300), allow_none=True)
    city = Name(validate=validate.Length(max=100), allow_none=True)
    region = Name(validate=validate.Length(max=100), allow_none=True)
    postal_code = Text(validate=validate.Length(max=20), allow_none=True)
    country = Country(required=True)
    latitude = ma.fields.Float(validate=validate.Range(min=-90, max=90), allow_none=True,
                               allow_nan=False)
    longitude = ma.fields.Float(validate=validate.Range(min=-180, max=180), allow_none=True,
                                allow_nan=False)
    confidential = ma.fields.Boolean(metadata={
        "description": "A shelter or safe house: shown to staff only."})


class DirectoryLocationUpdateSchema(DirectoryLocationCreateSchema):
    name = Name(validate=validate.Length(max=200))
    country = Country()
    version = Version()

    class Meta:
        exclude = ("provider_id",)


class DirectoryLocationQuerySchema(QueryArgsSchema):
    provider_id = Id()
