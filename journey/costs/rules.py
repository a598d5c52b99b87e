"""The Employer Pays principle: which costs breach it, and how the breach is explained (the
continuum's no_fees_paid_by_migrant guard and the cost pages use the same words)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from journey.costs.models import RECRUITMENT_COSTS, Cost, Payer


def employer_pays_breach(cost) -> bool:
    """A recruitment fee or related cost, paid by the migrant."""
    return (cost.paid_by == Payer.MIGRANT and cost.category in RECRUITMENT_COSTS
            and cost.amount > 0
            and (cost.refunded_at is None or cost.refund_amount < cost.amount))


def breach_open() -> sa.ColumnElement[bool]:
    """The SQL condition for a breach that is still open (the guard and the summaries)."""
    return sa.and_(Cost.paid_by == Payer.MIGRANT.value,
                   Cost.category.in_([c.value for c in RECRUITMENT_COSTS]), Cost.amount > 0,
                   # A refund of the whole amount closes the breach; the row keeps the history.
                   sa.or_(Cost.refunded_at.is_(None), Cost.refund_amount < Cost.amount))


def employer_pays_warning() -> str:
    return _("Recruitment fees or related costs are recorded as paid by the migrant; under the "
             "Employer Pays principle they must be reimbursed first.")
