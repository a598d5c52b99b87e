"""An office's calendar as admins edit it: its working days and public holidays, shared by the
API (journey.organisations.routes) and the page (journey.administration.calendar_pages).

Deadlines of grievances received after a change use it (journey.grievances.deadlines reads the
calendar at intake); deadlines already set stay as they were promised. Every change is audited
and moves the office's version on, so an edit made from a stale page is refused.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, NotFound
from journey.core.i18n import _, _l
from journey.core.schemas import Version, not_blank
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import Office, OfficeHoliday
from journey.organisations.services import load_office

logger = logging.getLogger(__name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _not_empty(days: list[int]) -> None:
    if not days:
        raise ma.ValidationError([_l("Choose at least one working day.")])


def _in_range(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ma.ValidationError([_l("Choose a date between 2000 and 2100.")])


class HolidaySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    day = ma.fields.Date(required=True, validate=_in_range)
    name = ma.fields.String(required=True, validate=[validate.Length(min=1, max=200), not_blank])


class HolidayCreateSchema(HolidaySchema):
    version = Version(metadata={"description": "The office's version you read (optional)."})


class WorkingDaysSchema(ma.Schema):
    """The office's working week, as ISO weekdays (1 Monday ... 7 Sunday)."""

    working_days = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=7)), required=True,
        validate=_not_empty, metadata={"description": "ISO weekdays: 1 Monday ... 7 Sunday"})
    version = Version()


class OfficeCalendarSchema(ma.Schema):
    office_id = ma.fields.Integer()
    timezone = ma.fields.String()
    working_days = ma.fields.List(ma.fields.Integer())
    holidays = ma.fields.List(ma.fields.Nested(HolidaySchema))
    version = ma.fields.Integer(metadata={"description": "The office's version"})


_STALE = _l("Someone changed this office's calendar since you read it; reload and try again.")


def calendar(sess: Session, actor: User, office_id: int) -> dict[str, Any]:
    """The office's working days and holidays (every year), in date order."""
    office = load_office(sess, actor, office_id)
    holidays = sess.scalars(sa.select(OfficeHoliday).where(OfficeHoliday.office_id == office.id)
                            .order_by(OfficeHoliday.day)).all()
    return {"office_id": office.id, "timezone": office.timezone,
            "working_days": [int(d) for d in (office.working_days or "12345")],
            "holidays": holidays, "version": office.version, "office": office}


def set_working_days(sess: Session, actor: User, office_id: int, days: list[int], *,
                     expected: Precondition | None) -> dict[str, Any]:
    """Set the office's working week at the version the caller read."""
    office = load_office(sess, actor, office_id, "offices:manage")
    if not days:
        raise InvalidInput(errors=[{"field": "working_days", "code": "required",
                                    "message": _("Choose at least one working day.")}])
    check_version(office.version, expected, str(_STALE))
    value = "".join(str(d) for d in sorted(set(days)))
    if value != office.working_days:
        previous, office.working_days = office.working_days, value
        bump(sess, office, expected, str(_STALE))
        sess.flush()
        audit.record(sess, "organisations:office_calendar:update", actor_id=actor.id,
                     object_type="office", object_id=office.id, office_id=office.id,
                     working_days=value, previous=previous, version=office.version)
        logger.info("office working days changed id=%s", office.id)
    return calendar(sess, actor, office.id)


def add_holiday(sess: Session, actor: User, office_id: int, data: dict[str, Any], *,
                expected: Precondition | None) -> OfficeHoliday:
    """A public holiday or closure day of the office; one per date."""
    office = load_office(sess, actor, office_id, "offices:manage")
    check_version(office.version, expected, str(_STALE))
    taken = sess.scalar(sa.select(OfficeHoliday.id).where(OfficeHoliday.office_id == office.id,
                                                          OfficeHoliday.day == data["day"]))
    if taken is not None:
        raise InvalidInput(errors=[{"field": "day", "code": "taken",
                                    "message": _("This date is already a holiday.")}])
    holiday = OfficeHoliday(office_id=office.id, day=data["day"], name=data["name"].strip(),
                            created_at=utcnow())
    sess.add(holiday)
    bump(sess, office, expected, str(_STALE))
    sess.flush()
    audit.record(sess, "organisations:office_holiday:create", actor_id=actor.id,
                 object_type="office", object_id=office.id, office_id=office.id,
                 holiday_id=holiday.id, day=holiday.day.isoformat(), version=office.version)
    return holiday


def remove_holiday(sess: Session, actor: User, office_id: int, holiday_id: int, *,
                   expected: Precondition | None) -> Office:
    """Remove one of the office's holidays (404 if it is not the office's)."""
    office = load_office(sess, actor, office_id, "offices:manage")
    holiday = sess.get(OfficeHoliday, holiday_id)
    if holiday is None or holiday.office_id != office.id:
        raise NotFound(_("No such holiday."))
    check_version(office.version, expected, str(_STALE))
    day = holiday.day
    sess.delete(holiday)
    bump(sess, office, expected, str(_STALE))
    sess.flush()
    audit.record(sess, "organisations:office_holiday:delete", actor_id=actor.id,
                 object_type="office", object_id=office.id, office_id=office.id,
                 holiday_id=holiday_id, day=day.isoformat(), version=office.version)
    return office
