"""The demo's grievances (#14): a focal point for Kathmandu, a public holiday or two for each
office, and a handful of complaints taken in through the one intake service, so the grievance
pages, break-the-glass and the patterns of complaints show something after `make run`:

* a restricted harassment case, assigned to the focal point (the supervisor sees it masked and
  can break the glass);
* a wages complaint against the demo employer, in review;
* a recruitment-fee complaint received weeks ago and never acknowledged (its deadlines passed);
* a resolved one, with a decision;
* an anonymous complaint from the public web form, against the same recruiter spelt otherwise.

Idempotent like the rest of the demo: nothing is added once the demo has a grievance, a focal
point or a holiday already there.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import utcnow
from journey.grievances import glass, services
from journey.grievances.models import Channel, FocalPoint, Grievance, SlaStatus
from journey.organisations.models import OfficeHoliday
from journey.participants.models import Participant

FOCAL_POINT = "protection"  # the demo user named Kathmandu's focal point
FOCAL_EMAIL = "protection@example.org"
RECRUITER = "Himalayan Manpower Pvt. Ltd."

# (office code, month, day, name): fixed-date public holidays, this year and next.
_HOLIDAYS = [("KTM", 5, 28, "Republic Day"), ("KTM", 9, 19, "Constitution Day"),
             ("LIS", 4, 25, "Freedom Day"), ("LIS", 12, 25, "Christmas Day")]


def _holidays(sess: Session, offices: dict[str, int], today: date) -> int:
    now, added = utcnow(), 0
    for code, month, day, name in _HOLIDAYS:
        for year in (today.year, today.year + 1):
            when = date(year, month, day)
            if sess.scalar(sa.select(OfficeHoliday.id).where(
                    OfficeHoliday.office_id == offices[code], OfficeHoliday.day == when)) is None:
                sess.add(OfficeHoliday(office_id=offices[code], day=when, name=name,
                                       created_at=now))
                added += 1
    return added


def _focal_point(sess: Session, users: dict[str, User], ktm_id: int) -> int:
    focal = users[FOCAL_POINT]
    if focal.email is None:
        focal.email = FOCAL_EMAIL  # break-the-glass tells the focal point by email
    if sess.scalar(sa.select(FocalPoint.id).where(FocalPoint.office_id == ktm_id,
                                                  FocalPoint.user_id == focal.id)):
        return 0
    glass.add_focal_point(sess, users["supervisor"], ktm_id, focal.id)
    return 1


def _person(sess: Session, office_id: int, stage: Stage, nth: int = 0) -> Participant | None:
    return sess.scalars(sa.select(Participant).where(
        Participant.office_id == office_id, Participant.stage == stage.value,
        Participant.erased_at.is_(None)).order_by(Participant.id).offset(nth).limit(1)).first()


def _walk(sess: Session, actor: User, g: Grievance, events: list[str], **data) -> None:
    for event in events:
        services.transition(sess, actor, g, event, data if event == "resolve" else None,
                            expected=None)


def load_demo_grievances(sess: Session, users: dict[str, User], offices: dict[str, int],
                         employer_id: int, today: date) -> int:
    """The focal point, holidays and grievances; how many things were added now."""
    added = _holidays(sess, offices, today) + _focal_point(sess, users, offices["KTM"])
    if sess.scalar(sa.select(Grievance.id).limit(1)) is not None:
        return added
    # A line per intake and step would bury the credentials the demo prints.
    log = logging.getLogger("journey.grievances")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        return added + _grievances(sess, users, offices, employer_id)
    finally:
        log.setLevel(level)


def _grievances(sess: Session, users: dict[str, User], offices: dict[str, int],
                employer_id: int) -> int:
    ktm, lis = offices["KTM"], offices["LIS"]
    caseworker, lisbon = users["caseworker"], users["caseworker.lisbon"]
    now = utcnow()

    someone = _person(sess, ktm, Stage.TRAINING)
    services.intake(sess, caseworker, {
        "category": "harassment_gbv", "severity": "high", "assignee_id": users[FOCAL_POINT].id,
        "description": "During the hotel training placement the kitchen supervisor made sexual "
                       "remarks and followed her to the changing room. She asks that the "
                       "training centre is not told her name yet.",
        "desired_outcome": "To finish the training in another kitchen."},
        channel=Channel.STAFF, participant=someone)

    abroad = _person(sess, lis, Stage.STAY)
    wages, _code = services.intake(sess, lisbon, {
        "category": "wages", "severity": "medium", "against_employer_id": employer_id,
        "description": "Overtime in the summer season was not paid: about 40 hours in July "
                       "and August, according to her own notes.",
        "desired_outcome": "Payment of the overtime."},
        channel=Channel.STAFF, participant=abroad)
    _walk(sess, lisbon, wages, ["acknowledge", "start_review"])

    # Received six weeks ago and never acknowledged: both deadlines have passed. Marked breached
    # as the SLA scan would (the scan still escalates it, once, when it next runs).
    late = _person(sess, ktm, Stage.PRE_DEPARTURE)
    breached, _code = services.intake(sess, caseworker, {
        "category": "recruitment_fees", "severity": "high", "against_kind": "recruiter",
        "against_name": RECRUITER,
        "description": "The agent asked for 150,000 rupees for the visa and a 'placement fee', "
                       "with no receipt."},
        channel=Channel.STAFF, participant=late, now=now - timedelta(days=40))
    breached.sla_status = SlaStatus.BREACHED.value

    settled = _person(sess, ktm, Stage.MATCHED, 1)
    housing, _code = services.intake(sess, caseworker, {
        "category": "document_confiscation", "severity": "medium",
        "description": "The training hostel kept his passport 'for safekeeping' and would not "
                       "give it back before the visa appointment."},
        channel=Channel.STAFF, participant=settled, now=now - timedelta(days=9))
    _walk(sess, caseworker, housing, ["acknowledge", "start_review", "resolve"],
          decision="upheld", resolution_summary="The hostel returned the passport the same day "
                                                "after the centre called; he keeps it himself.")

    # The public form: no name, no contact, the recruiter spelt another way.
    services.intake(sess, None, {
        "category": "recruitment_fees", "severity": "medium", "against_kind": "recruiter",
        "against_name": "himalayan manpower pvt ltd", "office_id": ktm, "language": "ne",
        "description": "They took money from my brother and from me for jobs in Portugal and "
                       "now they do not answer the phone."},
        channel=Channel.WEB)
    return 5
