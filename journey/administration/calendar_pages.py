"""The office calendar page (admins): working days as checkboxes, public holidays added and
removed. It loads the API's schemas and calls the same services
(journey.organisations.office_calendar); the API is GET/PUT /offices/<id>/working-days and
GET/POST/DELETE /offices/<id>/holidays.

Every form carries the office version it read: a change made meanwhile (another admin, or the
API) is shown as a conflict and nothing is overwritten.
"""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from flask import flash, g, redirect, render_template, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import Conflict
from journey.core.versions import Precondition, parse_version
from journey.organisations import office_calendar
from journey.organisations.office_calendar import HolidaySchema, WorkingDaysSchema
from journey.organisations.services import load_office
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("calendar_pages", __name__)


def _weekdays() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=get_locale())
    return [(iso, names[iso - 1]) for iso in range(1, 8)]


def _page(office_id: int, *, days: Any = None, holiday: dict[str, Any] | None = None,
          day_errors: dict[str, str] | None = None, holiday_errors: dict[str, str] | None = None,
          stale: bool = False):
    # Only admins manage offices: anyone else is refused (403) before anything is read.
    load_office(db.session, g.user, office_id, "offices:manage")
    cal = office_calendar.calendar(db.session, g.user, office_id)
    return render_template(
        "admin/office_calendar.html", cal=cal, office=cal["office"], weekdays=_weekdays(),
        days=cal["working_days"] if days is None else days, holiday=holiday or {},
        day_errors=day_errors or {}, holiday_errors=holiday_errors or {}, stale=stale)


@bp.get("/admin/offices/<int:office_id>/calendar")
@login_required
def office_calendar_page(office_id: int):
    """The office's working days and holidays, to edit."""
    return _page(office_id)


def _expected(values: dict[str, Any]) -> Precondition:
    return Precondition(body=parse_version(values.pop("version", "") or "") or 0)


def _refused(office_id: int, err: Exception, **kw: Any):
    stale = isinstance(err, Conflict) and err.code == "stale-version"
    return _page(office_id, stale=stale, **kw), form_status(err)


@bp.post("/admin/offices/<int:office_id>/calendar/working-days")
@login_required
def set_working_days(office_id: int):
    values = form_values(("working_days", "version"), multi=("working_days",))
    expected = _expected(values)
    try:
        # Each ticked box as a number, as a JSON body would send it; the schema refuses others.
        data = WorkingDaysSchema().load({"working_days": [
            int(d) if d.isascii() and d.isdigit() and len(d) < 3 else d
            for d in values["working_days"]]})
        office_calendar.set_working_days(db.session, g.user, office_id, data["working_days"],
                                         expected=expected)
    except FORM_ERRORS as err:
        errors = {} if isinstance(err, Conflict) else field_errors(err)
        return _refused(office_id, err, days=values["working_days"], day_errors=errors)
    flash(_("Working days saved. Deadlines of new grievances count them."))
    return redirect(url_for("calendar_pages.office_calendar_page", office_id=office_id), 303)


@bp.post("/admin/offices/<int:office_id>/calendar/holidays")
@login_required
def add_holiday(office_id: int):
    values = form_values(("day", "name", "version"))
    expected = _expected(values)
    try:
        data = HolidaySchema().load(form_input(values))
        holiday = office_calendar.add_holiday(db.session, g.user, office_id, data,
                                              expected=expected)
    except FORM_ERRORS as err:
        errors = {} if isinstance(err, Conflict) else field_errors(err)
        return _refused(office_id, err, holiday=values, holiday_errors=errors)
    flash(_("Holiday added: %(date)s.", date=format_date(holiday.day, "long")))
    return redirect(url_for("calendar_pages.office_calendar_page", office_id=office_id), 303)


@bp.post("/admin/offices/<int:office_id>/calendar/holidays/<int:holiday_id>/delete")
@login_required
def remove_holiday(office_id: int, holiday_id: int):
    values = form_values(("version",))
    try:
        office_calendar.remove_holiday(db.session, g.user, office_id, holiday_id,
                                       expected=_expected(values))
    except Conflict as err:
        return _refused(office_id, err)
    flash(_("Holiday removed."))
    return redirect(url_for("calendar_pages.office_calendar_page", office_id=office_id), 303)
