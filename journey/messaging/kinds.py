"""The timeline entries messaging records: texts received, numbers opting out or back in."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from journey.core.domains import TimelineKind


class MessageKind(enum.StrEnum):
    MESSAGE_RECEIVED = "message_received"
    SMS_OPTED_OUT = "sms_opted_out"
    SMS_OPTED_IN = "sms_opted_in"


# "message" entries are not recorded: the provider (journey.messaging.timeline) reads the outbox.
TIMELINE_KINDS = (
    TimelineKind(MessageKind.MESSAGE_RECEIVED.value, _l("Message received")),
    TimelineKind(MessageKind.SMS_OPTED_OUT.value, _l("Stopped text messages")),
    TimelineKind(MessageKind.SMS_OPTED_IN.value, _l("Restarted text messages")),
    TimelineKind("message", _l("Message sent")),
)
