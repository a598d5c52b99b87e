"""Programme schemas."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _, _l
from journey.core.ids import ID_RANGE
from journey.core.schemas import Country, Language, Version, not_blank
from journey.programmes.onboarding import STEP_KEYS
from journey.stages import Stage
from journey.stages.checklists import validate_config


class AddedItemSchema(ma.Schema):
    stage = ma.fields.String(required=True, validate=validate.OneOf([s.value for s in Stage]))
    key = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,59}$"))
    title = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    required = ma.fields.Boolean(load_default=True)
    due_days = ma.fields.Integer(validate=validate.Range(min=0, max=3650), allow_none=True)
    reminder = ma.fields.String(
        validate=[validate.Length(max=120), not_blank], allow_none=True,
        metadata={"description": "What the migrant reads in a reminder: something to do or "
                                 "expect. Without it, a generic phrase and the title."})


class ChecklistConfigSchema(ma.Schema):
    """How a programme adapts the default checklists."""

    disabled = ma.fields.List(ma.fields.String(), load_default=list)
    renamed = ma.fields.Dict(keys=ma.fields.String(),
                             values=ma.fields.String(validate=validate.Length(min=1, max=200)),
                             load_default=dict)
    added = ma.fields.List(ma.fields.Nested(AddedItemSchema), load_default=list)

    @ma.validates_schema
    def _known_items(self, data, **_kwargs):
        errors = validate_config(data)
        keys = [extra["key"] for extra in data.get("added", [])]
        errors += [{"message": _("Two new items have the key '%(key)s'.", key=key)}
                   for key in sorted({k for k in keys if keys.count(k) > 1})]
        if errors:
            raise ma.ValidationError([e["message"] for e in errors])


_PHONE = validate.Regexp(r"^\+?[0-9][0-9 ()-]{1,29}$", error=_l("A phone number."))


class ContactsSchema(ma.Schema):
    """The numbers messages cite for a programme's participants; unset ones fall back to the
    destination country's (settings), then to the centre's helpline."""

    helpline = ma.fields.String(validate=_PHONE, allow_none=True,
                                metadata={"description": "Helpline in the destination country."})
    emergency = ma.fields.String(validate=_PHONE, allow_none=True,
                                 metadata={"description": "Emergency number in the destination."})
    embassy = ma.fields.String(validate=_PHONE, allow_none=True,
                               metadata={"description": "The origin country's embassy or "
                                                        "consulate in the destination."})


_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error=_l("A three-letter currency code, e.g. EUR."))


class _Budget(ma.Schema):
    """What a hire should cost (the Employer Pays summary compares each placement with it) and
    the onboarding steps employers confirm."""

    budget_per_hire = ma.fields.Decimal(
        places=2, as_string=True, allow_none=True, validate=validate.Range(min=0, max=10**9),
        metadata={"description": "The budget per hire, in budget_currency."})
    budget_currency = ma.fields.String(validate=_CURRENCY, allow_none=True)
    onboarding_steps = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(STEP_KEYS)), allow_none=True,
        validate=validate.Length(max=len(STEP_KEYS)),
        metadata={"description": "The onboarding steps employers confirm, in order (null: the "
                                 "default list)."})

    @ma.validates_schema
    def _budget(self, data, **_kwargs):
        if "budget_per_hire" in data or "budget_currency" in data:
            amount, currency = data.get("budget_per_hire"), data.get("budget_currency")
            if amount is not None and currency is None:
                raise ma.ValidationError({"budget_currency": [
                    _("Give the currency of the budget per hire.")]})
            if currency is not None and amount is None:
                raise ma.ValidationError({"budget_per_hire": [
                    _("Give the budget per hire in this currency.")]})
        steps = data.get("onboarding_steps") or []
        twice = sorted({k for k in steps if steps.count(k) > 1})
        if twice:
            raise ma.ValidationError({"onboarding_steps": [
                _("A step is listed twice: %(keys)s.", keys=", ".join(twice))]})


class ProgrammeSchema(_Budget):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9-]{2,32}$"))
    name = ma.fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    origin_country = Country(required=True)
    destination_country = Country(required=True)
    sector = ma.fields.String(required=True, validate=[validate.Length(max=100), not_blank])
    occupations = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^\d{1,4}$", error=_l("An ISCO-08 code."))),
        load_default=list, metadata={"description": "ISCO-08 unit group codes."})
    default_language = Language(load_default="en")
    languages = ma.fields.List(Language(), load_default=list,
                               metadata={"description": "Other languages the programme works in."})
    employer_ids = ma.fields.Method(
        "_dump_employer_ids", deserialize="_load_employer_ids",
        metadata={"description": "Partner employers.", "type": "array",
                  "items": {"type": "integer"}})
    training_provider_id = ma.fields.Integer(strict=True, validate=ID_RANGE, allow_none=True)
    checklist_config = ma.fields.Nested(lambda: ChecklistConfigSchema(), load_default=dict)
    contacts = ma.fields.Nested(lambda: ContactsSchema(), load_default=dict)
    version = ma.fields.Integer(dump_only=True)

    @staticmethod
    def _dump_employer_ids(programme) -> list[int]:
        return sorted(e.id for e in programme.employers)

    @staticmethod
    def _load_employer_ids(value) -> list[int]:
        return ma.fields.List(ma.fields.Integer(strict=True, validate=ID_RANGE)).deserialize(value)

    @ma.validates_schema
    def _distinct(self, data, **_kwargs):
        if data.get("origin_country") and data.get("origin_country") == data.get(
                "destination_country"):
            raise ma.ValidationError({"destination_country": [_l("Must differ from the origin.")]})


class ProgrammeUpdateSchema(_Budget):
    name = ma.fields.String(validate=[validate.Length(max=200), not_blank])
    languages = ma.fields.List(Language())
    employer_ids = ma.fields.List(ma.fields.Integer(strict=True, validate=ID_RANGE))
    training_provider_id = ma.fields.Integer(strict=True, validate=ID_RANGE, allow_none=True)
    checklist_config = ma.fields.Nested(ChecklistConfigSchema)
    contacts = ma.fields.Nested(ContactsSchema)
    version = Version(metadata={"description": "The version you read (optional: without it, or "
                                               "If-Match, the change is not checked)."})
