"""The outbox, inbound messages, SMS opt-outs and campaigns.

Message states: queued → sending → sent → delivered, or deferred (quiet hours, retry back-off),
failed, undelivered, and skipped with a reason. ``sending`` means "handed to the provider, or
about to be": a worker writes it immediately before the call. Neither a provider's callbacks
(they arrive out of order) nor the worker ever move a message backwards.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from journey.core.crypto import BlindIndex, EncryptedText, keep_blind_index
from journey.core.db import UTCDateTime, enum_check


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Status(enum.StrEnum):
    QUEUED = "queued"
    DEFERRED = "deferred"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    SKIPPED = "skipped"


# How far along a message is; a callback that would lower the rank is ignored.
STATUS_RANK = {
    Status.QUEUED: 0, Status.DEFERRED: 0, Status.SENDING: 1, Status.SENT: 2,
    Status.DELIVERED: 3, Status.UNDELIVERED: 3, Status.FAILED: 3, Status.SKIPPED: 3,
}
DUE_STATUSES = (Status.QUEUED.value, Status.DEFERRED.value)


class SkipReason(enum.StrEnum):
    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"
    NO_PHONE = "no_phone"
    NO_EMAIL = "no_email"
    INVALID_NUMBER = "invalid_number"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        enum_check("channel", Channel),
        enum_check("status", Status),
        enum_check("skip_reason", SkipReason),
        sa.CheckConstraint("(status = 'skipped') = (skip_reason IS NOT NULL)", name="skip_has_reason"),
        sa.Index("ix_outbox_messages_due", "status", "not_before", "id"),
        sa.Index("ix_outbox_messages_participant", "participant_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int | None = Field(default=None, foreign_key="participants.id")
    channel: str = Field(max_length=10)
    template: str = Field(max_length=60)
    language: str = Field(max_length=16)
    # The address at the time of queuing (personal data: never logged). The address and the texts
    # are encrypted at rest (journey.core.crypto), so none of them can be compared in SQL.
    recipient: str | None = Field(default=None, sa_type=EncryptedText("outbox_messages.recipient"))
    timezone: str = Field(max_length=64)
    subject: str | None = Field(default=None, sa_type=EncryptedText("outbox_messages.subject"))
    body: str = Field(sa_type=EncryptedText("outbox_messages.body"), nullable=False)
    html: str | None = Field(default=None, sa_type=EncryptedText("outbox_messages.html"))
    urgent: bool = Field(default=False)
    status: str = Field(default=Status.QUEUED.value, max_length=20)
    skip_reason: str | None = Field(default=None, max_length=20)
    not_before: datetime = Field(sa_type=UTCDateTime, nullable=False)
    attempts: int = Field(default=0)
    last_error_code: str | None = Field(default=None, max_length=40)
    provider_id: str | None = Field(default=None, max_length=64, unique=True)
    segments: int | None = None
    encoding: str | None = Field(default=None, max_length=10)
    cost: Decimal | None = Field(default=None, sa_type=sa.Numeric(10, 4))
    # One message per cause: a journey event, a reminder offset, a campaign recipient.
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True)
    # A worker's lease on a due message it is about to send (notifications.dispatcher):
    # the message stays queued or deferred, so if the worker dies before the provider call the
    # message goes back to the queue by itself when claimed_until passes.
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """An SMS a person sent us. Texts from unknown numbers wait here for triage."""

    __tablename__ = "inbound_messages"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str | None = Field(default=None, max_length=64, unique=True)
    # Sender and text are encrypted at rest; texts from a number are found through sender_index.
    sender: str = Field(sa_type=EncryptedText("inbound_messages.sender"), nullable=False)
    sender_index: str | None = Field(default=None, sa_type=BlindIndex("sender", "phone"), index=True)
    body: str = Field(sa_type=EncryptedText("inbound_messages.body"), nullable=False)
    participant_id: int | None = Field(default=None, foreign_key="participants.id", index=True)
    keyword: str | None = Field(default=None, max_length=30)  # what the router made of it
    needs_attention: bool = Field(default=False, index=True)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Who dealt with it and when: answered or marked handled, or (a text from an unknown number)
    # dismissed at triage, with dismissed_reason. handled_by is a user id (no foreign key: the
    # column is added without recreating the table).
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handled_by: int | None = None
    dismissed_reason: str | None = Field(default=None, max_length=20)


class SmsOptOut(SQLModel, table=True):
    """Numbers that sent STOP (or that the provider reports as opted out)."""

    __tablename__ = "sms_opt_outs"

    phone: str = Field(primary_key=True, max_length=16)
    # The phone's keyed blind index, which participants.phone_index matches (participants' phones
    # are encrypted, so they cannot be joined on the number itself).
    phone_index: str | None = Field(default=None, sa_type=BlindIndex("phone"), index=True)
    source: str = Field(max_length=30)  # "keyword", "provider-21610"
    opted_out_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


keep_blind_index(InboundMessage, "sender_index")
keep_blind_index(SmsOptOut, "phone_index")


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    template: str = Field(max_length=60)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    recipients: int = Field(default=0)
    skipped: int = Field(default=0)


# Message counts for the statistics (notifications.stats): a rollup per key plus the deltas that
# database triggers append on every change to the outbox, folded in by a scheduled compaction.
# office_id is the participant's office (NULL: no participant). No foreign key on purpose: every
# status change would otherwise lock its office's row, the one hot row the deltas avoid.


class MessageStat(SQLModel, table=True):
    """Messages per (office, channel, language, status), as of the last compaction."""

    __tablename__ = "message_stats"
    __table_args__ = (sa.UniqueConstraint("office_id", "channel", "language", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int | None = None
    channel: str = Field(max_length=10)
    language: str = Field(max_length=16)
    status: str = Field(max_length=20)
    messages: int


class MessageStatDelta(SQLModel, table=True):
    """A change to one key's count (+n, -n), appended by a trigger; compaction folds it in."""

    __tablename__ = "message_stat_deltas"

    # 64-bit on PostgreSQL: a busy outbox appends thousands a second, forever (SQLite's rowid
    # is 64-bit already).
    id: int | None = Field(default=None, sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True))
    office_id: int | None = None
    channel: str = Field(max_length=10)
    language: str = Field(max_length=16)
    status: str = Field(max_length=20)
    delta: int
