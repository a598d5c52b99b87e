"""What a partner sees of a referral: the referral itself (service, urgency, reason, deadlines,
its history without the caseworker's internal notes) and, of the person, only the fields the
caseworker shared (Referral.shared_fields, from journey.referrals.states.SHAREABLE).

One function for the API, the partner's pages and the signed link, so the three cannot drift.
Values are read from the record now (a phone number corrected since is the one that works).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.participants.models import Participant
from journey.referrals.models import DirectoryService, Referral, ReferralEvent
from journey.referrals.states import SHAREABLE


def shared_person(participant: Participant | None, fields: list[str]) -> dict[str, Any]:
    """The shared fields of the person, and nothing else (None when erased or not shared)."""
    out: dict[str, Any] = {}
    chosen = [f for f in SHAREABLE if f in set(fields)]
    for field in chosen:
        if participant is None or participant.erased_at is not None:
            out[field] = None
        elif field == "name":
            out[field] = f"{participant.given_name} {participant.family_name}".strip()
        else:
            out[field] = getattr(participant, field)
    return out


def partner_events(sess: Session, referral_id: int) -> list[dict[str, Any]]:
    """The referral's history as the partner sees it: the steps, and only the notes meant for
    the partner."""
    rows = sess.scalars(sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
                        .order_by(ReferralEvent.id))
    return [{"kind": e.kind, "to_state": e.to_state, "reason": e.reason,
             "note": e.note if e.partner_visible else None, "at": e.at} for e in rows]


def for_partner(sess: Session, referral: Referral) -> dict[str, Any]:
    """The referral as its partner may see it."""
    service = sess.get(DirectoryService, referral.service_id)
    participant = sess.get(Participant, referral.participant_id)
    return {
        "id": referral.id, "reference": referral.reference, "state": referral.state,
        "urgency": referral.urgency, "service_id": referral.service_id,
        "service_name": service.name if service else None,
        "provider_id": referral.provider_id, "reason": referral.reason,
        "shared_fields": [f for f in SHAREABLE if f in set(referral.shared_fields)],
        "person": shared_person(participant, referral.shared_fields),
        "sent_at": referral.sent_at, "response_due_at": referral.response_due_at,
        "complete_due_at": referral.complete_due_at, "accepted_at": referral.accepted_at,
        "decline_reason": referral.decline_reason, "outcome": referral.outcome,
        "outcome_reason": referral.outcome_reason, "closed_at": referral.closed_at,
        "version": referral.version,
        "events": partner_events(sess, referral.id),
    }
