"""What the partner is told, by email (owner: helper "partner").

tell_partner(sess, referral, kind, *, actor_id) with kind one of:
* "new": a referral was sent to it;
* "reminder": half its response time is gone and it has not answered (the deadline scan);
* "outcome_link": it accepted through a signed link, and gets the link to report the outcome.

Its active partner users are emailed (in their language) with a link to the referral's page; a
provider with no active partner user gets a signed link (journey.referrals.links) at the
service's email, else the provider's. Returns how many emails were queued.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from journey.referrals.models import Referral

KINDS = ("new", "reminder", "outcome_link")
TEMPLATES: tuple = ()


def tell_partner(sess: Session, referral: Referral, kind: str, *, actor_id: int | None) -> int:
    raise NotImplementedError("helper 'partner' implements this")
