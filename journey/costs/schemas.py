"""Cost schemas: a cost, its refund, the categories, and the Employer Pays summary."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from journey.core.i18n import _l
from journey.core.schemas import Id, Integer, QueryArgsSchema, Version
from journey.costs.models import RECRUITMENT_COSTS, CostCategory, Payer
from journey.costs.rules import employer_pays_breach
from journey.costs.titles import CATEGORY_TITLES

_CATEGORIES = validate.OneOf([c.value for c in CostCategory])
_PAYERS = validate.OneOf([p.value for p in Payer])
_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error=_l("A three-letter currency code, e.g. EUR."))
_AMOUNT = validate.Range(min=0, max=10**9)


def _ilo(cost) -> bool:
    return cost.category in RECRUITMENT_COSTS


def _refunded(cost) -> bool:
    """A breach given back in full."""
    return (cost.refunded_at is not None and cost.refund_amount is not None
            and cost.refund_amount >= cost.amount)


class CostSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    category = ma.fields.String(required=True, validate=_CATEGORIES)
    amount = ma.fields.Decimal(required=True, places=2, as_string=True, validate=_AMOUNT)
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    paid_by = ma.fields.String(required=True, validate=_PAYERS)
    paid_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)
    should_have_paid = ma.fields.String(validate=_PAYERS, allow_none=True, metadata={
        "description": "Who should have paid under the programme's cost-sharing."})
    evidence = ma.fields.String(validate=validate.Length(max=500), allow_none=True, metadata={
        "description": "What shows it was paid: a receipt's number, where it is kept."})
    placement_id = Id(allow_none=True, metadata={
        "description": "One of the participant's placements (422 otherwise)."})
    employer_id = Id(allow_none=True, metadata={
        "description": "The employer the cost is held against (default: the placement's)."})
    recruiter_id = Id(allow_none=True, metadata={
        "description": "The recruiter the cost is held against (default: the placement's)."})
    recorded_at = ma.fields.DateTime(dump_only=True)
    ilo_category = ma.fields.Function(_ilo, dump_only=True, metadata={
        "type": "boolean", "description": "The category is within the ILO definition of "
                                          "recruitment fees and related costs."})
    employer_pays_breach = ma.fields.Function(employer_pays_breach, dump_only=True,
                                              metadata={"type": "boolean"})
    breach_grievance_id = ma.fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The grievance the breach opened."})
    breach_refunded = ma.fields.Function(_refunded, dump_only=True, metadata={
        "type": "boolean", "description": "A breach refunded in full: closed."})
    refund_amount = ma.fields.Decimal(places=2, as_string=True, dump_only=True, allow_none=True)
    refunded_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    refunded_by = ma.fields.Integer(dump_only=True, allow_none=True)
    refund_note = ma.fields.String(dump_only=True, allow_none=True)
    version = ma.fields.Integer(dump_only=True)


class CostUpdateSchema(CostSchema):
    """An edit: any field, at the version read."""

    category = ma.fields.String(validate=_CATEGORIES)
    amount = ma.fields.Decimal(places=2, as_string=True, validate=_AMOUNT)
    currency = ma.fields.String(validate=_CURRENCY)
    paid_by = ma.fields.String(validate=_PAYERS)
    version = Version(load_only=True)


class RefundSchema(ma.Schema):
    """Money given back to the migrant for an Employer Pays breach."""

    amount = ma.fields.Decimal(required=True, places=2, as_string=True,
                               validate=validate.Range(min=0.01, max=10**9))
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True, metadata={
        "description": "Who gave it back, how (the grievance gets it too)."})
    version = Version(metadata={"description": "The version you read (optional)."})


class CategorySchema(ma.Schema):
    value = ma.fields.String()
    title = ma.fields.String()
    ilo = ma.fields.Boolean(metadata={
        "description": "Within the ILO definition of recruitment fees and related costs: "
                       "the migrant must not pay it (Employer Pays)."})


def category_list() -> list[dict]:
    return [{"value": c.value, "title": str(CATEGORY_TITLES.get(c.value, c.value)),
             "ilo": c in RECRUITMENT_COSTS} for c in CostCategory]


# --- the Employer Pays summary ----------------------------------------------------------------

class SummaryQuerySchema(QueryArgsSchema):
    programme_id = Id()
    employer_id = Id()
    after_id = Id(metadata={"description": "Placements after this id (the next page)."})
    limit = Integer(load_default=100, validate=validate.Range(min=1, max=500))


def _money(**kw) -> ma.fields.Decimal:
    return ma.fields.Decimal(places=2, as_string=True, **kw)


class _ByPayer(ma.Schema):
    currency = ma.fields.String()
    employer = _money()
    government_origin = _money()
    government_destination = _money()
    programme = _money()
    migrant = _money()
    total = _money()
    refunded = _money(metadata={"description": "Given back to the migrant."})


class PlacementCostsSchema(_ByPayer):
    placement_id = ma.fields.Integer()
    participant_id = ma.fields.Integer()
    employer_id = ma.fields.Integer()
    recruiter_id = ma.fields.Integer(allow_none=True)
    programme_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    currency = ma.fields.String(allow_none=True, metadata={
        "description": "Null: no cost recorded for the placement."})
    budget_per_hire = _money(allow_none=True)
    budget_currency = ma.fields.String(allow_none=True)
    over_budget = _money(allow_none=True, metadata={
        "description": "Total minus the budget per hire (negative: under it); null when the "
                       "programme has no budget in this currency."})


class TotalsSchema(_ByPayer):
    placements = ma.fields.Integer(metadata={"description": "Placements with costs in it."})
    over_budget = ma.fields.Integer(metadata={
        "description": "Placements whose costs exceed their programme's budget per hire."})
    within_budget = ma.fields.Integer()


class BreachesSchema(ma.Schema):
    currency = ma.fields.String()
    breaches = ma.fields.Integer()
    open = ma.fields.Integer()
    open_amount = _money(metadata={"description": "Paid by migrants and not yet given back."})
    refunded = ma.fields.Integer(metadata={"description": "Breaches refunded in full."})
    refunded_amount = _money()


class EmployerBreachesSchema(BreachesSchema):
    employer_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(allow_none=True)


class RecruiterBreachesSchema(BreachesSchema):
    recruiter_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(allow_none=True)


class SummarySchema(ma.Schema):
    programme_id = ma.fields.Integer(allow_none=True)
    employer_id = ma.fields.Integer(allow_none=True)
    placement_count = ma.fields.Integer()
    totals = ma.fields.List(ma.fields.Nested(TotalsSchema), metadata={
        "description": "Per currency, over every placement in the filter."})
    placements = ma.fields.List(ma.fields.Nested(PlacementCostsSchema), metadata={
        "description": "One row per placement and currency, a page of placements by id."})
    next_after_id = ma.fields.Integer(allow_none=True)
    breaches_by_employer = ma.fields.List(ma.fields.Nested(EmployerBreachesSchema))
    breaches_by_recruiter = ma.fields.List(ma.fields.Nested(RecruiterBreachesSchema))
