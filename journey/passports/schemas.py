"""Passport schemas: one strict schema per entry kind, the entry as the API shows it, sharing.

Each kind's schema is what a client sends (POST body minus "kind", PATCH body minus "version")
and what it reads back: the same field names both ways. Codes that need the database (an ESCO
occupation, an ISCO group) are checked by the services after the schema has passed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import marshmallow as ma
import pycountry
from flask import current_app
from marshmallow import validate

from journey.core.i18n import _, _l
from journey.core.schemas import (
    CodeField,
    Country,
    Id,
    Integer,
    Name,
    QueryArgsSchema,
    Version,
    columns,
    not_blank,
)
from journey.passports.models import (
    DISCLOSABLE,
    EntryKind,
    PassportEntry,
    PassportEntryRevision,
    ShareLink,
    Verification,
)

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ESCO_OCCUPATION_RE = re.compile(rf"^http://data\.europa\.eu/esco/occupation/{_UUID}$")
ESCO_SKILL_RE = re.compile(rf"^http://data\.europa\.eu/esco/skill/{_UUID}$")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
LANGUAGE_SKILLS = ("listening", "reading", "speaking", "writing")
FORMALITIES = ("formal", "non_formal", "informal")
KINDS = [k.value for k in EntryKind]

_title = {"validate": [validate.Length(max=255), not_blank]}
_text200 = {"validate": validate.Length(max=200), "allow_none": True}
_text500 = {"validate": validate.Length(max=500), "allow_none": True}


class _Matching(CodeField):
    """A code or URI that, stripped of surrounding space, matches the whole `pattern`."""

    pattern: re.Pattern[str]

    def normalise(self, text: str) -> str | None:
        text = text.strip()
        return text if self.pattern.fullmatch(text) else None


class EscoOccupationUri(_Matching):
    pattern = ESCO_OCCUPATION_RE
    default_error_messages = {
        "unrecognised": _l("Not an ESCO occupation URI (http://data.europa.eu/esco/occupation/<uuid>).")}


class EscoSkillUri(_Matching):
    pattern = ESCO_SKILL_RE
    default_error_messages = {
        "unrecognised": _l("Not an ESCO skill URI (http://data.europa.eu/esco/skill/<uuid>).")}


class IscoCode(_Matching):
    """An ISCO-08 code of any level ("5", "51", "512", "5120"); whether it exists is checked later."""

    pattern = re.compile(r"[0-9]{1,4}")
    default_error_messages = {"unrecognised": _l("Not an ISCO-08 code (one to four digits).")}


class Iso639(CodeField):
    """An ISO 639 language code: 639-1 (two letters) or 639-3 (three); stored as 639-1 when the
    language has one, so that "nep" and "ne" are the same language."""

    default_error_messages = {"unrecognised": _l("Not an ISO 639-1 or ISO 639-3 language code.")}

    def normalise(self, text: str) -> str | None:
        code = text.strip().lower()
        lang = None
        if len(code) == 2 and code.isalpha():
            lang = pycountry.languages.get(alpha_2=code)
        elif len(code) == 3 and code.isalpha():
            lang = pycountry.languages.get(alpha_3=code)
        if lang is None:
            return None
        return getattr(lang, "alpha_2", None) or lang.alpha_3


def language_label(code: str) -> str:
    """The English name of an ISO 639 language ("ne" → "Nepali (macrolanguage)" → "Nepali")."""
    lang = (pycountry.languages.get(alpha_2=code) if len(code) == 2
            else pycountry.languages.get(alpha_3=code))
    if lang is None:
        return code
    return re.sub(r"\s*\((?:macrolanguage|individual language)\)$", "", lang.name)


def _one_of(*names: str, message: str):
    """A schema validator: at least one of these fields is given (the error names the first)."""

    @ma.validates_schema
    def check(self, data, **_kwargs):
        if not any(data.get(name) for name in names):
            raise ma.ValidationError(message, names[0])

    return check


class _KindSchema(ma.Schema):
    """What every kind has: a title, whether it was gained abroad, the evidence behind it."""

    title = ma.fields.String(**_title)
    acquired_abroad = ma.fields.Boolean()
    evidence = ma.fields.String(validate=validate.Length(max=1000), allow_none=True)


class OccupationSchema(_KindSchema):
    esco_uri = EscoOccupationUri(allow_none=True)
    isco_code = IscoCode(allow_none=True)
    years = ma.fields.Float(validate=validate.Range(min=0, max=70), allow_none=True)

    _something_named = _one_of("title", "esco_uri", "isco_code",
                               message=_l("Give a title, an ESCO occupation or an ISCO code."))


class SkillSchema(_KindSchema):
    esco_uri = EscoSkillUri(allow_none=True)

    _something_named = _one_of("title", "esco_uri", message=_l("Give a title or an ESCO skill URI."))


class SoftSkillSchema(SkillSchema):
    pass


class QualificationLevelSchema(ma.Schema):
    """EQF level 1-8, or a national framework's name and its level as written there."""

    framework = ma.fields.String(required=True, validate=validate.OneOf(["EQF", "national"]))
    level = ma.fields.Raw(required=True, metadata={"oneOf": [
        {"type": "integer", "minimum": 1, "maximum": 8}, {"type": "string", "maxLength": 100}]})
    name = ma.fields.String(validate=[validate.Length(max=100), not_blank])

    @ma.validates_schema
    def _level_fits_framework(self, data, **_kwargs):
        level = data.get("level")
        if data.get("framework") == "EQF":
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 8:
                raise ma.ValidationError(_("An EQF level is a whole number from 1 to 8."), "level")
            if "name" in data:
                raise ma.ValidationError(_("Only a national framework has a name."), "name")
        elif data.get("framework") == "national":
            if not isinstance(level, str) or not level.strip() or len(level) > 100:
                raise ma.ValidationError(_("Write the level as the framework names it."), "level")
            if not data.get("name"):
                raise ma.ValidationError(_("Name the national framework."), "name")


class QualificationSchema(_KindSchema):
    title = ma.fields.String(required=True, **_title)
    awarding_body = ma.fields.String(**_text200)
    country = Country(allow_none=True)
    level = ma.fields.Nested(QualificationLevelSchema, allow_none=True)
    awarded_on = ma.fields.Date(allow_none=True)
    formality = ma.fields.String(required=True, validate=validate.OneOf(FORMALITIES))


class PriorLearningSchema(_KindSchema):
    title = ma.fields.String(required=True, **_title)
    assessed_by = ma.fields.String(**_text200)
    method = ma.fields.String(**_text200)
    outcome = ma.fields.String(**_text500)
    date = ma.fields.Date(allow_none=True)


class OccupationRefSchema(ma.Schema):
    isco_code = IscoCode(allow_none=True)
    esco_uri = EscoOccupationUri(allow_none=True)

    _one_code = _one_of("isco_code", "esco_uri",
                        message=_l("Give an ISCO code or an ESCO occupation URI."))


class ExperienceSchema(_KindSchema):
    employer = ma.fields.String(**_text200)
    country = Country(required=True)
    occupation = ma.fields.Nested(OccupationRefSchema, allow_none=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(allow_none=True, metadata={"description": "Empty: still working."})

    @ma.validates_schema
    def _dates_and_title(self, data, **_kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise ma.ValidationError(_("The end date cannot be before the start date."), "end_date")
        if not data.get("title") and not data.get("occupation"):
            raise ma.ValidationError(_("Give a title or an occupation."), "title")


class LanguageSchema(_KindSchema):
    language = Iso639(required=True)
    mother_tongue = ma.fields.Boolean(load_default=False)
    listening = ma.fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True)
    reading = ma.fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True)
    speaking = ma.fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True)
    writing = ma.fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True)

    @ma.validates_schema
    def _levels_unless_mother_tongue(self, data, **_kwargs):
        if data.get("mother_tongue"):
            return
        missing = {s: ["A CEFR level (A1 to C2) is required unless this is a mother tongue."]
                   for s in LANGUAGE_SKILLS if not data.get(s)}
        if missing:
            raise ma.ValidationError(missing)


class TrainingSchema(_KindSchema):
    title = ma.fields.String(required=True, **_title)
    provider = ma.fields.String(**_text200)
    completed_on = ma.fields.Date(allow_none=True)
    hours = ma.fields.Float(validate=validate.Range(min=0, max=10_000), allow_none=True)


KIND_SCHEMAS: dict[str, type[ma.Schema]] = {
    EntryKind.OCCUPATION: OccupationSchema,
    EntryKind.SKILL: SkillSchema,
    EntryKind.QUALIFICATION: QualificationSchema,
    EntryKind.PRIOR_LEARNING: PriorLearningSchema,
    EntryKind.EXPERIENCE: ExperienceSchema,
    EntryKind.LANGUAGE: LanguageSchema,
    EntryKind.SOFT_SKILL: SoftSkillSchema,
    EntryKind.TRAINING: TrainingSchema,
}


# --- requests ------------------------------------------------------------------------------------

class EntryCreateSchema(ma.Schema):
    """"kind" plus that kind's fields (see the kind schemas: OccupationSchema, SkillSchema, ...)."""

    class Meta:
        unknown = ma.INCLUDE  # the kind's own schema checks the rest, strictly

    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))


class EntryUpdateSchema(ma.Schema):
    """Some of the entry's kind fields, the version you read, and optionally why."""

    class Meta:
        unknown = ma.INCLUDE  # the kind's own schema checks the rest, strictly

    version = Version()
    reason = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class EntryVerifySchema(ma.Schema):
    level = ma.fields.String(required=True, validate=validate.OneOf([v.value for v in Verification]))
    evidence = ma.fields.String(validate=validate.Length(max=1000), allow_none=True,
                                metadata={"description": "Required above self_declared."})
    version = Version()

    @ma.validates_schema
    def _evidence_when_verified(self, data, **_kwargs):
        if data.get("level") != Verification.SELF_DECLARED and not (data.get("evidence") or "").strip():
            raise ma.ValidationError(_("Say what evidence you saw, tested or received."), "evidence")


class EntryRetireSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=[validate.Length(max=500), not_blank])
    version = Version()


class PassportQuerySchema(QueryArgsSchema):
    kind = ma.fields.List(ma.fields.String(validate=validate.OneOf(KINDS)))


class PassportUpdateSchema(ma.Schema):
    disclosure = ma.fields.List(ma.fields.String(validate=validate.OneOf(DISCLOSABLE)),
                                required=True, validate=validate.Length(max=len(DISCLOSABLE)))
    version = Version()


class ShareLinkCreateSchema(ma.Schema):
    audience = Name(required=True, validate=validate.Length(max=200),
                                metadata={"description": "Who the link is for."})
    employer_id = Id(allow_none=True)
    kinds = ma.fields.List(ma.fields.String(validate=validate.OneOf(KINDS)),
                           load_default=list, metadata={"description": "Empty: every kind."})
    expires_in_days = Integer(load_default=14)

    @ma.validates("expires_in_days")
    def _within_limit(self, value: int, **_kwargs: Any) -> None:
        limit = current_app.config["SHARE_LINK_MAX_DAYS"]
        if not 1 <= value <= limit:
            raise ma.ValidationError(_("From 1 to %(limit)s days.", limit=limit))


class ShareLinkRevokeSchema(ma.Schema):
    pass


# --- responses -----------------------------------------------------------------------------------

def _kind_fields() -> dict[str, ma.fields.Field]:
    """Every kind's own fields, optional: an entry carries those of its kind."""
    fields: dict[str, ma.fields.Field] = {}
    for schema in KIND_SCHEMAS.values():
        for name, field in schema._declared_fields.items():
            if name not in fields:
                fields[name] = copy.deepcopy(field)
                fields[name].required = False
    return fields


class _EntryKindFieldsSchema(ma.Schema.from_dict(_kind_fields())):  # type: ignore[misc]
    pass


class EntrySchema(_EntryKindFieldsSchema):
    """An entry: its kind's own fields (as sent) beside the verification and version; the
    document lists every kind's fields (an entry has those of its kind)."""

    class Meta:
        include = columns(PassportEntry, "id participant_id title acquired_abroad evidence"
                                         " verification verified_by verified_at version created_by"
                                         " created_at updated_at retired_at retired_by")

    kind = ma.fields.String(metadata={"enum": KINDS})

    verification_title = ma.fields.String()

    @ma.post_dump(pass_original=True)
    def _kind_fields(self, data, original, **_kwargs):
        fields = original.get("fields") if isinstance(original, dict) else None
        if fields is not None:
            data.update(KIND_SCHEMAS[original["kind"]]().dump(fields))
        return data


class RevisionSchema(ma.Schema):
    class Meta:
        include = columns(PassportEntryRevision, "version change snapshot reason changed_by"
                                                 " changed_at")


class PassportSchema(ma.Schema):
    participant_id = ma.fields.Integer()
    disclosure = ma.fields.List(ma.fields.String())
    version = ma.fields.Integer()
    updated_at = ma.fields.DateTime(allow_none=True)
    entries = ma.fields.List(ma.fields.Nested(EntrySchema))


class DisclosedEntrySchema(ma.Schema):
    """An entry as someone outside the case sees it: what it is and how far it was checked."""

    kind = ma.fields.String()
    title = ma.fields.String()
    acquired_abroad = ma.fields.Boolean()
    verification = ma.fields.String()
    verification_title = ma.fields.Function(lambda e: Verification(e.verification).title,
                                            metadata={"type": "string"})


class DisclosedPassportSchema(ma.Schema):
    """What the participant agreed to show publicly: the name (null when not) and entries."""

    participant_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    entries = ma.fields.List(ma.fields.Nested(DisclosedEntrySchema))


class ShareLinkSchema(ma.Schema):
    class Meta:
        include = columns(ShareLink, "id participant_id audience employer_id created_by created_at"
                                     " expires_at revoked_at revoked_by revoke_reason view_count"
                                     " last_viewed_at")

    kinds = ma.fields.List(ma.fields.String())
    status = ma.fields.String(metadata={"description": "active, expired or revoked"})


class ShareLinkCreatedSchema(ShareLinkSchema):
    url = ma.fields.String(metadata={"description": "Shown once: only a hash is kept."})
    token = ma.fields.String(metadata={"description": "Shown once: only a hash is kept."})
