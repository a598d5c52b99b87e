"""A recruiter's licence: valid, expiring (within 60 days), expired or missing, and the check
that refuses a placement through an agency that may not recruit on that corridor (409)."""

from __future__ import annotations

import enum
from datetime import date, timedelta

from sqlalchemy.orm import Session

from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _, _l
from journey.employers.models import Recruiter

EXPIRY_WARNING_DAYS = 60


class LicenceStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # expires within EXPIRY_WARNING_DAYS: flagged
    EXPIRED = "expired"
    UNLICENSED = "unlicensed"  # no licence number or no expiry recorded


LICENCE_TITLES = {LicenceStatus.VALID: _l("Licensed"),
                  LicenceStatus.EXPIRING: _l("Licence expires soon"),
                  LicenceStatus.EXPIRED: _l("Licence expired"),
                  LicenceStatus.UNLICENSED: _l("No licence on record")}


def licence_status(recruiter: Recruiter, today: date) -> LicenceStatus:
    if not recruiter.licence_number or recruiter.licence_expires_on is None:
        return LicenceStatus.UNLICENSED
    if recruiter.licence_expires_on < today:
        return LicenceStatus.EXPIRED
    if recruiter.licence_expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return LicenceStatus.EXPIRING
    return LicenceStatus.VALID


def corridor(origin: str, destination: str) -> str:
    return f"{origin.upper()}-{destination.upper()}"


def check_may_recruit(sess: Session, recruiter_id: int | None, *, corridor_code: str | None,
                      today: date, field: str = "recruiter_id") -> Recruiter | None:
    """The recruiter, if it may place on this corridor today; 422 for an unknown id, 409 with the
    reason (code recruiter-unlicensed, recruiter-licence-expired, recruiter-corridor) if not."""
    if recruiter_id is None:
        return None
    recruiter = sess.get(Recruiter, recruiter_id)
    if recruiter is None:
        raise InvalidInput(errors=[{"field": field, "code": "not-found",
                                    "message": _("No such recruiter.")}])
    status = licence_status(recruiter, today)
    if status == LicenceStatus.UNLICENSED:
        raise Conflict(_("%(name)s has no recruitment licence on record; a placement through an "
                         "unlicensed recruiter is refused.", name=recruiter.name),
                       code="recruiter-unlicensed", extra={"recruiter_id": recruiter.id})
    if status == LicenceStatus.EXPIRED:
        raise Conflict(_("The recruitment licence of %(name)s expired on %(day)s; a placement "
                         "through it is refused until the licence is renewed.",
                         name=recruiter.name, day=recruiter.licence_expires_on.isoformat()),
                       code="recruiter-licence-expired",
                       extra={"recruiter_id": recruiter.id,
                              "licence_expires_on": recruiter.licence_expires_on.isoformat()})
    if corridor_code and recruiter.corridors and corridor_code not in recruiter.corridors:
        raise Conflict(_("%(name)s is not licensed to recruit on the %(corridor)s corridor.",
                         name=recruiter.name, corridor=corridor_code),
                       code="recruiter-corridor",
                       extra={"recruiter_id": recruiter.id, "corridor": corridor_code})
    return recruiter
