"""The "Timeline" section of a participant's record page: every entry newest first, each message
with its channel and delivery status in words, and the person's replies in full.

Kept light for long records: the timeline is read once (journey.core.timeline.entries), a page
of PAGE_SIZE entries is cut from it, and what that page shows beyond the entries (the replies'
texts, failed messages' error codes, users' names) is read in one query each. Showing replies
is a read of their texts, so it is audited.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from journey.core import audit, timeline
from journey.core.auth import User
from journey.core.domains import Section
from journey.core.policy import allowed
from journey.messaging.kinds import MessageKind
from journey.messaging.pages import problem_text
from notifications.models import InboundMessage, OutboxMessage

PAGE_SIZE = 100
PAGE_ARG = "timeline_page"
_IN = InboundMessage.__table__
_OUT = OutboxMessage.__table__
_PROBLEMS = ("failed", "undelivered")
_USERS = User.__table__


def status_titles() -> dict[str, str]:
    return {"queued": _("Queued"), "deferred": _("Waiting (quiet hours or retry)"),
            "sending": _("Being sent"), "sent": _("Sent"), "delivered": _("Delivered"),
            "failed": _("Failed"), "undelivered": _("Not delivered"), "skipped": _("Not sent")}


def skip_text(reason: str | None) -> str:
    """Why a message was not sent, for a caseworker."""
    known = {"no_consent": _("The person has not consented to updates."),
             "opted_out": _("The number sent STOP."),
             "no_phone": _("No phone number recorded."),
             "no_email": _("No email address recorded."),
             "invalid_number": _("The phone number is not valid.")}
    return known.get(reason or "", reason or "")


def _page() -> int:
    raw = request.args.get(PAGE_ARG, "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) else 1


def _replies(sess: Session, ids: list[int], participant_id: int) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = sess.execute(sa.select(_IN.c.id, _IN.c.body, _IN.c.needs_attention, _IN.c.handled_at,
                                  _IN.c.handled_by, _IN.c.dismissed_reason)
                        .where(_IN.c.id.in_(ids), _IN.c.participant_id == participant_id))
    return {r.id: dict(r._mapping) for r in rows}


def _error_codes(sess: Session, ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    return dict(sess.execute(sa.select(_OUT.c.id, _OUT.c.last_error_code)
                             .where(_OUT.c.id.in_(ids))).all())


def _usernames(sess: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(sess.execute(sa.select(_USERS.c.id, _USERS.c.username)
                             .where(_USERS.c.id.in_(sorted(ids)))).all())


def build(sess: Session, user: User, participant: Any, page: int = 1) -> dict[str, Any]:
    """One page of the participant's timeline, newest first, ready to show."""
    everything = timeline.entries(sess, participant)
    everything.reverse()
    total = len(everything)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    shown = everything[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    received = MessageKind.MESSAGE_RECEIVED.value
    reply_ids = [e["data"]["inbound_id"] for e in shown
                 if e["kind"] == received and e["data"].get("inbound_id")]
    replies = _replies(sess, reply_ids, participant.id)
    codes = _error_codes(sess, [e["id"] for e in shown if e["kind"] == "message"
                                and e["data"].get("status") in _PROBLEMS])
    users = _usernames(sess, {e["actor_id"] for e in shown if e.get("actor_id")}
                       | {r["handled_by"] for r in replies.values() if r["handled_by"]})
    reg = timeline.registry()
    items = []
    for e in shown:
        item = {"kind": e["kind"], "title": reg.title(e["kind"]), "at": e["occurred_at"],
                "actor": users.get(e.get("actor_id")), "reason": e.get("reason"),
                "data": e["data"], "reply": None}
        if e["kind"] == "message":
            d = e["data"]
            item["status"] = d.get("status")
            item["why"] = (skip_text(d.get("skip_reason")) if d.get("status") == "skipped"
                           else problem_text(codes.get(e["id"]))
                           if d.get("status") in _PROBLEMS else "")
        elif e["kind"] == received:
            reply = replies.get(e["data"].get("inbound_id"))
            if reply is not None:
                reply["handled_by_name"] = users.get(reply["handled_by"])
                item["reply"] = reply
        items.append(item)
    if replies:
        audit.record(sess, "messaging:inbound:read", actor_id=user.id, object_type="participant",
                     object_id=participant.id, office_id=participant.office_id,
                     shown=len(replies))
    return {"items": items, "total": total, "page": page, "pages": pages,
            "statuses": status_titles(), "can_reply": allowed(user, "messages:reply"),
            "page_arg": PAGE_ARG}


def timeline_section(sess: Session, user: User, participant: Any) -> Section | None:
    """The record page's Timeline (staff who may read messages)."""
    if not allowed(user, "messages:read"):
        return None
    return Section("timeline", _l("Timeline"), "messaging/timeline_section.html",
                   build(sess, user, participant, _page()), order=80)
