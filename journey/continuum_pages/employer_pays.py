"""The staff page "Employer Pays": what each placement cost, by payer, against the programme's
budget per hire, and the breaches by employer and by recruiter; filtered by programme (and
employer), through the API's query schema and summary service."""

from __future__ import annotations

from flask import g, render_template, request
from marshmallow import ValidationError
from sqlmodel import select

from journey.core.db import db
from journey.core.errors import InvalidInput
from journey.core.policy import Role, require
from journey.costs import summary as summaries
from journey.costs.schemas import SummaryQuerySchema
from journey.costs.summary import PAYERS
from journey.costs.titles import PAYER_TITLES
from journey.organisations.models import Employer
from journey.programmes.models import Programme
from journey.web.forms import field_errors
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("employer_pays_pages", __name__)

_QUERY = ("programme_id", "employer_id", "after_id")


@bp.get("/costs/summary")
@login_required
def summary():
    """The Employer Pays summary in the user's scope."""
    require(g.user, "costs:summary")
    sess = db.session
    values = {k: request.args.get(k, "").strip()[:20] for k in _QUERY}
    errors, found, status = {}, None, 200
    try:
        args = SummaryQuerySchema().load({k: v for k, v in values.items() if v})
        found = summaries.summary(sess, g.user, **args)
    except (ValidationError, InvalidInput) as err:
        errors, status = field_errors(err), 422
    programmes = [(p.id, f"{p.code} · {p.name}")
                  for p in sess.scalars(select(Programme).order_by(Programme.code))]
    # An employer user sees their own summary only: no list of the others.
    employers = [] if Role(g.user.role) == Role.EMPLOYER else [
        (e.id, e.name) for e in sess.scalars(select(Employer).order_by(Employer.name))]
    return render_template(
        "costs/summary.html", found=found, v=values, errors=errors, programmes=programmes,
        employers=employers, employer_names=dict(employers),
        staff=Role(g.user.role) != Role.EMPLOYER, payers=[(p, PAYER_TITLES[p]) for p in PAYERS]), status
