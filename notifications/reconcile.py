"""Reconciliation: settles messages whose outcome is unknown by asking the provider what it sent.

A worker that dies between handing a message to the provider and recording the answer leaves it
``failed`` with ``last_error_code='outcome-unknown'`` (notifications.dispatcher.recover_stale):
resending it could send it twice, forgetting it could lose it. The provider knows. For each such
SMS we ask for the messages it sent to that number between the moment the message became due and
a window after it was marked unknown (``RECONCILE_WINDOW_SECONDS``: how long the provider may
still hold a message in its queue before sending it), and match on our message id where the
provider's record carries it (the console backend) or else on the exact text:

* one match: the message was sent; it takes the provider's status (sent, delivered, undelivered,
  failed) and id.
* several matches: the provider sent that text to that number more than once in the window, so
  which one is ours cannot be told; ``outcome-ambiguous``, for a person.
* no match while the window is open: asked again later (the provider may merely be slow; a message
  still in its queue has no send date yet and is in no list).
* no match once the window has closed: it was not sent. A message still timely (queued less than
  ``RECONCILE_RESEND_WITHIN_HOURS`` ago) goes back to the queue, so the person gets it after all
  (consent, opt-outs and quiet hours are checked again at send time); an older one, whose news may
  have gone stale (a reminder of an appointment that has passed), stays failed as ``not-sent`` for
  a caseworker to decide.
* the provider cannot be asked: left as it is, asked again later.

Email cannot be settled this way (an SMTP server keeps no list to ask), so it is left for a person.

Every settlement is a conditional UPDATE (still failed and outcome-unknown), so two reconcilers,
or a late status callback, never settle a message twice; each is audited with ids and codes only.
Nothing here logs a number or a text.
"""

from __future__ import annotations

import enum
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from notifications.channels import LookupFailed, SentLookup, SentRecord
from notifications.models import Channel, OutboxMessage, Status

logger = logging.getLogger(__name__)
_T = OutboxMessage.__table__

OUTCOME_UNKNOWN = "outcome-unknown"
AMBIGUOUS = "outcome-ambiguous"
NOT_SENT = "not-sent"
AUDIT_ACTION = "messaging:message:reconcile"

# The provider's statuses, as the outbox records them once a message is known to have reached it.
_PROVIDER_STATUS = {
    "delivered": Status.DELIVERED, "read": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED, "canceled": Status.FAILED,
}


class Outcome(enum.StrEnum):
    SENT = "sent"  # found at the provider: its status and id recorded
    REQUEUED = "requeued"  # not sent, and still timely: queued to be sent again
    NOT_SENT = "not_sent"  # not sent, and too old to resend: failed (not-sent) for a person
    AMBIGUOUS = "ambiguous"  # more than one of the provider's messages fits: for a person
    WAITING = "waiting"  # not found while the provider may still send it: asked again later
    PROVIDER_ERROR = "provider_error"  # the provider could not be asked: asked again later
    NEEDS_PERSON = "needs_person"  # email: nothing to ask
    CHANGED = "changed"  # settled meanwhile by someone else (a callback, another reconciler)


SETTLED = frozenset({Outcome.SENT, Outcome.REQUEUED, Outcome.NOT_SENT, Outcome.AMBIGUOUS})


def is_outcome_unknown() -> sa.ColumnElement[bool]:
    """The SQL condition for a message whose outcome is unknown."""
    return sa.and_(_T.c.status == Status.FAILED.value, _T.c.last_error_code == OUTCOME_UNKNOWN)


@dataclass(frozen=True)
class Settings:
    window: timedelta = timedelta(hours=4)
    resend_within: timedelta = timedelta(hours=48)
    skew: timedelta = timedelta(minutes=5)  # our clock against the provider's
    limit: int = 50  # records asked for per message; a full answer may be missing older ones

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Settings:
        return cls(window=timedelta(seconds=cfg.get("RECONCILE_WINDOW_SECONDS", 14400)),
                   resend_within=timedelta(hours=cfg.get("RECONCILE_RESEND_WITHIN_HOURS", 48)))


@dataclass(frozen=True)
class Pending:
    """An outcome-unknown message, as reconciliation needs it (the address and text decrypted)."""

    id: int
    channel: str
    recipient: str | None
    body: str
    created_at: datetime
    due_at: datetime  # it cannot have been sent before it was due
    unknown_at: datetime  # when it was marked outcome-unknown: it was handed over before
    office_id: int | None = None  # for the audit trail

    @classmethod
    def of(cls, msg: OutboxMessage, office_id: int | None = None) -> Pending:
        return cls(id=msg.id, channel=msg.channel, recipient=msg.recipient, body=msg.body,
                   created_at=msg.created_at, due_at=msg.not_before, unknown_at=msg.updated_at,
                   office_id=office_id)

    def window(self, settings: Settings) -> tuple[datetime, datetime]:
        """The send times to ask the provider about."""
        return (min(self.due_at, self.created_at) - settings.skew,
                self.unknown_at + settings.window + settings.skew)


@dataclass(frozen=True)
class Verdict:
    message_id: int
    outcome: Outcome
    status: str | None = None  # the message's status afterwards
    error_code: str | None = None  # the provider's error, or why nothing was settled
    provider_id: str | None = None


def ask(sender: SentLookup, item: Pending, settings: Settings) -> list[SentRecord]:
    """What the provider sent to the message's number in its window (raises LookupFailed)."""
    after, before = item.window(settings)
    return sender.find_sent(item.recipient or "", after, before, limit=settings.limit)


def _taken(sess: Session, item: Pending, records: Iterable[SentRecord]) -> set[str]:
    """The provider ids among ``records`` that other outbox messages already hold."""
    sids = [r.provider_id for r in records if r.provider_id]
    if not sids:
        return set()
    return set(sess.execute(sa.select(_T.c.provider_id).where(
        _T.c.provider_id.in_(sids), _T.c.id != item.id)).scalars())


# A provider may store a text with typographic punctuation replaced by its GSM-7 look-alike
# (Twilio's Smart Encoding) and spacing trimmed; the comparison forgives exactly that.
_LOOK_ALIKES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                              "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " "})


def _comparable(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").translate(_LOOK_ALIKES).split())


def _match(item: Pending, records: list[SentRecord], taken: set[str],
           settings: Settings) -> list[SentRecord]:
    by_id = [r for r in records if r.message_id == item.id]
    if by_id:
        return by_id[:1]
    # Twilio documents its DateSent filters by day: a same text sent the day before may come
    # back too, and must not pass for ours.
    after, before = item.window(settings)
    text = _comparable(item.body)
    return [r for r in records if r.message_id is None and r.provider_id not in taken
            and (r.sent_at is None or after <= r.sent_at <= before)
            and _comparable(r.body) == text]


def decide(item: Pending, answer: list[SentRecord] | LookupFailed, *, taken: set[str],
           now: datetime, settings: Settings) -> tuple[Verdict, dict[str, Any]]:
    """The verdict on one message and the values to write (none when nothing is settled)."""
    if item.channel != Channel.SMS or not item.recipient:  # email, or an erased address
        return Verdict(item.id, Outcome.NEEDS_PERSON, Status.FAILED.value, OUTCOME_UNKNOWN), {}
    if isinstance(answer, LookupFailed):
        return Verdict(item.id, Outcome.PROVIDER_ERROR, Status.FAILED.value, answer.code), {}
    matches = _match(item, answer, taken, settings)
    if len(matches) == 1:
        found = matches[0]
        status = _PROVIDER_STATUS.get(found.status, Status.SENT)
        error = found.error_code or (found.status if status == Status.FAILED else None)
        sent_at = found.sent_at or item.unknown_at
        values: dict[str, Any] = {"status": status.value, "sent_at": sent_at,
                                  "last_error_code": error}
        if found.provider_id and found.provider_id not in taken:
            values["provider_id"] = found.provider_id
        if status == Status.DELIVERED:
            values["delivered_at"] = sent_at
        return Verdict(item.id, Outcome.SENT, status.value, error, values.get("provider_id")), values
    if matches or len(answer) >= settings.limit:
        # Two of the provider's messages fit (or the answer was cut short, so one might).
        code = "several-matches" if matches else "too-many-records"
        return (Verdict(item.id, Outcome.AMBIGUOUS, Status.FAILED.value, code),
                {"last_error_code": AMBIGUOUS})
    if now < item.unknown_at + settings.window:
        return Verdict(item.id, Outcome.WAITING, Status.FAILED.value, OUTCOME_UNKNOWN), {}
    if now - item.created_at <= settings.resend_within:
        return (Verdict(item.id, Outcome.REQUEUED, Status.QUEUED.value, NOT_SENT),
                {"status": Status.QUEUED.value, "not_before": now, "claimed_by": None,
                 "last_error_code": NOT_SENT})
    return (Verdict(item.id, Outcome.NOT_SENT, Status.FAILED.value, NOT_SENT),
            {"last_error_code": NOT_SENT})


def conclude(sess: Session, item: Pending, answer: list[SentRecord] | LookupFailed, *,
             now: datetime, settings: Settings, actor_id: int | None) -> Verdict:
    """Decide one message from the provider's answer and record it, in ``sess``; never commits."""
    taken = _taken(sess, item, answer) if isinstance(answer, list) else set()
    verdict, values = decide(item, answer, taken=taken, now=now, settings=settings)
    if not values:
        return verdict
    changed = sess.connection().execute(
        _T.update().where(_T.c.id == item.id, is_outcome_unknown())
        .values(**values, updated_at=now)).rowcount
    if not changed:
        return Verdict(item.id, Outcome.CHANGED)
    audit.record(sess, AUDIT_ACTION, actor_id=actor_id, object_type="outbox_message",
                 object_id=item.id, office_id=item.office_id, outcome=verdict.outcome.value,
                 status=verdict.status, error_code=verdict.error_code)
    logger.info("reconcile: message %s %s (%s)", item.id, verdict.outcome, verdict.error_code or "-")
    return verdict


def reconcile(sess: Session, sender: SentLookup, items: Iterable[Pending], *, now: datetime,
              settings: Settings, actor_id: int | None) -> list[Verdict]:
    """Ask about and settle each message in ``sess`` (a request's session; never commits).

    After the provider fails in a way that another question would meet too (unreachable, a 5xx,
    429), the rest are not asked: one timeout, not one per message."""
    verdicts: list[Verdict] = []
    unavailable: LookupFailed | None = None
    for item in items:
        answer: list[SentRecord] | LookupFailed
        if item.channel != Channel.SMS or not item.recipient:
            answer = []
        elif unavailable is not None:
            answer = unavailable
        else:
            try:
                answer = ask(sender, item, settings)
            except LookupFailed as exc:
                answer = exc
                if exc.transient:
                    unavailable = exc
        verdicts.append(conclude(sess, item, answer, now=now, settings=settings,
                                 actor_id=actor_id))
    return verdicts
