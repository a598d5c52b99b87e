"""Participant schemas: what the API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import g
from marshmallow import validate
from marshmallow.decorators import POST_DUMP, PRE_DUMP

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
    page_schema,
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
    caseworker_id = Id(allow_none=True, metadata={
        "description": "The user who holds the case: an active caseworker or supervisor of the "
                       "participant's office. A caseworker may only take an unassigned case."})

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


# Fields whose _serialize hands back a value of exactly this type (or None) unchanged.
_UNCHANGED = {ma.fields.String: str, ma.fields.Integer: int}


class PlainDump:
    """A schema whose dump() skips marshmallow's per-field machinery (attribute lookup through
    hasattr and getitem, dump processors, error collection): each field's own _serialize is
    called on the attribute read with getattr, or skipped where it would return its value
    unchanged (a str for a String, an int for an Integer, None for either). A Function field
    whose function declares ``depends_on`` (an attribute) is called once per value of that
    attribute in a dump (a page of 50 translates each stage's title once). Same fields, same
    values, same JSON (tests/participants/test_plain_dump.py holds it to marshmallow's dump); a
    schema with dump processors, only/exclude or a dotted attribute takes marshmallow's path.
    The objects may be model instances or rows (anything with the attributes)."""

    def _plan(self) -> list[tuple] | None:
        plan = self.__dict__.get("_plain_plan", False)
        if plan is not False:
            return plan
        plan = []
        for name, field in self.dump_fields.items():
            attr = field.attribute or name
            if "." in attr:
                plan = None
                break
            unchanged = _UNCHANGED.get(type(field))
            if unchanged is int and field.as_string:
                unchanged = None
            depends_on = getattr(getattr(field, "serialize_func", None), "depends_on", None)
            plan.append((field.data_key if field.data_key is not None else name, attr,
                         field._serialize, field._CHECK_ATTRIBUTE, field.dump_default, unchanged,
                         depends_on, self._items_plan(field)))
        if self.only or self.exclude or self._hooks[PRE_DUMP] or self._hooks[POST_DUMP]:
            plan = None
        self.__dict__["_plain_plan"] = plan
        return plan

    @staticmethod
    def _items_plan(field: ma.fields.Field) -> list[tuple] | None:
        """For a List of Nested PlainDump schemas (a page's items), that schema's plan: the
        items are dumped in this dump, sharing its memo, rather than one nested dump each."""
        if type(field) is not ma.fields.List or type(field.inner) is not ma.fields.Nested:
            return None
        schema = field.inner.schema
        if not isinstance(schema, PlainDump) or schema.many or field.inner.many:
            return None
        return schema._plan()

    @staticmethod
    def _plain(obj: Any, plan: list[tuple], memo: dict) -> dict[str, Any]:
        out = {}
        missing = ma.missing
        get = obj.get if isinstance(obj, dict) else None
        for key, attr, serialize, check, default, unchanged, depends_on, items in plan:
            if items is not None:
                value = get(attr, missing) if get else getattr(obj, attr, missing)
                if value is missing:
                    continue
                if value is not None:
                    value = [PlainDump._plain(o, items, memo) for o in value]
            elif depends_on is not None:
                memo_key = (key, getattr(obj, depends_on))
                value = memo.get(memo_key, missing)
                if value is missing:
                    value = memo[memo_key] = serialize(None, attr, obj)
            elif not check:
                value = serialize(None, attr, obj)
            else:
                value = get(attr, missing) if get else getattr(obj, attr, missing)
                if value is missing:
                    if default is missing:
                        continue
                    value = default() if callable(default) else default
                if unchanged is None or (value is not None and type(value) is not unchanged):
                    value = serialize(value, attr, obj)
            if value is not missing:
                out[key] = value
        return out

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        plan = self._plan()
        if plan is None:
            return super().dump(obj, many=many)
        memo: dict = {}
        if self.many if many is None else many:
            return [self._plain(o, plan, memo) for o in obj]
        return self._plain(obj, plan, memo)


def plain_page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """core.schemas.page_schema, dumped by PlainDump (the same class name: the same OpenAPI)."""
    return type(name, (PlainDump, page_schema(item_schema, name)), {})


def _stage_title(p) -> str:
    return Stage(p.stage).title


_stage_title.depends_on = "stage"  # type: ignore[attr-defined]


SUMMARY_COLUMNS = ("id reference given_name family_name date_of_birth sex stage office_id"
                   " programme_id caseworker_id origin_country destination_country language"
                   " created_at version").split()
"""The columns a list shows (stage_title is the stage's): all the list reads of a participant."""


class ParticipantSummarySchema(PlainDump, ma.Schema):
    class Meta:
        include = columns(Participant, " ".join(SUMMARY_COLUMNS))

    stage_title = ma.fields.Function(_stage_title, metadata={"type": "string"})


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


class ParticipantSchema(ParticipantSummarySchema):  # PlainDump too
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
    caseworker_id = Id(metadata={"description": "Only the cases this user holds."})
    unassigned = ma.fields.Boolean(metadata={"description": "Only the cases no one holds."})
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Search in names and reference; a whole phone "
                                                  "number in international form finds its owner."})


class DuplicateSchema(ma.Schema):
    reference = ma.fields.String()
    matched_on = ma.fields.String()
