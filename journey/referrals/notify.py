"""Who is told what when a referral moves (journey.referrals.services.apply_event calls
on_event after every step):

* sent: the migrant, by SMS or email in their language (where, the address and opening hours,
  what to bring; within the segment budget), and the partner (its users, or the service's email
  with a signed link when it has no account);
* accepted: the partner gets a signed link to report the outcome when it has no account;
* declined, completed, expired: the referring caseworker.

Messages go through the outbox (journey.messaging), never straight out, so they leave after
commit and are retried.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from journey.referrals.models import Referral

# event -> the functions told of it, in order (each: sess, referral, actor_id).
_HANDLERS: dict[str, tuple[Callable[..., None], ...]] = {}
TEMPLATES: tuple = ()


def on_event(sess: Session, referral: Referral, event: str, *, actor_id: int | None) -> None:
    for handler in _HANDLERS.get(event, ()):
        handler(sess, referral, actor_id=actor_id)
