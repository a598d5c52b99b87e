"""A referral's states and the one transition table that moves it, as data.

draft -> sent -> accepted | declined (with a reason) -> in progress -> completed (with its outcome),
or withdrawn by staff at any open step; a sent referral the partner does not answer by its
response deadline expires (the deadline scan, journey.referrals.deadlines). Each row names who may
take it (a permission), the fields the request must carry, and its guards; journey.referrals.
services.transition applies a row, checks its guards and records a ReferralEvent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from journey.core.i18n import _l


class State(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


STATE_TITLES = {
    State.DRAFT: _l("Draft"),
    State.SENT: _l("Sent, waiting for an answer"),
    State.ACCEPTED: _l("Accepted"),
    State.DECLINED: _l("Declined"),
    State.IN_PROGRESS: _l("In progress"),
    State.COMPLETED: _l("Completed"),
    State.WITHDRAWN: _l("Withdrawn"),
    State.EXPIRED: _l("Expired without an answer"),
}

# The partner has the referral and has not closed it.
OPEN_STATES = (State.SENT, State.ACCEPTED, State.IN_PROGRESS)
# Nothing moves a referral on from these.
FINAL_STATES = (State.DECLINED, State.COMPLETED, State.WITHDRAWN, State.EXPIRED)
# Waiting for the partner's work (the completion deadline runs).
WORKING_STATES = (State.ACCEPTED, State.IN_PROGRESS)


class Urgency(enum.StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


URGENCY_TITLES = {Urgency.ROUTINE: _l("Routine"), Urgency.URGENT: _l("Urgent"),
                  Urgency.EMERGENCY: _l("Emergency")}


class DeclineReason(enum.StrEnum):
    """Why a partner declines a referral."""

    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    OUTSIDE_AREA = "outside_area"
    SERVICE_NOT_OFFERED = "service_not_offered"
    DUPLICATE = "duplicate"
    OTHER = "other"


DECLINE_TITLES = {
    DeclineReason.NOT_ELIGIBLE: _l("The person is not eligible"),
    DeclineReason.NO_CAPACITY: _l("No capacity now"),
    DeclineReason.OUTSIDE_AREA: _l("Outside our service area"),
    DeclineReason.SERVICE_NOT_OFFERED: _l("We do not offer this service"),
    DeclineReason.DUPLICATE: _l("Already referred to us"),
    DeclineReason.OTHER: _l("Other reason"),
}


class Outcome(enum.StrEnum):
    PROVIDED = "provided"
    NOT_PROVIDED = "not_provided"


OUTCOME_TITLES = {Outcome.PROVIDED: _l("Service provided"),
                  Outcome.NOT_PROVIDED: _l("Service not provided")}


class OutcomeReason(enum.StrEnum):
    """Why a service was not provided (Primero's list, and what centres report)."""

    CLIENT_REFUSED = "client_refused"
    LACK_OF_CAPACITY = "lack_of_capacity"
    NO_LONGER_NEEDED = "no_longer_needed"
    UNABLE_TO_CONTACT = "unable_to_contact"
    NOT_ELIGIBLE = "not_eligible"
    CLIENT_DID_NOT_ATTEND = "client_did_not_attend"
    CLIENT_MOVED = "client_moved"
    OTHER = "other"


OUTCOME_REASON_TITLES = {
    OutcomeReason.CLIENT_REFUSED: _l("The person refused the service"),
    OutcomeReason.LACK_OF_CAPACITY: _l("Lack of capacity"),
    OutcomeReason.NO_LONGER_NEEDED: _l("No longer needed"),
    OutcomeReason.UNABLE_TO_CONTACT: _l("Unable to contact the person"),
    OutcomeReason.NOT_ELIGIBLE: _l("The person was not eligible"),
    OutcomeReason.CLIENT_DID_NOT_ATTEND: _l("The person did not come"),
    OutcomeReason.CLIENT_MOVED: _l("The person moved away"),
    OutcomeReason.OTHER: _l("Other reason"),
}


class WithdrawReason(enum.StrEnum):
    NO_LONGER_NEEDED = "no_longer_needed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    ENTERED_IN_ERROR = "entered_in_error"
    OTHER = "other"


WITHDRAW_TITLES = {
    WithdrawReason.NO_LONGER_NEEDED: _l("No longer needed"),
    WithdrawReason.CONSENT_WITHDRAWN: _l("Consent to share was withdrawn"),
    WithdrawReason.REFERRED_ELSEWHERE: _l("Referred elsewhere"),
    WithdrawReason.ENTERED_IN_ERROR: _l("Made in error"),
    WithdrawReason.OTHER: _l("Other reason"),
}


class ReferralEventKind(enum.StrEnum):
    """A ReferralEvent: a transition's event, or a progress note (no state change)."""

    CREATED = "created"
    SENT = "send"
    ACCEPTED = "accept"
    DECLINED = "decline"
    STARTED = "start"
    PROGRESS = "progress"
    COMPLETED = "complete"
    WITHDRAWN = "withdraw"
    EXPIRED = "expire"
    REMINDED = "remind"
    ESCALATED = "escalate"


EVENT_TITLES = {
    ReferralEventKind.CREATED: _l("Referral drafted"),
    ReferralEventKind.SENT: _l("Referred"),
    ReferralEventKind.ACCEPTED: _l("Referral accepted"),
    ReferralEventKind.DECLINED: _l("Referral declined"),
    ReferralEventKind.STARTED: _l("Service started"),
    ReferralEventKind.PROGRESS: _l("Progress recorded"),
    ReferralEventKind.COMPLETED: _l("Referral completed"),
    ReferralEventKind.WITHDRAWN: _l("Referral withdrawn"),
    ReferralEventKind.EXPIRED: _l("Referral expired without an answer"),
    ReferralEventKind.REMINDED: _l("Partner reminded"),
    ReferralEventKind.ESCALATED: _l("Deadline missed: escalated"),
}


# The participant's fields a caseworker may share with the partner; the partner sees only those
# chosen (journey.referrals.disclosure). Never gender identity, disability details, notes,
# grievances or anything else on the record.
SHAREABLE = ("name", "date_of_birth", "sex", "phone", "email", "language", "nationality")
SHAREABLE_TITLES = {"name": _l("Name"), "date_of_birth": _l("Date of birth"), "sex": _l("Sex"),
                    "phone": _l("Phone"), "email": _l("Email"), "language": _l("Language"),
                    "nationality": _l("Nationality")}
DEFAULT_SHARED = ("name", "language")


@dataclass(frozen=True)
class Transition:
    """One row of the table: an event moves a referral from some states to one state."""

    event: str
    sources: tuple[State, ...]
    target: State
    title: Any
    permission: str
    guards: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # fields the request must carry


TRANSITIONS: tuple[Transition, ...] = (
    Transition("send", (State.DRAFT,), State.SENT, _l("Send the referral"), "referrals:send",
               guards=("consent_share_providers", "service_active", "participant_active")),
    Transition("accept", (State.SENT,), State.ACCEPTED, _l("Accept"), "referrals:respond"),
    Transition("decline", (State.SENT,), State.DECLINED, _l("Decline"), "referrals:respond",
               required=("reason",)),
    Transition("start", (State.ACCEPTED,), State.IN_PROGRESS, _l("Start the service"),
               "referrals:respond"),
    # A progress note: the state stays (the first one from accepted starts the service).
    Transition("progress", (State.ACCEPTED, State.IN_PROGRESS), State.IN_PROGRESS,
               _l("Record progress"), "referrals:respond", required=("note",)),
    Transition("complete", (State.ACCEPTED, State.IN_PROGRESS), State.COMPLETED,
               _l("Report the outcome"), "referrals:respond",
               guards=("outcome_given",), required=("outcome",)),
    Transition("withdraw", (State.DRAFT, *OPEN_STATES), State.WITHDRAWN, _l("Withdraw"),
               "referrals:send", required=("reason",)),
    # The deadline scan's (no user): a sent referral not answered by its response deadline.
    Transition("expire", (State.SENT,), State.EXPIRED, _l("Expire"), "referrals:send"),
)
TRANSITIONS_BY_EVENT = {t.event: t for t in TRANSITIONS}
# The events a partner takes (pages and API); the rest are staff's.
PARTNER_EVENTS = ("accept", "decline", "start", "progress", "complete")
