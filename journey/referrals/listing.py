"""Lists of referrals and what each reader may do next: the API's and the pages' paged,
filtered, audited list (search), overdue as one SQL condition and its Python twin, the steps a
user's role may take from a state, and one referral's body with them (view, with_steps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.pagination import paginate
from journey.core.policy import allowed, office_scope, require
from journey.organisations.services import check_office_filter
from journey.participants.models import Participant
from journey.referrals import disclosure
from journey.referrals.access import is_partner
from journey.referrals.models import DirectoryService, Referral
from journey.referrals.services import list_query, staff_view
from journey.referrals.states import (
    PARTNER_EVENTS,
    TRANSITIONS_BY_EVENT,
    WORKING_STATES,
    State,
)

_SORT_COLUMNS = {"id": Referral.id, "created_at": Referral.created_at,
                 "sent_at": Referral.sent_at, "response_due_at": Referral.response_due_at,
                 "complete_due_at": Referral.complete_due_at}
_WORKING = tuple(s.value for s in WORKING_STATES)


def overdue_clause(now: datetime) -> sa.ColumnElement[bool]:
    """Open, and past its deadline: a sent referral not answered by response_due_at, or an
    accepted or started one not completed by complete_due_at."""
    return sa.or_(sa.and_(Referral.state == State.SENT.value, Referral.response_due_at < now),
                  sa.and_(Referral.state.in_(_WORKING), Referral.complete_due_at < now))


def is_overdue(view: Any, now: datetime) -> bool:
    """overdue_clause for one referral (a row, or a view dict with the same keys)."""
    get = view.get if isinstance(view, dict) else lambda k: getattr(view, k)
    state = get("state")
    if state == State.SENT.value:
        due = get("response_due_at")
    elif state in _WORKING:
        due = get("complete_due_at")
    else:
        return False
    return due is not None and due < now


def available_steps(user: User, state: str) -> list[str]:
    """The steps of the table this user may take from this state (a partner: its own)."""
    partner = is_partner(user)
    return [t.event for t in TRANSITIONS_BY_EVENT.values()
            if t.event != "expire" and State(state) in t.sources and allowed(user, t.permission)
            and (not partner or t.event in PARTNER_EVENTS)]


def search(sess: Session, user: User, args: dict[str, Any], *,
           now: datetime | None = None) -> dict[str, Any]:
    """One page of the referrals this user may see, filtered (journey.referrals.schemas.
    ReferralQuerySchema), each as a list item the user may see (a partner: the shared fields of
    the person, and no staff field). The read is audited."""
    require(user, "referrals:read")
    check_office_filter(sess, user, args.get("office_id"))
    now = now or utcnow()
    stmt = list_query(user, participant_id=args.get("participant_id"),
                      provider_id=args.get("provider_id"), service_id=args.get("service_id"),
                      office_id=args.get("office_id"), grievance_id=args.get("grievance_id"))
    if args.get("state"):
        stmt = stmt.where(Referral.state.in_(args["state"]))
    if args.get("urgency"):
        stmt = stmt.where(Referral.urgency == args["urgency"])
    if args.get("overdue") is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if args["overdue"] else sa.not_(late))
    page = paginate(sess, stmt.order_by(None), columns=_SORT_COLUMNS, id_column=Referral.id,
                    sort=args.get("sort") or [("id", True)], page=args.get("page", 1),
                    per_page=args.get("per_page", 25))
    rows: list[Referral] = page["items"]
    names = dict(sess.execute(sa.select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({r.service_id for r in rows}))).all()) if rows else {}
    people = {p.id: p for p in sess.scalars(sa.select(Participant).where(
        Participant.id.in_({r.participant_id for r in rows})))} if rows else {}
    partner = is_partner(user)
    items = []
    for r in rows:
        item = {name: getattr(r, name) for name in _LIST_FIELDS}
        item.update(service_name=names.get(r.service_id), overdue=is_overdue(r, now))
        if partner:
            item["person"] = disclosure.shared_person(people.get(r.participant_id),
                                                      r.shared_fields)
        else:
            p = people.get(r.participant_id)
            item.update({name: getattr(r, name) for name in _STAFF_LIST_FIELDS},
                        participant_reference=p.reference if p else None)
        items.append(item)
    page["items"] = items
    scope = office_scope(user)
    audit.record(sess, "referrals:referral:list", actor_id=user.id, object_type="referral",
                 office_id=scope if scope and scope > 0 else None,
                 ids=[r.id for r in rows], total=page["total"])
    return page


_LIST_FIELDS = ("id", "reference", "state", "urgency", "service_id", "provider_id", "sent_at",
                "response_due_at", "complete_due_at", "closed_at", "outcome", "version")
_STAFF_LIST_FIELDS = ("office_id", "participant_id", "grievance_id", "created_at")


def view(sess: Session, user: User, referral: Referral, *, now: datetime | None = None
         ) -> dict[str, Any]:
    """The referral as this user may see it (services.read's shape, not audited: for the
    answer to a write the user just made), with the steps they may take and whether it is
    overdue."""
    body = disclosure.for_partner(sess, referral) if is_partner(user) else staff_view(sess,
                                                                                     referral)
    return with_steps(user, body, now=now)


def with_steps(user: User, body: dict[str, Any], *, now: datetime | None = None
               ) -> dict[str, Any]:
    """A view (read, view) completed with available_steps and overdue."""
    body["available_steps"] = available_steps(user, body["state"])
    body["overdue"] = is_overdue(body, now or utcnow())
    return body
