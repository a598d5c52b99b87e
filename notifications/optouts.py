"""Numbers that opted out of SMS (STOP, or the provider's error 21610) and back in (START)."""

from __future__ import annotations

from journey.core.db import utcnow
from notifications.hooks import hooks_for
from notifications.models import SmsOptOut


def record_opt_out(sess, phone: str | None, source: str, participant_id: int | None) -> None:
    """Remember that a number opted out, once, and tell the domains."""
    if not phone:
        return
    if sess.get(SmsOptOut, phone) is None:
        sess.add(SmsOptOut(phone=phone, source=source, opted_out_at=utcnow()))
        sess.flush()
    hooks_for().on_opt_change(sess, participant_id, True)


def record_opt_in(sess, phone: str, participant_id: int | None) -> None:
    existing = sess.get(SmsOptOut, phone)
    if existing is not None:
        sess.delete(existing)
        sess.flush()
    hooks_for().on_opt_change(sess, participant_id, False)
