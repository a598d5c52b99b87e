"""Retention: whether the worker is still with the employer 3, 6 and 12 months after arrival.

When the participant arrives (the continuum's ``depart`` or ``arrive_onward``, recorded as a
``stage_entered`` timeline entry into ``arrival``), the active placement records the arrival day
(the participant's arrival date) and its three retention checks open, due 3, 6 and 12 months
later. Only the first arrival counts: a placement keeps the day it started from.

A scheduled job reminds the employer's contact people and users (by email, once per check and
person) of the checks that are due and not recorded. Recording one is
journey.employers.placement_services.record_retention.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.employers import notify
from journey.employers.models import (
    EmployerContact,
    Placement,
    PlacementStatus,
    RetentionCheck,
)
from journey.employers.placements import active_placement
from journey.participants.models import Participant

logger = logging.getLogger(__name__)

MONTHS = (3, 6, 12)
ARRIVAL_STAGE = "arrival"
REMIND_SECONDS = 6 * 3600
# A check left unrecorded is no longer reminded of this long after it fell due.
REMIND_FOR_DAYS = 60
PAGE_PATH = "/placements/{id}"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def open_checks(sess: Session, placement: Placement, arrived_on: date) -> int:
    """The placement's three checks, due from the arrival day; those already there stay."""
    existing = set(sess.scalars(sa.select(RetentionCheck.months)
                                .where(RetentionCheck.placement_id == placement.id)))
    rows = [RetentionCheck(placement_id=placement.id, months=m, due_on=add_months(arrived_on, m))
            for m in MONTHS if m not in existing]
    sess.add_all(rows)
    sess.flush()
    return len(rows)


def on_entry(sess: Session, participant: Any, entry: dict[str, Any]) -> None:
    """Timeline handler: an arrival sets the active placement's arrival day and opens its
    retention checks (once per placement)."""
    data = entry["data"]
    if (entry["kind"] != "stage_entered" or data.get("repeat")
            or data.get("to_stage") != ARRIVAL_STAGE or data.get("from_stage") is None):
        return
    placement = active_placement(sess, participant.id)
    if placement is None or placement.arrived_on is not None:
        return
    arrived = getattr(participant, "arrival_date", None) or entry["occurred_at"].date()
    placement.arrived_on = arrived
    opened = open_checks(sess, placement, arrived)
    audit.record(sess, "employers:placement:arrived", actor_id=entry.get("actor_id"),
                 object_type="placement", object_id=placement.id,
                 office_id=participant.office_id, participant_id=participant.id,
                 arrived_on=arrived.isoformat(), retention_checks=opened)
    logger.info("placement arrival placement=%s checks=%d", placement.id, opened)


# --- reminders ---------------------------------------------------------------------------------

def remind(sess: Session, today: date | None = None) -> int:
    """Email the employer's contacts and users about each due, unrecorded check of an active
    placement (each person once per check); returns the messages written."""
    today = today or utcnow().date()
    due = sess.execute(
        sa.select(RetentionCheck, Placement)
        .join(Placement, Placement.id == RetentionCheck.placement_id)
        .where(RetentionCheck.recorded_at.is_(None), RetentionCheck.due_on <= today,
               RetentionCheck.due_on > today - timedelta(days=REMIND_FOR_DAYS),
               Placement.status == PlacementStatus.ACTIVE.value)
        .order_by(RetentionCheck.id)).all()
    written = 0
    base = current_app.config["PUBLIC_BASE_URL"]
    for check, placement in due:
        worker, office_id = sess.execute(
            sa.select(Participant.given_name, Participant.office_id)
            .where(Participant.id == placement.participant_id)).one()
        centre = notify.centre_name(sess, placement.participant_id)
        url = base + PAGE_PATH.format(id=placement.id)
        people = [("contact", c.id, c.email, c.name, c.language) for c in sess.scalars(
            sa.select(EmployerContact).where(EmployerContact.employer_id == placement.employer_id,
                                             EmployerContact.removed_at.is_(None),
                                             EmployerContact.email.is_not(None)))]
        people += [("user", u.id, u.email, u.full_name, u.language) for u in sess.scalars(
            sa.select(User).where(User.employer_id == placement.employer_id,
                                  User.is_active.is_(True), User.email.is_not(None)))]
        sent = 0
        for kind, pid, email, name, language in people:
            sent += notify.retention_due(
                sess, notify.staff_recipient(email, name, language, centre), worker=worker,
                months=check.months, url=url,
                dedupe_key=f"retention-due:{check.id}:{kind}:{pid}")
        if sent:
            audit.record(sess, "employers:retention_check:remind", actor_id=None,
                         object_type="retention_check", object_id=check.id, office_id=office_id,
                         placement_id=placement.id, messages=sent)
        written += sent
    return written


def remind_job(app: Flask) -> int:
    """The scheduled reminder (journey.employers.domain registers it), in its own transaction."""
    from journey.core.db import db

    with app.app_context(), db.job_session() as sess:
        written = remind(sess)
    if written:
        logger.info("retention reminders written=%d", written)
    return written
