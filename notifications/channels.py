"""The outside services messages go through, each behind a small Protocol.

Real implementations: Twilio for SMS (notifications/sms.py), SMTP for email
(notifications/email.py). Development and tests without credentials use the console/file
backends, chosen by configuration in ``notifications.channels.build_senders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
