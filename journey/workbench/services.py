"""My work: what needs a caseworker's attention across their participants. Never commits.

A caseworker sees the participants assigned to them; a supervisor their office, by caseworker; an
admin every office (or one, with ``office_id``). Within that, always inside
``policy.participant_scope``. Each section is a capped list with its total, and the whole page is
a fixed handful of queries whatever the caseload: per table one count grouped by section and
caseworker, and one query for the items, capped per section by a window function.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from journey.continuum.models import (
    VALID_PERMIT_STATUSES,
    ChecklistItem,
    ItemStatus,
    Permit,
    PermitStatus,
)
from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import NotFound
from journey.core.policy import Role, office_scope, participant_scope, require
from journey.organisations.services import check_office_filter
from journey.participants.models import Participant
from journey.stages import Stage
from journey.workbench import grievance_work, referral_work
from notifications.models import InboundMessage, OutboxMessage, Status

_P = Participant.__table__
_C = ChecklistItem.__table__
_PM = Permit.__table__
_IN = InboundMessage.__table__
_OUT = OutboxMessage.__table__
_U = User.__table__

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DUE_WITHIN_DAYS = 7
PERMIT_OFFSETS = (7, 30, 90)
# Messages that failed or were skipped this long ago are no longer news.
PROBLEM_WINDOW_DAYS = 30
OPEN_ITEM_STATUSES = (ItemStatus.PENDING.value, ItemStatus.IN_PROGRESS.value,
                      ItemStatus.BLOCKED.value)
PROBLEM_STATUSES = (Status.FAILED.value, Status.UNDELIVERED.value, Status.SKIPPED.value)
# Who no longer needs a permit abroad (back home, closed, staying in the local labour market):
# their expired permits are history, not work.
PERMIT_DONE_STAGES = tuple(s.value for s in (
    Stage.RETURN, Stage.REINTEGRATION, Stage.CLOSED, Stage.WITHDRAWN, Stage.TRAVEL_BLOCKED,
    Stage.LOCAL_TRACK))
EXPIRED_PERMIT_STATUSES = (*VALID_PERMIT_STATUSES, PermitStatus.EXPIRED.value)

# The sections, in the order the page shows them: the participants' work, then grievances.
PARTICIPANT_SECTIONS = ("overdue", "due", "permits_expired", "permits_7", "permits_30",
                        "permits_90", "replies", "problems")
GRIEVANCE_SECTIONS = grievance_work.SECTIONS
REFERRAL_SECTIONS = referral_work.SECTIONS
SECTIONS = PARTICIPANT_SECTIONS + GRIEVANCE_SECTIONS + REFERRAL_SECTIONS


class unindexed(sa.ColumnElement):
    """A column the SQLite planner must not reach through an index (its unary ``+``); the column
    itself elsewhere. Without statistics SQLite takes a due-date index over the whole database
    for the most selective path, and reads every office's open items to keep one caseworker's:
    driven from the caseworker's participants instead, the page reads only theirs."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def _view(actor: User) -> str:
    role = Role(actor.role)
    if role == Role.CASEWORKER:
        return "mine"
    return "office" if role == Role.SUPERVISOR else "all"


def _people(actor: User, office_id: int | None) -> list[sa.ColumnElement[bool]]:
    """Which participants' work this actor sees here."""
    conds = [participant_scope(actor, _P.c.id, _P.c.office_id), _P.c.erased_at.is_(None)]
    if _view(actor) == "mine":
        conds.append(_P.c.caseworker_id == actor.id)
    if office_id is not None:
        conds.append(_P.c.office_id == office_id)
    return conds


_PERSON = (_P.c.id.label("participant_id"), _P.c.reference, _P.c.given_name, _P.c.family_name,
           _P.c.office_id, _P.c.caseworker_id)


def _plain(column: sa.ColumnElement) -> sa.ColumnElement:
    return column


def _checklist(today: date, u=_plain):
    section = sa.case((_C.c.due_date < today, "overdue"), else_="due")
    where = [u(_C.c.status).in_(OPEN_ITEM_STATUSES), u(_C.c.due_date).is_not(None),
             u(_C.c.due_date) <= today + timedelta(days=DUE_WITHIN_DAYS),
             _C.c.cycle == _P.c.cycle]
    cols = (_C.c.id, _C.c.key, _C.c.title, _C.c.status, _C.c.due_date, _C.c.stage)
    return _C, _C.c.participant_id, section, where, cols, (_C.c.due_date, _C.c.id)


def _permits(today: date, u=_plain):
    days = [(today + timedelta(days=o), f"permits_{o}") for o in PERMIT_OFFSETS]
    section = sa.case((_PM.c.expires_on < today, "permits_expired"),
                      *[(_PM.c.expires_on <= limit, name) for limit, name in days])
    status, expires = u(_PM.c.status), u(_PM.c.expires_on)
    valid_soon = sa.and_(status.in_(VALID_PERMIT_STATUSES), expires >= today,
                         expires <= days[-1][0])
    expired = sa.and_(status.in_(EXPIRED_PERMIT_STATUSES), expires < today,
                      _P.c.stage.not_in(PERMIT_DONE_STAGES))
    where = [expires.is_not(None), sa.or_(valid_soon, expired)]
    cols = (_PM.c.id, _PM.c.type, _PM.c.status, _PM.c.issuing_country, _PM.c.expires_on)
    return _PM, _PM.c.participant_id, section, where, cols, (_PM.c.expires_on, _PM.c.id)


def _replies(_today: date, u=_plain):
    where = [u(_IN.c.needs_attention).is_(True), _IN.c.participant_id.is_not(None)]
    # Decrypted only for the rows shown (the capped outer query); each read is audited.
    cols = (_IN.c.id, _IN.c.received_at, _IN.c.keyword, _IN.c.body)
    return (_IN, _IN.c.participant_id, "replies", where, cols,
            (_IN.c.received_at.desc(), _IN.c.id.desc()))


def _problems(_today: date, u=_plain):
    since = utcnow() - timedelta(days=PROBLEM_WINDOW_DAYS)
    where = [u(_OUT.c.status).in_(PROBLEM_STATUSES), _OUT.c.updated_at >= since]
    cols = (_OUT.c.id, _OUT.c.template, _OUT.c.channel, _OUT.c.status, _OUT.c.skip_reason,
            _OUT.c.last_error_code, _OUT.c.updated_at)
    return (_OUT, _OUT.c.participant_id, "problems", where, cols,
            (_OUT.c.updated_at.desc(), _OUT.c.id.desc()))


_SOURCES = (_checklist, _permits, _replies, _problems)


def _collect(sess: Session, people, today: date, limit: int, out: dict, counts: dict, *,
             narrow: bool) -> None:
    """Two queries per source: counts by (section, caseworker), and the first ``limit`` items of
    each of its sections (row_number over the section, so one query serves them all). When the
    people are few (``narrow``: one caseworker's, one office's), the queries start from them."""
    for source in _SOURCES:
        table, pid, section, where, cols, order = source(today, unindexed if narrow else _plain)
        joined = table.join(_P, _P.c.id == pid)
        conds = [*people, *where]
        # A source of one section selects its name as a constant, and neither groups nor
        # partitions by it (PostgreSQL refuses a constant in GROUP BY).
        one = isinstance(section, str)
        sect = (sa.literal(section, sa.String) if one else section).label("section")
        grouping = (_P.c.caseworker_id,) if one else (sect, _P.c.caseworker_id)
        for name, cw, n in sess.execute(
                sa.select(sect, _P.c.caseworker_id, sa.func.count()).select_from(joined)
                .where(*conds).group_by(*grouping)):
            counts[name][cw] = n
            out[name]["total"] += n
        rank = sa.func.row_number().over(partition_by=None if one else section,
                                         order_by=order).label("rank")
        inner = (sa.select(sect, rank, *cols, *_PERSON).select_from(joined).where(*conds)
                 .subquery())
        rows = sess.execute(sa.select(inner).where(inner.c.rank <= limit)
                            .order_by(inner.c.section, inner.c.rank)).mappings()
        for row in rows:
            item = {k: v for k, v in row.items() if k not in ("section", "rank")}
            out[row["section"]]["items"].append(item)


def my_work(sess: Session, actor: User, *, office_id: int | None = None,
            limit: int = DEFAULT_LIMIT, today: date | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """What needs the actor's attention: checklist items due and overdue, permits expiring and
    expired, unanswered replies (their texts: an audited read), messages that failed or were
    skipped, texts from unknown numbers waiting for triage, grievances due within two days and
    breached, the escalations addressed to the actor, and referrals due within two days,
    overdue (or expired) and declined."""
    require(actor, "workbench:read")
    check_office_filter(sess, actor, office_id)
    now = now or utcnow()
    today = today or now.date()
    limit = max(1, min(limit, MAX_LIMIT))
    people = _people(actor, office_id)
    out: dict[str, dict[str, Any]] = {name: {"total": 0, "items": []} for name in SECTIONS}
    out["escalations"]["unseen"] = 0
    counts: dict[str, dict[int | None, int]] = defaultdict(dict)
    narrow = _view(actor) != "all" or office_id is not None
    _collect(sess, people, today, limit, out, counts, narrow=narrow)
    grievance_work.collect(sess, actor, now, office_id, _view(actor), limit, out, counts)
    referral_work.collect(sess, actor, people, now, limit, out, counts)
    triage = sess.scalar(sa.select(sa.func.count()).select_from(_IN).where(
        _IN.c.participant_id.is_(None), _IN.c.needs_attention.is_(True))) or 0
    caseworkers = _by_caseworker(sess, counts)
    _audit(sess, actor, office_id, out)
    return {"today": today, "view": _view(actor), "office_id": office_id, "limit": limit,
            "sections": out, "triage": {"count": triage}, "caseworkers": caseworkers}


def _by_caseworker(sess: Session, counts: dict[str, dict[int | None, int]]) -> list[dict[str, Any]]:
    """Counts per caseworker (None: unassigned), named, by name; unassigned last."""
    ids = {cw for per in counts.values() for cw in per}
    named = sorted(i for i in ids if i is not None)
    names = dict(sess.execute(sa.select(_U.c.id, _U.c.full_name).where(_U.c.id.in_(named)))
                 .all()) if named else {}
    rows = [{"caseworker_id": cw, "name": names.get(cw) if cw is not None else None,
             "counts": {name: counts[name].get(cw, 0) for name in SECTIONS}} for cw in ids]
    for row in rows:
        row["total"] = sum(row["counts"].values())
    return sorted(rows, key=lambda r: (r["caseworker_id"] is None, (r["name"] or "").casefold(),
                                       r["caseworker_id"] or 0))


def _audit(sess: Session, actor: User, office_id: int | None, out: dict) -> None:
    """The list read, and each shown reply's text, per participant (who read whose messages)."""
    audit.record(sess, "workbench:work:read", actor_id=actor.id, object_type="workbench",
                 office_id=office_id or office_scope(actor) or None,
                 shown=sum(len(s["items"]) for s in out.values()))
    # Which grievances were listed, and which of them in full (with the complainant's name).
    listed = sorted({i["id"] for name in GRIEVANCE_SECTIONS for i in out[name]["items"]})
    if listed:
        full = sorted({i["id"] for name in GRIEVANCE_SECTIONS for i in out[name]["items"]
                       if not i["masked"]})
        audit.record(sess, "grievances:grievance:list", actor_id=actor.id,
                     object_type="workbench", office_id=office_id or office_scope(actor) or None,
                     grievance_ids=listed, unmasked_ids=full)
    read: dict[int, tuple[int, list[int]]] = {}
    for item in out["replies"]["items"]:
        office, ids = read.setdefault(item["participant_id"], (item["office_id"], []))
        ids.append(item["id"])
    for pid, (office, ids) in sorted(read.items()):
        audit.record(sess, "workbench:reply:read", actor_id=actor.id, object_type="participant",
                     object_id=pid, office_id=office, inbound_ids=sorted(ids))


def see_escalation(sess: Session, actor: User, escalation_id: int) -> None:
    """Mark one of the actor's escalations seen (404 when it is not addressed to them)."""
    from journey.grievances import sla
    from journey.grievances.models import Escalation

    require(actor, "workbench:read")
    mine = sess.scalar(sa.select(Escalation.grievance_id).where(
        Escalation.id == escalation_id, Escalation.user_id == actor.id))
    if mine is None:
        raise NotFound(_("No such escalation of yours."))
    sla.mark_seen(sess, actor, grievance_id=mine, escalation_id=escalation_id)
