"""Reading grievances: one record (masked or not, the read audited) and filtered lists with
their totals. Lists, counts and search obey journey.grievances.access like single records: a
masked row shows no one's name, and a search by name never matches it.

Lists never decrypt: no description or summary appears in a list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.grievances import access
from journey.grievances.models import Grievance, GrievanceEntry
from journey.grievances.sla import mark_seen
from journey.participants.models import Participant

_G = Grievance.__table__
_P = Participant.__table__

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The columns a list shows; the identifying ones are blanked on masked rows.
LIST_COLUMNS = ("id", "reference", "office_id", "state", "category", "severity",
                "confidentiality", "channel", "sla_status", "received_at", "ack_due_at",
                "resolve_due_at", "assignee_id", "participant_id", "against_kind",
                "against_employer_id", "against_recruiter_id", "appeal_of_id", "version")
_IDENTIFYING = ("category", "participant_id", "against_kind", "against_employer_id",
                "against_recruiter_id", "appeal_of_id", "participant_name")


def read(sess: Session, user: User, grievance_id: int, now: datetime | None = None
         ) -> tuple[Grievance, bool]:
    """The grievance and whether this user sees it unmasked; the read is audited either way.
    Opening it marks the user's escalations of it seen (journey.grievances.sla)."""
    g = access.load(sess, user, grievance_id)
    full = access.sees_full(sess, user, g, now)
    mark_seen(sess, user, grievance_id=g.id, now=now)
    audit.record(sess, "grievances:grievance:read", actor_id=user.id, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, masked=not full,
                 **({"participant_id": g.participant_id} if full and g.participant_id else {}))
    return g, full


def entries(sess: Session, g: Grievance, *, public_only: bool = False) -> list[GrievanceEntry]:
    query = sa.select(GrievanceEntry).where(GrievanceEntry.grievance_id == g.id)
    if public_only:
        query = query.where(GrievanceEntry.public.is_(True))
    return list(sess.scalars(query.order_by(GrievanceEntry.created_at, GrievanceEntry.id)))


def listing(sess: Session, user: User, *, state: list[str] | None = None,
            category: str | None = None, severity: str | None = None,
            sla_status: str | None = None, office_id: int | None = None,
            participant_id: int | None = None, assignee_id: int | None = None,
            q: str | None = None, open_only: bool = False, limit: int = DEFAULT_LIMIT,
            offset: int = 0, now: datetime | None = None, audited: bool = True
            ) -> dict[str, Any]:
    """Grievances in the user's scope, newest first, with the total; masked rows blanked.

    ``participant_id``, ``category`` and ``q`` (a reference, or a participant's name) only match
    rows the user sees in full: filtering by a person must not reveal a restricted grievance about them.
    """
    access.require_read(user)
    now = now or utcnow()
    full = access.full_view(user, now)
    where = [access.scope(user)]
    if state:
        where.append(_G.c.state.in_(state))
    if open_only:
        where.append(_G.c.state.in_(["received", "acknowledged", "in_review", "waiting"]))
    if category is not None:  # a masked row's category is not shown, so not matched either
        where.extend([_G.c.category == category, full])
    for column, value in (("severity", severity),
                          ("sla_status", sla_status), ("office_id", office_id),
                          ("assignee_id", assignee_id)):
        if value is not None:
            where.append(_G.c[column] == value)
    if participant_id is not None:
        where.extend([_G.c.participant_id == participant_id, full])
    text = (q or "").strip().lower()
    if text:
        where.append(sa.or_(
            sa.func.lower(_G.c.reference) == text,
            sa.and_(full, _P.c.search_text.contains(text, autoescape=True))))
    base = _G.outerjoin(_P, _P.c.id == _G.c.participant_id)
    total = sess.scalar(sa.select(sa.func.count()).select_from(base).where(*where))
    limit = max(1, min(limit, MAX_LIMIT))
    rows = sess.execute(
        sa.select(*(_G.c[name] for name in LIST_COLUMNS),
                  (_P.c.given_name + " " + _P.c.family_name).label("participant_name"),
                  full.label("full"))
        .select_from(base).where(*where)
        .order_by(_G.c.received_at.desc(), _G.c.id.desc()).limit(limit).offset(offset)
    ).mappings().all()
    items = []
    for row in rows:
        item = {k: v for k, v in row.items() if k != "full"}
        if row["full"]:
            item["masked"] = False
        else:
            item.update({name: None for name in _IDENTIFYING}, masked=True)
        items.append(item)
    if audited:  # a list names people and what they complained about, like a read
        audit.record(sess, "grievances:grievance:list", actor_id=user.id,
                     object_type="grievance", office_id=user.office_id,
                     ids=[item["id"] for item in items], total=total)
    return {"items": items, "total": total, "limit": limit, "offset": offset}
