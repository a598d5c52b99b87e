"""Skill form and skill card schemas: the answers a returnee confirms, and what the API shows.

The answers have one shape everywhere: the pre-fill, the stored answers, PATCH bodies and the
returnee's own page all use it (the credentials package reads it too). Whether an ISCO code
exists, and whether an entry id is the participant's own, need the database: the services
check those after the schema has passed.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from journey.core.i18n import _
from journey.core.schemas import Country, Id, Version, columns, not_blank

# The passport's own field types: a form's answers are checked exactly as passport entries are.
from journey.passports.schemas import CEFR_LEVELS, IscoCode, Iso639
from journey.skillcards.models import SkillCard, SkillForm

MAX_YEARS = 60
MAX_ITEMS = 60  # skills, certifications or languages on one form


def _text(length: int) -> dict[str, Any]:
    return {"validate": validate.Length(max=length), "allow_none": True}


class OccupationAnswerSchema(ma.Schema):
    isco_code = IscoCode(allow_none=True)
    esco_uri = ma.fields.String(**_text(255))
    title = ma.fields.String(**_text(255))


# List rows replace whole rows, so a row's missing keys are stored as None: every row has the
# same keys, as in the pre-fill.
class SkillAnswerSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=[validate.Length(max=255), not_blank])
    esco_uri = ma.fields.String(load_default=None, **_text(255))
    entry_id = Id(load_default=None, allow_none=True)


class CertificationAnswerSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=[validate.Length(max=255), not_blank])
    awarding_body = ma.fields.String(load_default=None, **_text(200))
    entry_id = Id(load_default=None, allow_none=True)


def _cefr() -> ma.fields.String:
    return ma.fields.String(validate=validate.OneOf(CEFR_LEVELS), allow_none=True,
                            load_default=None)


class LanguageAnswerSchema(ma.Schema):
    code = Iso639(required=True)
    listening = _cefr()
    reading = _cefr()
    speaking = _cefr()
    writing = _cefr()


def _years() -> ma.fields.Float:
    return ma.fields.Float(allow_none=True, validate=validate.Range(min=0, max=MAX_YEARS))


class AnswersSchema(ma.Schema):
    """The return skill form's answers. Every field is optional on input: a PATCH sends only
    what changes; a list replaces the list it names."""

    occupation = ma.fields.Nested(OccupationAnswerSchema)
    sector = ma.fields.String(**_text(100))
    years_experience_home = _years()
    years_experience_abroad = _years()
    last_overseas_employer = ma.fields.String(**_text(200))
    last_overseas_country = Country(allow_none=True)
    skills = ma.fields.List(ma.fields.Nested(SkillAnswerSchema),
                            validate=validate.Length(max=MAX_ITEMS))
    certifications = ma.fields.List(ma.fields.Nested(CertificationAnswerSchema),
                                    validate=validate.Length(max=MAX_ITEMS))
    languages = ma.fields.List(ma.fields.Nested(LanguageAnswerSchema),
                               validate=validate.Length(max=MAX_ITEMS))
    preferred_location = ma.fields.String(**_text(200))
    preferred_sector = ma.fields.String(**_text(100))
    availability_date = ma.fields.Date(allow_none=True)

    @ma.post_load
    def _tidy(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        for name in ("years_experience_home", "years_experience_abroad"):
            if data.get(name) is not None:
                data[name] = round(data[name], 1)
        # Blank text is no answer.
        for name, value in list(data.items()):
            if isinstance(value, str) and not value.strip():
                data[name] = None
        if isinstance(data.get("occupation"), dict):
            occ = data["occupation"]
            for key, value in list(occ.items()):
                if isinstance(value, str) and not value.strip():
                    occ[key] = None
        return data

    @ma.validates("languages")
    def _one_row_per_language(self, value: list[dict[str, Any]], **_kwargs: Any) -> None:
        codes = [row.get("code") for row in value if row.get("code")]
        if len(codes) != len(set(codes)):
            raise ma.ValidationError(_("Each language once."))


def answers_to_json(answers: dict[str, Any]) -> dict[str, Any]:
    """Loaded answers (dates as dates) as stored in the JSON columns (dates as ISO strings)."""
    return AnswersSchema().dump(answers)


class SkillFormSchema(ma.Schema):
    class Meta:
        # link_expires_at: whether the returnee has a link, and until when; the link itself is
        # shown once.
        include = columns(SkillForm, "id participant_id cycle status prefill answers version"
                                     " created_at created_by updated_at completed_at completed_by"
                                     " completed_via link_expires_at")


class SkillFormUpdateSchema(ma.Schema):
    answers = ma.fields.Nested(AnswersSchema, required=True)
    version = Version()


class SkillFormCompleteSchema(ma.Schema):
    answers = ma.fields.Nested(AnswersSchema)
    version = Version()


class SkillFormLinkSchema(ma.Schema):
    url = ma.fields.String(metadata={"description": "Shown once: only its hash is kept."})
    expires_at = ma.fields.DateTime()


class SkillFormLinkSentSchema(ma.Schema):
    """A link sent by SMS: the address itself is only in the message."""

    expires_at = ma.fields.DateTime()
    language = ma.fields.String(metadata={"description": "The language the SMS is written in."})
    queued = ma.fields.Integer(metadata={"description": "Outbox messages written (1)."})


class SkillCardSchema(ma.Schema):
    class Meta:
        include = columns(SkillCard, "id number participant_id form_id credential_id public_id"
                                     " issued_at issued_by revoked_at revoked_by revocation_reason")

    verification_url = ma.fields.Method("_url", metadata={"type": "string", "format": "uri"})

    def _url(self, card) -> str:
        return f"{current_app.config['PUBLIC_BASE_URL']}/cards/{card.public_id}"


class SkillCardRevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=[validate.Length(max=500), not_blank])
