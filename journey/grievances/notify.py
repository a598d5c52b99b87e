"""Keeping the complainant informed, in their language, on their channel, through the outbox:
the receipt with the tracking code, public updates, the resolution and how to appeal.

A participant is reached as every message reaches them (their channels, consent and opt-outs);
anyone else at the contact they gave, if any (a stranger's SMS has no consent record: they wrote
to us, and the reply goes to the number that wrote; STOP still stops it). Someone with no
channel, or a stranger who left no contact, is sent nothing (and nothing fails).

Each message is written once per cause: a public reply by its entry's id, a resolution by the
grievance's version when resolved (a reopened and resolved again grievance is told again), the
receipt by the grievance's id. An SMS complaint's receipt is the webhook's own reply
(``acknowledgement``), not an outbox message.

The shipped ``grievance_resolved`` SMS said only "Reply if you are not satisfied": it named no
appeal and no time limit. ``grievance_resolved_appeal`` (declared by the grievances domain) says
both: until when one may appeal (GRIEVANCE_APPEAL_DAYS after the resolution, the date the
``within_appeal_window`` guard allows) and how (reply, or call the helpline).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from journey.core.i18n import _l
from journey.grievances.models import Grievance
from journey.messaging.bridge import recipient_for
from journey.organisations.models import Office
from journey.participants.models import Participant
from notifications import segments
from notifications.hooks import Recipient
from notifications.outbox import enqueue
from notifications.templates import DATE, TEXT, Template, render

ACKNOWLEDGED = "grievance_acknowledged"
UPDATED = "grievance_updated"
RESOLVED = "grievance_resolved_appeal"

# date: the last day to appeal; phone: the helpline (the recipient's).
RESOLVED_TEMPLATE = Template(
    RESOLVED,
    _l("Your complaint %(reference)s is resolved. If you disagree, appeal by %(date)s: reply "
       "here or call %(phone)s."),
    _l("Your complaint is resolved"), {"reference": TEXT, "date": DATE},
    email=_l("Your complaint %(reference)s is resolved. If you are not satisfied, you can appeal "
             "until %(date)s: contact %(centre)s or call %(phone)s."))


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


def _local_date(r: Recipient | None, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(r.timezone if r else "UTC")).date()


def due_date(sess: Session, g: Grievance) -> date:
    """The resolution deadline as a date in the complainant's (else the office's) time zone."""
    return _local_date(recipient(sess, g), g.resolve_due_at)


def appeal_until(sess: Session, g: Grievance) -> date:
    """The last day the complainant may appeal the resolution, in their time zone."""
    days = current_app.config["GRIEVANCE_APPEAL_DAYS"]
    return _local_date(recipient(sess, g), g.resolved_at + timedelta(days=days))


def _send(sess: Session, g: Grievance, template: str, params: dict[str, Any],
          dedupe_key: str) -> int:
    r = recipient(sess, g)
    if r is None or not r.channels:
        return 0
    return enqueue(sess, r, template, params, dedupe_key=dedupe_key)


def acknowledgement(sess: Session, g: Grievance, code: str, language: str) -> str:
    """The receipt as one SMS text (the webhook's reply to an SMS complaint), in ``language``."""
    r = recipient(sess, g)
    params = dict(r.params) if r else {"name": "", "centre": current_app.config["CENTRE_NAME"],
                                       "phone": current_app.config["HELPLINE"]}
    params.update(reference=code, date=_local_date(r, g.resolve_due_at))
    return segments.normalise(render(ACKNOWLEDGED, language, params).sms)


def received(sess: Session, g: Grievance, code: str) -> int:
    """The receipt: the tracking code and the date a reply is due."""
    return _send(sess, g, ACKNOWLEDGED, {"reference": code, "date": due_date(sess, g)},
                 f"grievance-received:{g.id}")


def updated(sess: Session, g: Grievance, dedupe_key: str) -> int:
    """A public reply: the complainant is told there is news (its text is on the status page)."""
    return _send(sess, g, UPDATED, {"reference": g.tracking_code}, dedupe_key)


def resolved(sess: Session, g: Grievance) -> int:
    """The resolution, with until when and how to appeal."""
    return _send(sess, g, RESOLVED, {"reference": g.tracking_code,
                                     "date": appeal_until(sess, g)},
                 f"grievance-resolved:{g.id}:{g.version}")
