"""Placements once open: reading them (scoped by journey.employers.access, audited), staff
correcting the contract dates and the recruiter (checked again: 409 when the agency may not
recruit), ending one (which ends the PLACED link), and recording retention.

Opening a placement is journey.employers.placements.open_placement (when the employer selects a
candidate); a rehire of the same worker by the same employer carries ``rehire_of_id``.
Services never commit.
"""

from __future__ import annotations

import enum
import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit, links
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _, _l
from journey.core.links import LinkReason, OrganisationKind
from journey.core.policy import require
from journey.core.versions import Precondition, bump, check_version
from journey.employers.access import load_placement, placement_scope
from journey.employers.licences import check_may_recruit, corridor
from journey.employers.models import (
    OnboardingStep,
    Placement,
    PlacementStatus,
    RetentionCheck,
)
from journey.employers.retention import MONTHS
from journey.participants.models import Participant
from journey.programmes.models import Programme

logger = logging.getLogger(__name__)


class EndReason(enum.StrEnum):
    CONTRACT_COMPLETED = "contract_completed"
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    TRANSFERRED = "transferred"  # to another employer
    RETURNED_HOME = "returned_home"
    OTHER = "other"


END_REASON_TITLES = {
    EndReason.CONTRACT_COMPLETED: _l("The contract was completed"),
    EndReason.RESIGNED: _l("The worker resigned"),
    EndReason.DISMISSED: _l("The employer ended the contract"),
    EndReason.TRANSFERRED: _l("The worker changed employer"),
    EndReason.RETURNED_HOME: _l("The worker returned home"),
    EndReason.OTHER: _l("Another reason"),
}
PLACEMENT_STATUS_TITLES = {PlacementStatus.ACTIVE: _l("Active"),
                           PlacementStatus.ENDED: _l("Ended")}
_STALE = _l("Someone changed this placement since you read it; reload and try again.")


def _office_of(sess: Session, participant_id: int) -> int | None:
    return sess.scalar(sa.select(Participant.office_id).where(Participant.id == participant_id))


def list_placements(sess: Session, user: User, *, status: str | None = None) -> list[Placement]:
    """The placements the user sees (an employer user: its own; staff: their participants'),
    newest first, optionally of one status (422 for an unknown one)."""
    require(user, "placements:read")
    where = [placement_scope(user)]
    if status is not None:
        if status not in {s.value for s in PlacementStatus}:
            raise InvalidInput(errors=[{"field": "status", "code": "invalid",
                                        "message": _("Not a placement status.")}])
        where.append(Placement.status == status)
    rows = list(sess.scalars(sa.select(Placement).where(*where).order_by(Placement.id.desc())))
    audit.record(sess, "employers:placement:list", actor_id=user.id, object_type="placement",
                 status=status, count=len(rows), placement_ids=[p.id for p in rows][:500])
    return rows


def read_placement(sess: Session, user: User, placement_id: int) -> dict[str, Any]:
    """One placement with its onboarding steps and retention checks (the read is audited)."""
    placement = load_placement(sess, user, placement_id, "placements:read")
    steps = list(sess.scalars(sa.select(OnboardingStep)
                              .where(OnboardingStep.placement_id == placement.id)
                              .order_by(OnboardingStep.position, OnboardingStep.id)))
    checks = list(sess.scalars(sa.select(RetentionCheck)
                               .where(RetentionCheck.placement_id == placement.id)
                               .order_by(RetentionCheck.months)))
    audit.record(sess, "employers:placement:read", actor_id=user.id, object_type="placement",
                 object_id=placement.id, office_id=_office_of(sess, placement.participant_id),
                 participant_id=placement.participant_id, employer_id=placement.employer_id)
    return {"placement": placement, "steps": steps, "retention": checks}


def _check_active(placement: Placement) -> None:
    if placement.status != PlacementStatus.ACTIVE.value:
        raise Conflict(_("The placement has ended."), code="placement-ended")


def update_placement(sess: Session, user: User, placement_id: int, data: dict[str, Any], *,
                     expected: Precondition | None, today: date | None = None) -> Placement:
    """Staff correct an active placement's contract dates or recruiter, at the version read.
    A recruiter is checked again (409 recruiter-unlicensed, recruiter-licence-expired or
    recruiter-corridor); the contract cannot end before it starts (422)."""
    placement = load_placement(sess, user, placement_id, "placements:manage")
    _check_active(placement)
    check_version(placement.version, expected, str(_STALE))
    start = data.get("contract_start", placement.contract_start)
    end = data.get("contract_end", placement.contract_end)
    if start is not None and end is not None and end < start:
        raise InvalidInput(errors=[{"field": "contract_end", "code": "before-start",
                                    "message": _("The contract cannot end before it starts.")}])
    if "recruiter_id" in data and data["recruiter_id"] != placement.recruiter_id:
        programme = (sess.get(Programme, placement.programme_id)
                     if placement.programme_id else None)
        code = (corridor(programme.origin_country, programme.destination_country)
                if programme is not None else None)
        check_may_recruit(sess, data["recruiter_id"], corridor_code=code,
                          today=today or utcnow().date())
    changed = sorted(k for k in ("contract_start", "contract_end", "recruiter_id")
                     if k in data and data[k] != getattr(placement, k))
    if not changed:
        return placement
    bump(sess, placement, expected, str(_STALE))
    for name in changed:
        setattr(placement, name, data[name])
    sess.flush()
    audit.record(sess, "employers:placement:update", actor_id=user.id, object_type="placement",
                 object_id=placement.id, office_id=_office_of(sess, placement.participant_id),
                 participant_id=placement.participant_id, fields=changed,
                 recruiter_id=placement.recruiter_id)
    logger.info("placement updated placement=%s fields=%s", placement.id, ",".join(changed))
    return placement


def end_placement(sess: Session, user: User, placement_id: int, *, reason: str,
                  expected: Precondition | None = None) -> Placement:
    """End an active placement with a reason from the fixed list; the participant's PLACED link
    to the employer ends with it (409 placement-ended when it has ended already)."""
    placement = load_placement(sess, user, placement_id, "placements:manage")
    if reason not in {r.value for r in EndReason}:
        raise InvalidInput(errors=[{"field": "reason", "code": "invalid",
                                    "message": _("Choose why the placement ended.")}])
    _check_active(placement)
    check_version(placement.version, expected, str(_STALE))
    bump(sess, placement, expected, str(_STALE))
    placement.status, placement.ended_at, placement.end_reason = (
        PlacementStatus.ENDED.value, utcnow(), reason)
    sess.flush()
    office_id = _office_of(sess, placement.participant_id)
    links.unlink(sess, user.id, placement.participant_id, OrganisationKind.EMPLOYER,
                 placement.employer_id, LinkReason.PLACED, office_id=office_id)
    audit.record(sess, "employers:placement:end", actor_id=user.id, object_type="placement",
                 object_id=placement.id, office_id=office_id,
                 participant_id=placement.participant_id, employer_id=placement.employer_id,
                 reason=reason)
    logger.info("placement ended placement=%s reason=%s", placement.id, reason)
    return placement


def record_retention(sess: Session, user: User, placement_id: int, *, months: int,
                     retained: bool, today: date | None = None) -> RetentionCheck:
    """Record whether the worker is still with the employer at 3, 6 or 12 months (the employer
    or staff). 409 retention-not-open before the arrival is recorded, retention-not-due before
    the day; a check recorded again is corrected (the audit trail keeps both)."""
    placement = load_placement(sess, user, placement_id, "retention:record")
    if months not in MONTHS:
        raise InvalidInput(errors=[{"field": "months", "code": "invalid",
                                    "message": _("Choose 3, 6 or 12 months.")}])
    check = sess.scalar(sa.select(RetentionCheck).where(RetentionCheck.placement_id == placement.id,
                                                        RetentionCheck.months == months))
    if check is None:
        raise Conflict(_("The worker's arrival is not recorded yet: retention counts from it."),
                       code="retention-not-open")
    today = today or utcnow().date()
    if check.due_on > today:
        raise Conflict(_("This check is due on %(day)s.", day=check.due_on.isoformat()),
                       code="retention-not-due", extra={"due_on": check.due_on.isoformat()})
    previous = check.retained
    check.retained, check.recorded_by, check.recorded_at = bool(retained), user.id, utcnow()
    sess.flush()
    audit.record(sess, "employers:retention_check:record", actor_id=user.id,
                 object_type="retention_check", object_id=check.id,
                 office_id=_office_of(sess, placement.participant_id), placement_id=placement.id,
                 participant_id=placement.participant_id, months=months,
                 retained=check.retained, previous=previous)
    logger.info("retention recorded placement=%s months=%s", placement.id, months)
    return check


def rehires(sess: Session, placement: Placement) -> list[Placement]:
    """The earlier placements this one hires the same worker again after, latest first."""
    chain, current = [], placement
    seen = {placement.id}
    while current.rehire_of_id is not None and current.rehire_of_id not in seen:
        current = sess.get(Placement, current.rehire_of_id)
        if current is None:
            break
        seen.add(current.id)
        chain.append(current)
    return chain
