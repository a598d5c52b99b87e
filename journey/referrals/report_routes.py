"""Closed-loop figures API: of the referrals sent in a period, the share closed within 30 days,
outcomes and partner response times, by service, partner and sex (journey.referrals.figures)."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.referrals import figures
from journey.referrals.report_schemas import ClosedLoopSchema, FiguresQuerySchema

blp = Blueprint("referral_reports", __name__, url_prefix="",
                description="Closed-loop referral figures.")


@blp.get("/referrals/figures", permission="referrals:report")
@blp.arguments(FiguresQuerySchema, location="query")
@blp.response(200, ClosedLoopSchema)
@blp.alt_response(422, description="A date that is not a date, a period that ends before it "
                                   "starts, an unknown query parameter, or an office that is "
                                   "not yours (validation-failed, field by field).")
def referral_figures(args):
    """Closed-loop figures of the referrals sent in the period in your scope: how many reached a
    final state within 30 days (those still open and younger than 30 days counted apart), the
    outcomes, and partner response times (median and 90th percentile, in hours), overall and by
    service, partner and the participant's sex. Audited."""
    return figures.closed_loop(db.session, current_user(), office_id=args.get("office_id"),
                               since=args.get("since"), until=args.get("until"))
