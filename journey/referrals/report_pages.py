"""The closed-loop report page (/referrals/report): the figures of journey.referrals.figures as
tables by service, partner and sex, for a period and an office. The filters load through the
API's schema (journey.referrals.report_schemas) and call the same service."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.db import db
from journey.core.errors import InvalidInput
from journey.core.policy import Role, require
from journey.organisations.models import Office
from journey.referrals import figures
from journey.referrals.report_schemas import FiguresQuerySchema
from journey.referrals.states import OUTCOME_REASON_TITLES
from journey.web.display import SEX_TITLES
from journey.web.forms import field_errors
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("referral_report_pages", __name__)

_QUERY = ("since", "until", "office_id")


@bp.get("/referrals/report")
@login_required
def report():
    """Closed-loop figures of the referrals sent in a period."""
    require(g.user, "referrals:report")
    values = {k: request.args.get(k, "").strip()[:20] for k in _QUERY}
    errors, found, status = {}, None, 200
    try:
        args = FiguresQuerySchema().load({k: v for k, v in values.items() if v})
        found = figures.closed_loop(db.session, g.user, office_id=args.get("office_id"),
                                    since=args.get("since"), until=args.get("until"))
    except (ValidationError, InvalidInput) as err:
        errors, status = field_errors(err), 422
    admin = Role(g.user.role) == Role.ADMIN
    offices = ([(o.id, o.name) for o in db.session.scalars(sa.select(Office).order_by(Office.name))]
               if admin else [])
    return render_template("referrals/report/report.html", found=found, v=values, errors=errors,
                           offices=offices, tables=_tables(found) if found else [],
                           reasons=_reasons(found) if found else [], pct=_pct,
                           hours=_hours), status


def _pct(share: float | None) -> str:
    """A share in the user's locale ("67 %", "٦٧٪"); a dash when nothing can be counted."""
    return "—" if share is None else format_percent(share)


def _hours(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.#")


def _tables(found: dict[str, Any]) -> list[tuple[str, str, str, list[tuple[str, dict]]]]:
    """Each breakdown's table: (id, caption, column title, [(label, figures)])."""
    sexes = {k: str(v) for k, v in SEX_TITLES.items()}
    return [
        ("by-service", _("By service"), _("Service"),
         [(r["name"], r) for r in found["by_service"]]),
        ("by-partner", _("By partner"), _("Partner"),
         [(r["name"], r) for r in found["by_partner"]]),
        ("by-sex", _("By the participant's sex"), _("Sex"),
         [(sexes.get(r["sex"], r["sex"]), r) for r in found["by_sex"]]),
    ]


def _reasons(found: dict[str, Any]) -> list[tuple[str, int]]:
    titles = {k.value: str(v) for k, v in OUTCOME_REASON_TITLES.items()}
    return [(titles.get(r["reason"], r["reason"]), r["count"])
            for r in found["overall"]["not_provided_reasons"]]
