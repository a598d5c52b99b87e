"""A referral's deadlines, from the directory service or settings, on the referring office's
business days (journey.organisations.calendar).

The partner answers (accepts or declines) within the service's response_days, else
REFERRAL_RESPONSE_DAYS by urgency; an emergency within REFERRAL_EMERGENCY_HOURS hours, whatever
the calendar. The partner is reminded once at half the response time. Once accepted, the partner
completes within the service's completion_days, else REFERRAL_COMPLETION_DAYS. The scan that
reminds, expires and escalates is journey.referrals.scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from journey.organisations.calendar import calendar_for
from journey.referrals.models import DirectoryService
from journey.referrals.states import Urgency


def response_deadline(sess: Session, office_id: int, service: DirectoryService, urgency: str,
                      start: datetime, config: Any = None) -> tuple[datetime, datetime]:
    """(answer by, remind at) for a referral sent at ``start``."""
    config = config or current_app.config
    if urgency == Urgency.EMERGENCY.value:
        due = start + timedelta(hours=config["REFERRAL_EMERGENCY_HOURS"])
    else:
        days = service.response_days or config["REFERRAL_RESPONSE_DAYS"][urgency]
        calendar = calendar_for(sess, office_id, years=(start.year, start.year + 1))
        due = calendar.add_business_days(start, days)
    return due, start + (due - start) / 2


def completion_deadline(sess: Session, office_id: int, service: DirectoryService,
                        start: datetime, config: Any = None) -> datetime:
    """Complete by, for a referral accepted at ``start``."""
    config = config or current_app.config
    days = service.completion_days or config["REFERRAL_COMPLETION_DAYS"]
    calendar = calendar_for(sess, office_id, years=(start.year, start.year + 1))
    return calendar.add_business_days(start, days)
