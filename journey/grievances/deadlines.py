"""A grievance's acknowledgement and resolution deadlines, from settings and its office's
business days (journey.organisations.calendar).

Acknowledge within GRIEVANCE_ACK_DAYS business days; resolve within GRIEVANCE_RESOLVE_DAYS by
severity, unless GRIEVANCE_SLA_BY_CATEGORY sets the category's own; a critical grievance within
GRIEVANCE_CRITICAL_HOURS hours, both deadlines, whatever the calendar.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from journey.grievances.models import Severity
from journey.organisations.calendar import Calendar, calendar_for


def resolution_days(config: Any, category: str, severity: str) -> int | None:
    """Business days to resolve; None for a critical grievance (counted in hours)."""
    if severity == Severity.CRITICAL.value:
        return None
    own = config["GRIEVANCE_SLA_BY_CATEGORY"].get(category, {})
    return own.get(severity, config["GRIEVANCE_RESOLVE_DAYS"][severity])


def deadlines(calendar: Calendar, category: str, severity: str, start: datetime,
              config: Any = None) -> tuple[datetime, datetime]:
    """(acknowledge by, resolve by) for a grievance received at ``start``."""
    config = config or current_app.config
    days = resolution_days(config, category, severity)
    if days is None:
        due = start + timedelta(hours=config["GRIEVANCE_CRITICAL_HOURS"])
        return due, due
    ack = calendar.add_business_days(start, config["GRIEVANCE_ACK_DAYS"])
    return ack, max(ack, calendar.add_business_days(start, days))


def deadlines_for(sess: Session, office_id: int, category: str, severity: str,
                  start: datetime) -> tuple[datetime, datetime]:
    calendar = calendar_for(sess, office_id, years=(start.year, start.year + 1))
    return deadlines(calendar, category, severity, start)
