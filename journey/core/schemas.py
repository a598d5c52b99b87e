"""Reusable marshmallow fields and the pagination/sorting arguments every list endpoint takes."""

from __future__ import annotations

import functools
import re
import types
import typing
import unicodedata
import zoneinfo
from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma
import phonenumbers
import pycountry
from marshmallow import validate

from journey.core.i18n import _, _l, normalise_language
from journey.core.ids import ID_RANGE, MAX_ID

# A column's Python type and the field that dumps it (bool before int, datetime before date: each
# is a subclass of the next).
_DUMP_FIELDS: tuple[tuple[type, type[ma.fields.Field]], ...] = (
    (bool, ma.fields.Boolean), (int, ma.fields.Integer), (float, ma.fields.Float),
    (str, ma.fields.String), (datetime, ma.fields.DateTime), (date, ma.fields.Date),
    (dict, ma.fields.Dict),
)


def columns(model: Any, names: str) -> dict[str, ma.fields.Field]:
    """Fields that dump these columns of a table model as they are typed and nullable there: for a
    response schema's `class Meta: include = columns(Model, "id name ...")`."""
    fields = {}
    for name in names.split():
        annotation = model.model_fields[name].annotation
        if isinstance(annotation, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        python_type = typing.get_origin(annotation) or annotation
        field = next(f for t, f in _DUMP_FIELDS if issubclass(python_type, t))
        column = model.__table__.c[name]
        fields[name] = field(allow_none=bool(column.nullable and not column.primary_key))
    return fields


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class QueryArgsSchema(ma.Schema):
    """The base of every query-string schema: there every value arrives as text, so Integer
    fields read ASCII digits (and only those) as numbers."""

    QUERY_STRING = True


_ASCII_INTEGER = re.compile(r"-?[0-9]{1,20}")


class Integer(ma.fields.Integer):
    """An integer, strictly. In a JSON body only a number without a fraction: 1.5, "1" and true
    are refused, never truncated or coerced. In a query string (QueryArgsSchema) only ASCII
    digits, so "²", "١" or "1_0" are refused rather than read as numbers by int()."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("strict", None)
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if (isinstance(value, str) and getattr(self.root, "QUERY_STRING", False)
                and _ASCII_INTEGER.fullmatch(value)):
            value = int(value)
        return super()._validated(value)


def _with(validator: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    extra = kwargs.pop("validate", None)
    if extra is None:
        extra = []
    elif callable(extra):
        extra = [extra]
    return {**kwargs, "validate": [validator, *extra]}


class Id(Integer):
    """A database id, in a body or a query string: 1..MAX_ID, since no row can have another
    (outside it the database would overflow; here it is a field error, a 422)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with(ID_RANGE, kwargs))


class Version(Integer):
    """The version a client read (an INTEGER column like the ids, so within the same range)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "The version you read; or send it as If-Match."})
        super().__init__(**_with(validate.Range(min=1, max=MAX_ID), kwargs))


class String(ma.fields.String):
    """A string field whose own error messages are lazily translated (_l). marshmallow formats
    only str messages and would hand a lazy one on bare; here it is in a list, like every other
    field error."""

    def make_error(self, key: str, **kwargs: Any) -> ma.ValidationError:
        error = super().make_error(key, **kwargs)
        if isinstance(error.messages, list | dict):
            return error
        return ma.ValidationError([error.messages])



class CodeField(String):
    """A string read into its normal form by `normalise`, which answers None for a value it does
    not recognise; the field's "unrecognised" message then says what was expected."""

    def normalise(self, text: str) -> str | None:
        raise NotImplementedError

    def _deserialize(self, value, attr, data, **kwargs):
        normal = self.normalise(super()._deserialize(value, attr, data, **kwargs))
        if normal is None:
            raise self.make_error("unrecognised")
        return normal


class Country(CodeField):
    """An ISO 3166-1 alpha-2 country code, upper-cased."""

    default_error_messages = {"unrecognised": _l("Not an ISO 3166-1 alpha-2 country code.")}

    def normalise(self, text: str) -> str | None:
        code = text.strip().upper()
        return code if len(code) == 2 and pycountry.countries.get(alpha_2=code) else None


# A BCP 47 tag's shape: a language subtag, then subtags joined by hyphens. A POSIX locale
# ("en_US.UTF-8") is not a tag, and is refused rather than silently read as its language.
_BCP47 = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class Language(CodeField):
    """A BCP 47 tag for one of the supported languages, normalised ("pt-PT" → "pt")."""

    default_error_messages = {"unrecognised": _l("Not a supported language.")}

    def normalise(self, text: str) -> str | None:
        return normalise_language(text) if _BCP47.fullmatch(text) else None


# Bidirectional embedding and override controls (U+202A..U+202E) and isolates (U+2066..U+2069)
# reorder what follows them on screen: in a name they let one string display as another.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LEGACY_BIDI = re.compile("[\u202a-\u202e]")


def _visible(value: str) -> bool:
    """Whether the text has a character that shows: not only spaces, controls, zero-width or
    direction marks (categories Z*, Cc, Cf)."""
    return any(unicodedata.category(c)[0] not in "ZC" for c in value)


class Text(String):
    """Free text typed by a person: no control characters but tab and newlines, and no bidi
    embedding or override controls (they can make text display as something else)."""

    default_error_messages = {
        "control_character": _l("Text must not contain control characters."),
        "bidi_control": _l("Text must not contain direction override characters (U+202A to U+202E)."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
            raise self.make_error("control_character")
        if _LEGACY_BIDI.search(text):
            raise self.make_error("bidi_control")
        return text

    def deserialize(self, value, attr=None, data=None, **kwargs):
        # An optional text left blank is no text: NULL, like a null (and never a blank string
        # that a CHECK on the column would take for a value).
        if self.allow_none and isinstance(value, str) and not value.strip():
            value = None
        return super().deserialize(value, attr, data, **kwargs)


class Name(Text):
    """A person's name (or any name a person types): one line, with something visible in it,
    and no bidi controls at all (isolates included)."""

    default_error_messages = {
        "blank": _l("Must not be blank (spaces, zero-width or direction marks only)."),
        "bidi_control": _l("A name must not contain direction control characters."),
        "control_character": _l("A name must not contain control characters or line breaks."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if any(c in "\t\n\r" for c in name):
            raise self.make_error("control_character")
        if _BIDI_CONTROLS.search(name):
            raise self.make_error("bidi_control")
        if not _visible(name):
            raise self.make_error("blank")
        return name


class TimeZone(CodeField):
    """An IANA time zone name."""

    default_error_messages = {"unrecognised": _l("Not an IANA time zone.")}

    def normalise(self, text: str) -> str | None:
        tz = text.strip()
        return tz if tz in _timezones() else None


def to_e164(raw: str, region: str | None = None) -> str | None:
    """Parse a phone number and return it in E.164, or None when it is not a valid number."""
    if not raw or len(raw) > 40:
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Phone(CodeField):
    """A phone number with its country code, stored in E.164 (validated with phonenumbers)."""

    default_error_messages = {
        "unrecognised": _l("Not a valid phone number; include the country code, e.g. +9779812345678.")
    }

    def normalise(self, text: str) -> str | None:
        return to_e164(text)


class AwareDateTime(ma.fields.AwareDateTime):
    """A datetime that must carry an offset; returned in UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


def not_blank(value: str) -> None:
    if not value or not value.strip():
        raise ma.ValidationError(_("Must not be blank."))


class PageArgsSchema(QueryArgsSchema):
    """page/per_page/sort; sort is a comma list of fields, '-' for descending."""

    SORTABLE: tuple[str, ...] = ()
    DEFAULT_SORT = "-id"

    page = Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = Integer(load_default=25, validate=validate.Range(min=1, max=100))
    sort = ma.fields.String(load_default=None, validate=validate.Length(max=200))

    @ma.validates("sort")
    def _check_sort(self, value: str | None, **_kwargs: Any) -> None:
        if value is None:
            return
        for part in value.split(","):
            name = part.strip().lstrip("-")
            if name not in self.SORTABLE:
                raise ma.ValidationError(_("Cannot sort by '%(name)s'; choose from %(choices)s.",
                                           name=name, choices=", ".join(self.SORTABLE)))

    @ma.post_load
    def _parse_sort(self, data: dict, **_kwargs: Any) -> dict:
        raw = data.get("sort") or self.DEFAULT_SORT
        data["sort"] = [(p.strip().lstrip("-"), p.strip().startswith("-")) for p in raw.split(",")]
        return data


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope of a list response: items plus the total count, for stable paging."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "total": ma.fields.Integer(),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "pages": ma.fields.Integer(),
        },
        name=name,
    )


def like_pattern(text: str) -> str:
    """A LIKE pattern matching text anywhere, with the wildcards in text escaped."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
