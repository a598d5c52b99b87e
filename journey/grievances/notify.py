"""Keeping the complainant informed, in their language, on their channel, through the outbox:
the receipt with the tracking code, public updates, the resolution and how to appeal.

A participant is reached as every message reaches them (their channels, consent and opt-outs);
anyone else at the contact they gave, if any (a stranger's SMS has no consent record: they wrote
to us, and the reply goes to the number that wrote; STOP still stops it).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from journey.grievances.models import Grievance
from journey.messaging.bridge import recipient_for
from journey.organisations.models import Office
from journey.participants.models import Participant
from notifications.hooks import Recipient
from notifications.outbox import enqueue


def recipient(sess: Session, g: Grievance) -> Recipient | None:
    """Whom messages about the grievance go to, or None when the complainant left no contact."""
    if g.participant_id is not None:
        p = sess.get(Participant, g.participant_id)
        if p is None:
            return None
        r = recipient_for(sess, p)
        return Recipient(**{**r.__dict__, "language": g.language or r.language})
    channels = tuple(c for c, address in (("sms", g.contact_phone), ("email", g.contact_email))
                     if address)
    if not channels:
        return None
    office = sess.get(Office, g.office_id)
    return Recipient(participant_id=None, phone=g.contact_phone, email=g.contact_email,
                     language=g.language, fallback_language=None,
                     timezone=office.timezone if office else "UTC", channels=channels,
                     params={"name": "", "centre": office.name if office else
                             current_app.config["CENTRE_NAME"],
                             "phone": current_app.config["HELPLINE"]})


def due_date(sess: Session, g: Grievance) -> date:
    """The resolution deadline as a date in the office's time zone."""
    r = recipient(sess, g)
    return g.resolve_due_at.astimezone(ZoneInfo(r.timezone if r else "UTC")).date()


def _send(sess: Session, g: Grievance, template: str, params: dict[str, Any],
          dedupe_key: str | None = None) -> int:
    r = recipient(sess, g)
    if r is None:
        return 0
    return enqueue(sess, r, template, params, dedupe_key=dedupe_key)


def received(sess: Session, g: Grievance, code: str) -> int:
    """The receipt: the tracking code and the date a reply is due."""
    return _send(sess, g, "grievance_acknowledged", {"reference": code,
                                                      "date": due_date(sess, g)})


def updated(sess: Session, g: Grievance, dedupe_key: str | None = None) -> int:
    return _send(sess, g, "grievance_updated", {"reference": g.tracking_code}, dedupe_key)


def resolved(sess: Session, g: Grievance) -> int:
    return _send(sess, g, "grievance_resolved", {"reference": g.tracking_code},
                 f"grievance-resolved:{g.id}:{g.version}")
