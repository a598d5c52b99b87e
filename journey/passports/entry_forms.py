"""Passport entry forms: which fields each kind's page shows, and how the posted form becomes the
body the API takes (the same schemas then load it, journey.passports.schemas).

A form is flat, the API body is not: a qualification's level and an experience's occupation are
nested objects, written here as `level_framework`/`level_level`/`level_name` and
`occupation_isco_code`/`occupation_esco_uri`. Errors come back with the API's dotted names
("level.level") and are shown beside the flat field ("level_level").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from journey.core.i18n import _l
from journey.passports.models import EntryKind
from journey.passports.schemas import CEFR_LEVELS, KIND_SCHEMAS, LANGUAGE_SKILLS


@dataclass(frozen=True)
class FormField:
    name: str
    label: Any
    type: str = "text"  # text, textarea, date, number, select, checkbox, abroad
    hint: Any = None
    choices: tuple[tuple[str, Any], ...] = ()
    maxlength: int = 255


_CEFR = tuple((level, level) for level in CEFR_LEVELS)
_FORMALITY = (("formal", _l("Formal")), ("non_formal", _l("Non-formal")),
              ("informal", _l("Informal")))
_FRAMEWORKS = (("EQF", _l("European Qualifications Framework (EQF)")),
               ("national", _l("A national framework")))
_ESCO_OCC_HINT = _l("http://data.europa.eu/esco/occupation/… — or search above and pick one.")
_ISCO_HINT = _l("One to four digits, e.g. 5120 for cooks.")
_COUNTRY_HINT = _l("Two-letter country code, e.g. NP, PT, QA.")

TITLE = FormField("title", _l("Title"), hint=_l("Left empty, the code's name is used."))
ABROAD = FormField("acquired_abroad", _l("Acquired abroad"), "abroad")
EVIDENCE = FormField("evidence", _l("Evidence"), "textarea", maxlength=1000)

FIELDS: dict[str, tuple[FormField, ...]] = {
    EntryKind.OCCUPATION: (
        TITLE,
        FormField("esco_uri", _l("ESCO occupation"), hint=_ESCO_OCC_HINT),
        FormField("isco_code", _l("ISCO-08 code"), hint=_ISCO_HINT, maxlength=4),
        FormField("years", _l("Years of experience"), "number"),
    ),
    EntryKind.SKILL: (
        TITLE,
        FormField("esco_uri", _l("ESCO skill URI"),
                  hint=_l("http://data.europa.eu/esco/skill/… (optional)")),
    ),
    EntryKind.QUALIFICATION: (
        FormField("title", _l("Title")),
        FormField("awarding_body", _l("Awarding body"), maxlength=200),
        FormField("country", _l("Country"), hint=_COUNTRY_HINT, maxlength=3),
        FormField("level_framework", _l("Level framework"), "select", choices=_FRAMEWORKS),
        FormField("level_level", _l("Level"), hint=_l("EQF: a number from 1 to 8.")),
        FormField("level_name", _l("Name of the national framework"), maxlength=100),
        FormField("awarded_on", _l("Awarded on"), "date"),
        FormField("formality", _l("Formality"), "select", choices=_FORMALITY),
    ),
    EntryKind.PRIOR_LEARNING: (
        FormField("title", _l("Title")),
        FormField("assessed_by", _l("Assessed by"), maxlength=200),
        FormField("method", _l("Method"), maxlength=200),
        FormField("outcome", _l("Outcome"), "textarea", maxlength=500),
        FormField("date", _l("Date"), "date"),
    ),
    EntryKind.EXPERIENCE: (
        TITLE,
        FormField("employer", _l("Employer"), maxlength=200),
        FormField("country", _l("Country"), hint=_COUNTRY_HINT, maxlength=3),
        FormField("occupation_esco_uri", _l("ESCO occupation"), hint=_ESCO_OCC_HINT),
        FormField("occupation_isco_code", _l("ISCO-08 code"), hint=_ISCO_HINT, maxlength=4),
        FormField("start_date", _l("Start date"), "date"),
        FormField("end_date", _l("End date"), "date", hint=_l("Empty: still working there.")),
    ),
    EntryKind.LANGUAGE: (
        FormField("language", _l("Language code"),
                  hint=_l("ISO 639 code, e.g. ne (Nepali), hi (Hindi), pt (Portuguese)."),
                  maxlength=3),
        FormField("mother_tongue", _l("Mother tongue"), "checkbox"),
        *(FormField(skill, title, "select", choices=_CEFR,
                    hint=_l("CEFR level; not needed for a mother tongue."))
          for skill, title in zip(LANGUAGE_SKILLS, (_l("Listening"), _l("Reading"),
                                                    _l("Speaking"), _l("Writing")), strict=True)),
        TITLE,
    ),
    EntryKind.SOFT_SKILL: (
        FormField("title", _l("Title")),
        FormField("esco_uri", _l("ESCO skill URI"),
                  hint=_l("http://data.europa.eu/esco/skill/… (optional)")),
    ),
    EntryKind.TRAINING: (
        FormField("title", _l("Title")),
        FormField("provider", _l("Provider"), maxlength=200),
        FormField("completed_on", _l("Completed on"), "date"),
        FormField("hours", _l("Hours"), "number"),
    ),
}
FIELDS = {kind: (*fields, ABROAD, EVIDENCE) for kind, fields in FIELDS.items()}

# Kinds whose form offers the ESCO occupation search, and the field a result fills.
SEARCH_FIELD = {EntryKind.OCCUPATION: "esco_uri", EntryKind.EXPERIENCE: "occupation_esco_uri"}


def names(kind: str) -> tuple[str, ...]:
    return tuple(f.name for f in FIELDS[kind])


def _nullable(kind: str) -> set[str]:
    fields = KIND_SCHEMAS[kind]().fields
    return {name for name, f in fields.items() if f.allow_none}


def to_body(kind: str, values: dict[str, str], *, edit: bool = False) -> dict[str, Any]:
    """The API body for a posted form. Creating, an empty field is left out; editing, an empty
    optional field is sent as null (to clear it) and an empty required one is left as it was."""
    nullable = _nullable(kind)
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name.startswith(("level_", "occupation_")) or name == "mother_tongue":
            continue
        if name == "acquired_abroad":
            if value in ("yes", "no"):
                body[name] = value == "yes"
            continue
        if value == "":
            if edit and name in nullable:
                body[name] = None
            continue
        body[name] = value
    if kind == EntryKind.LANGUAGE:
        body["mother_tongue"] = values.get("mother_tongue") in ("on", "yes", "true")
    if kind == EntryKind.QUALIFICATION:
        framework = values.get("level_framework", "")
        if framework:
            level: Any = values.get("level_level", "")
            if framework == "EQF" and level.isascii() and level.isdigit() and len(level) < 3:
                level = int(level)
            body["level"] = {"framework": framework, "level": level}
            if values.get("level_name"):
                body["level"]["name"] = values["level_name"]
        elif edit or values.get("level_level") or values.get("level_name"):
            # A level without its framework: the schema says what is missing.
            body["level"] = ({"level": values["level_level"]} if values.get("level_level")
                             else None)
    if kind == EntryKind.EXPERIENCE:
        ref = {k: values.get(f"occupation_{k}", "") for k in ("isco_code", "esco_uri")}
        ref = {k: v for k, v in ref.items() if v}
        if ref:
            body["occupation"] = ref
        elif edit:
            body["occupation"] = None
    return body


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_values(entry: dict[str, Any]) -> dict[str, str]:
    """An entry (services.entry_to_dict) as the values of its edit form."""
    fields = dict(entry["fields"])
    level = fields.pop("level", None) or {}
    occupation = fields.pop("occupation", None) or {}
    values = {name: _plain(fields.get(name)) for name in names(entry["kind"])}
    values.update({f"level_{k}": _plain(level.get(k)) for k in ("framework", "level", "name")
                   if f"level_{k}" in values})
    values.update({f"occupation_{k}": _plain(occupation.get(k)) for k in ("isco_code", "esco_uri")
                   if f"occupation_{k}" in values})
    if "mother_tongue" in values:
        values["mother_tongue"] = "yes" if fields.get("mother_tongue") else ""
    return {k: v for k, v in values.items() if k in names(entry["kind"])}


def flat_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors under the API's dotted names, also under the form's flat ones."""
    out = dict(errors)
    for key, message in errors.items():
        if "." in key:
            out.setdefault(key.replace(".", "_", 1), message)
    for group, first in (("level", "level_framework"), ("occupation", "occupation_isco_code")):
        if group in errors and not any(k.startswith(f"{group}_") for k in out):
            out[first] = errors[group]
    return out
