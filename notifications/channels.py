"""The outside services messages go through, each behind a small Protocol.

Real implementations: Twilio for SMS (notifications/sms.py), SMTP for email
(notifications/email.py). Development and tests without credentials use the console/file
backends, chosen by configuration in ``notifications.channels.build_senders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    message_id: int  # our outbox id, echoed back in the status callback URL


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    language: str
    rtl: bool = False
    message_id: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    """What a provider said: its id for the message, or an error code and whether to retry."""

    ok: bool
    provider_id: str | None = None
    status: str = "sent"  # "sent", or the provider's own first status ("queued", "accepted")
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    opted_out: bool = False  # the provider says the recipient has opted out (Twilio 21610)
    invalid_number: bool = False


class SmsSender(Protocol):
    """Sends one SMS; never raises for a provider's refusal, returns it in the result."""

    def send(self, message: SmsMessage) -> SendResult: ...


class EmailSender(Protocol):
    """Sends one email; never raises for a server's refusal, returns it in the result."""

    def send(self, message: EmailMessage) -> SendResult: ...


@dataclass(frozen=True)
class SentRecord:
    """One message a provider has on record for a number (for reconciliation)."""

    provider_id: str
    status: str  # the provider's status: "queued", "sent", "delivered", "undelivered", "failed" …
    body: str | None
    sent_at: datetime | None = None  # when the provider sent it (None: not yet)
    error_code: str | None = None
    message_id: int | None = None  # our outbox id, when the provider's record carries it


class LookupFailed(Exception):
    """The provider could not be asked (unreachable, refused, an error): try again later.

    ``transient`` is False when the provider refused this one question (a 4xx other than 429),
    so asking about other messages may still work."""

    def __init__(self, code: str, *, transient: bool = True) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class SentLookup(Protocol):
    """Finds the messages a provider sent to one number in a time window, newest first.

    Raises LookupFailed when the provider cannot answer; never returns a partial answer silently:
    at most ``limit`` records come back, and a caller that gets ``limit`` may be missing some."""

    def find_sent(self, to: str, after: datetime, before: datetime, *,
                  limit: int = 100) -> list[SentRecord]: ...
