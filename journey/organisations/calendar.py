"""Business days: each office's working week and public holidays, and deadlines counted in them.

A deadline of N business days from a moment keeps its time of day and moves on N working days of
the office, in the office's own time zone: a complaint received on Friday at 15:00 with two days
to acknowledge is due on Tuesday at 15:00 (Wednesday if Monday is a holiday). A moment outside
the working week counts from the start of the next working day, so Saturday 10:00 plus two is
Wednesday 00:00: the end of Tuesday.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.organisations.models import Office, OfficeHoliday

# A year without a working day would loop for ever: at most this many days are looked at.
_HORIZON = 3660


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    working_days: str = "12345"  # ISO weekdays
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_business_day(self, day: date) -> bool:
        return str(day.isoweekday()) in self.working_days and day not in self.holidays

    def _next_business_day(self, day: date) -> date:
        for _ in range(_HORIZON):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("the office has no working day")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start`` (aware), in UTC."""
        zone = ZoneInfo(self.timezone)
        local = start.astimezone(zone)
        day, clock = local.date(), local.timetz().replace(tzinfo=None)
        if not self.is_business_day(day):
            day, clock = self._next_business_day(day), time(0)
        for _ in range(days):
            day = self._next_business_day(day)
        return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)

    def business_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count


def calendar_for(sess: Session, office_id: int, *, years: Iterable[int] | None = None) -> Calendar:
    """The office's calendar, with its holidays (of ``years`` only, when given)."""
    office = sess.get(Office, office_id)
    if office is None:
        return Calendar()
    query = sa.select(OfficeHoliday.day).where(OfficeHoliday.office_id == office_id)
    if years is not None:
        wanted = sorted(set(years))
        query = query.where(OfficeHoliday.day >= date(wanted[0], 1, 1),
                            OfficeHoliday.day <= date(wanted[-1] + 1, 12, 31))
    return Calendar(office.timezone, office.working_days or "12345",
                    frozenset(sess.scalars(query)))
