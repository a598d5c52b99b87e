"""Reusable marshmallow fields and the pagination/sorting arguments every list endpoint takes."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC
from typing import Any

import marshmallow as ma
import phonenumbers
import pycountry
from marshmallow import validate

from journey.core.i18n import normalise_language


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class Country(ma.fields.String):
    """An ISO 3166-1 alpha-2 country code, upper-cased."""

    default_error_messages = {"invalid_country": "Not an ISO 3166-1 alpha-2 country code."}

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise self.make_error("invalid_country")
        return code


class Language(ma.fields.String):
    """A BCP 47 tag for one of the supported languages, normalised ("pt-PT" → "pt")."""

    default_error_messages = {"invalid_language": "Not a supported language."}

    def _deserialize(self, value, attr, data, **kwargs):
        lang = normalise_language(super()._deserialize(value, attr, data, **kwargs))
        if lang is None:
            raise self.make_error("invalid_language")
        return lang


class TimeZone(ma.fields.String):
    """An IANA time zone name."""

    default_error_messages = {"invalid_timezone": "Not an IANA time zone."}

    def _deserialize(self, value, attr, data, **kwargs):
        tz = super()._deserialize(value, attr, data, **kwargs).strip()
        if tz not in _timezones():
            raise self.make_error("invalid_timezone")
        return tz


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


class Phone(ma.fields.String):
    """A phone number with its country code, stored in E.164 (validated with phonenumbers)."""

    default_error_messages = {
        "invalid_phone": "Not a valid phone number; include the country code, e.g. +9779812345678."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        e164 = to_e164(raw)
        if e164 is None:
            raise self.make_error("invalid_phone")
        return e164


class AwareDateTime(ma.fields.AwareDateTime):
    """A datetime that must carry an offset; returned in UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


def not_blank(value: str) -> None:
    if not value or not value.strip():
        raise ma.ValidationError("Must not be blank.")


class PageArgsSchema(ma.Schema):
    """page/per_page/sort; sort is a comma list of fields, '-' for descending."""

    SORTABLE: tuple[str, ...] = ()
    DEFAULT_SORT = "-id"

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    sort = ma.fields.String(load_default=None, validate=validate.Length(max=200))

    @ma.validates("sort")
    def _check_sort(self, value: str | None, **_kwargs: Any) -> None:
        if value is None:
            return
        for part in value.split(","):
            name = part.strip().lstrip("-")
            if name not in self.SORTABLE:
                raise ma.ValidationError(
                    f"Cannot sort by {name!r}; choose from {', '.join(self.SORTABLE)}."
                )

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
