"""The Employer Pays principle: which costs breach it, and how the breach is explained (the
continuum's no_fees_paid_by_migrant guard and the cost pages use the same words)."""

from __future__ import annotations

from flask_babel import gettext as _

from journey.costs.models import RECRUITMENT_COSTS, Payer


def employer_pays_breach(cost) -> bool:
    """A recruitment fee or related cost, paid by the migrant."""
    return cost.paid_by == Payer.MIGRANT and cost.category in RECRUITMENT_COSTS and cost.amount > 0


def employer_pays_warning() -> str:
    return _("Recruitment fees or related costs are recorded as paid by the migrant; under the "
             "Employer Pays principle they must be reimbursed first.")
