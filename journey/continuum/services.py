"""The one place a participant's stage changes, plus checklists and the timeline.

``apply_transition`` runs, in order: validate → change the stage → write the audit event →
queue notifications (journey events, which the notifications package consumes) → log.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from journey.continuum import guards as guard_rules
from journey.continuum.models import (
    VALID_PERMIT_STATUSES,
    ChecklistItem,
    EventKind,
    ItemStatus,
    Permit,
)
from journey.continuum.stages import PREVIOUS, TRANSITIONS, TRANSITIONS_BY_EVENT, Stage, Transition
from journey.core import audit
from journey.core import timeline as shared_timeline
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, ProblemError
from journey.core.i18n import _l
from journey.core.policy import allowed, require
from journey.core.timeline import JourneyEvent
from journey.core.versions import Precondition, bump, check_version, stale
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.participants.services import filtered_query
from journey.programmes.models import Programme
from journey.stages.checklists import definitions_for

logger = logging.getLogger(__name__)

class TransitionRefused(ProblemError):
    status, code, title = 409, "transition-refused", _l("The transition is not allowed")


# Statements on the transition path are built once; constructing them costs more than running them.
_INSERT_ITEMS = ChecklistItem.__table__.insert()
_ITEM_KEYS = select(ChecklistItem.key).where(ChecklistItem.participant_id == sa.bindparam("pid"),
                                             ChecklistItem.cycle == sa.bindparam("cycle"))
_PROGRAMME_CONFIG = select(Programme.checklist_config).where(Programme.id == sa.bindparam("id"))
_PARTICIPANTS = Participant.__table__
_MOVE = _PARTICIPANTS.update().where(_PARTICIPANTS.c.id == sa.bindparam("b_id"),
                                     _PARTICIPANTS.c.version == sa.bindparam("b_version"))


def record_event(sess: Session, participant: Participant, kind: EventKind, *,
                 actor_id: int | None = None, reason: str | None = None,
                 dedupe_key: str | None = None, at: datetime | None = None,
                 **data: Any) -> dict[str, Any]:
    """Write one of continuum's timeline entries (see journey.core.timeline.record)."""
    return shared_timeline.record(sess, participant, EventKind(kind).value, actor_id=actor_id,
                                  reason=reason, dedupe_key=dedupe_key, at=at, **data)


def _programme_config(sess: Session, participant: Participant) -> dict[str, Any]:
    if participant.programme_id is None:
        return {}
    # Only the column: loading the Programme would also load its employers.
    config = sess.scalar(_PROGRAMME_CONFIG, {"id": participant.programme_id})
    return config or {}


def open_checklist(sess: Session, participant: Participant, stage: Stage, today: date, *,
                   new_participant: bool = False, config: dict[str, Any] | None = None) -> int:
    """Create the stage's checklist items for the participant's current cycle, once each."""
    existing = set() if new_participant else set(sess.scalars(
        _ITEM_KEYS, {"pid": participant.id, "cycle": participant.cycle}))
    now = utcnow()
    rows = [
        {"participant_id": participant.id, "stage": stage.value, "cycle": participant.cycle,
         "key": d.key, "title": str(d.title), "required": d.required, "status": "pending",
         "due_date": today + timedelta(days=d.due_days) if d.due_days is not None else None,
         "updated_at": now, "version": 1}
        for d in definitions_for(stage, config if config is not None
                                 else _programme_config(sess, participant))
        if d.key not in existing
    ]
    if rows:
        # One executemany, no ORM objects: nothing in this unit of work reads them back.
        sess.connection().execute(_INSERT_ITEMS, rows)
    return len(rows)


def start_journey(sess: Session, actor: User, participant: Participant,
                  checklist_config: dict[str, Any] | None = None) -> None:
    """A new participant enters the initial stage: checklist and timeline start here. Without a
    checklist_config, the participant's programme's own is used."""
    open_checklist(sess, participant, Stage(participant.stage), participant.created_at.date(),
                   new_participant=True, config=checklist_config)
    record_event(sess, participant, EventKind.STAGE_ENTERED, actor_id=actor.id,
                 at=participant.created_at, to_stage=participant.stage)


def available_events(stage: Stage | str) -> list[str]:
    stage = Stage(stage)
    return [t.event for t in TRANSITIONS if stage in t.sources]


def _resolve_target(sess: Session, participant: Participant, t: Transition) -> Stage:
    if t.target != PREVIOUS:
        return Stage(t.target)
    if participant.previous_stage is None:
        raise TransitionRefused(_("There is no earlier stage to return to."))
    return Stage(participant.previous_stage)


def _check_required(sess: Session, t: Transition, data: dict[str, Any]) -> None:
    errors = []
    for name in t.required:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append({"field": name, "code": "required",
                           "message": _("Required for this transition.")})
    if data.get("employer_id") is not None and sess.get(Employer, data["employer_id"]) is None:
        errors.append({"field": "employer_id", "code": "not-found",
                       "message": _("No such employer.")})
    if errors:
        raise InvalidInput(errors=errors)


def apply_transition(sess: Session, actor: User, participant: Participant, event: str,
                     data: dict[str, Any] | None = None, *, expected: Precondition | None,
                     override_reason: str | None = None, today: date | None = None,
                     authorised_by: str | None = None) -> Participant:
    """Move a participant by one event of the transition table, or refuse with every reason.

    `authorised_by` names the permission another domain's service already required of the actor
    for this move (an employer selecting a candidate: "candidates:decide"); it is checked instead
    of continuum:transition, which employer users lack. Everything else is unchanged: the same
    table, guards and version check, and the audit names the real actor."""
    data = dict(data or {})
    today = today or utcnow().date()
    # 1. Validate.
    require(actor, authorised_by or "continuum:transition")
    t = TRANSITIONS_BY_EVENT.get(event)
    if t is None:
        raise InvalidInput(errors=[{"field": "event", "code": "unknown-event",
                                    "message": _("Unknown event.")}])
    source = Stage(participant.stage)
    if source not in t.sources:
        raise TransitionRefused(
            _("%(event)s is not possible from %(stage)s.", event=event, stage=source.title),
            code="event-not-allowed",
            extra={"stage": source.value, "allowed_events": available_events(source)})
    check_version(participant.version, expected,
                  _("Someone changed this participant since you read it; reload and try again."))
    _check_required(sess, t, data)
    target = _resolve_target(sess, participant, t)
    unmet = guard_rules.check(t.guards, guard_rules.GuardContext(sess, participant, data, today))
    if unmet:
        if override_reason is None:
            raise TransitionRefused(_("Some conditions for this transition are not met."),
                                    code="guards-unmet", extra={"unmet": unmet})
        if not allowed(actor, "continuum:override"):
            raise ProblemError(_("Only a supervisor can override these conditions."), status=403,
                               code="override-forbidden", extra={"unmet": unmet})
        if not override_reason.strip():
            raise InvalidInput(errors=[{"field": "override_reason", "code": "required",
                                        "message": _("Explain why the conditions are overridden.")}])

    # 2. Change the stage (compare-and-set on the version, so concurrent moves cannot both win).
    version = participant.version
    values: dict[str, Any] = {"version": version + 1, "updated_at": utcnow()}
    if target != source:
        values.update(stage=target.value, previous_stage=source.value, stage_entered_at=utcnow())
    if event == "rehire":
        values["cycle"] = participant.cycle + 1
    for name in ("employer_id", "arrival_date", "return_date", "destination_country"):
        if data.get(name) is not None:
            values[name] = data[name]
    sess.flush()  # pending ORM changes go first; the UPDATE below bypasses the unit of work
    result = sess.connection().execute(_MOVE, {**values, "b_id": participant.id, "b_version": version})
    if result.rowcount != 1:
        raise stale(expected,
                    _("Someone changed this participant at the same time; reload and try again."))
    for name, value in values.items():
        # Already written by the UPDATE above; record the values without a second UPDATE.
        set_committed_value(participant, name, value)

    # 3. Audit (ids and codes only: reasons are free text and stay in the journey events).
    audit.record(sess, "continuum:participant:transition", actor_id=actor.id,
                 object_type="participant", object_id=participant.id,
                 office_id=participant.office_id, event=event, from_stage=source.value,
                 to_stage=target.value, overridden=[u["guard"] for u in unmet])

    # 4. Queue notifications: journey events, consumed by notifications and reports.
    reason = data.get("reason")
    if unmet:
        record_event(sess, participant, EventKind.GUARD_OVERRIDDEN, actor_id=actor.id,
                     reason=override_reason, event=event, guards=[u["guard"] for u in unmet])
    if target != source:
        record_event(sess, participant, EventKind.STAGE_LEFT, actor_id=actor.id, reason=reason,
                     event=event, from_stage=source.value, to_stage=target.value)
        record_event(sess, participant, EventKind.STAGE_ENTERED, actor_id=actor.id, reason=reason,
                     event=event, from_stage=source.value, to_stage=target.value, urgent=t.urgent)
        open_checklist(sess, participant, target, today)
    else:
        record_event(sess, participant, EventKind.STAGE_ENTERED, actor_id=actor.id, reason=reason,
                     event=event, from_stage=source.value, to_stage=target.value, repeat=True)

    # 5. Log (ids only).
    logger.info("transition participant=%s event=%s %s->%s overridden=%d", participant.id, event,
                source.value, target.value, len(unmet))
    return participant


def update_item(sess: Session, actor: User, participant: Participant, item: ChecklistItem,
                changes: dict[str, Any], *, expected: Precondition | None) -> ChecklistItem:
    """Change a checklist item's status, due date or evidence note."""
    require(actor, "continuum:checklist")
    check_version(item.version, expected,
                  _("Someone changed this item since you read it; reload and try again."))
    before = item.status
    now = utcnow()
    if "status" in changes and changes["status"] != item.status:
        item.status = changes["status"]
        if item.status == ItemStatus.DONE:
            item.completed_at, item.completed_by = now, actor.id
        else:
            item.completed_at = item.completed_by = None
    if "due_date" in changes:
        item.due_date = changes["due_date"]
    if "evidence_note" in changes:
        item.evidence_note = changes["evidence_note"]
    item.updated_at = now
    bump(sess, item, expected, _("Someone changed this item at the same time; reload and try again."))
    sess.flush()
    audit.record(sess, "continuum:checklist_item:update", actor_id=actor.id,
                 object_type="checklist_item", object_id=item.id, office_id=participant.office_id,
                 participant_id=participant.id, status=item.status)
    record_event(sess, participant, EventKind.CHECKLIST_UPDATED, actor_id=actor.id,
                 reason=changes.get("evidence_note"), item_id=item.id, key=item.key,
                 from_status=before, to_status=item.status)
    return item


# --- permits -------------------------------------------------------------------------------------

_PERMIT_FIELDS = ("type", "issuing_country", "number", "status", "applied_on", "decided_on",
                  "issued_on", "expires_on", "employer_tied", "employer_id")


def _check_permit_employer(sess: Session, data: dict[str, Any]) -> None:
    # Checked before any change, not left to the foreign key, which refused it at flush: a 500.
    if data.get("employer_id") is not None and sess.get(Employer, data["employer_id"]) is None:
        raise InvalidInput(errors=[{"field": "employer_id", "code": "not-found",
                                    "message": _("No such employer.")}])


def _check_permit_dates(permit: Permit) -> None:
    if permit.expires_on and permit.issued_on and permit.expires_on <= permit.issued_on:
        raise InvalidInput(errors=[{"field": "expires_on", "code": "before-issue",
                                    "message": _("The expiry date must be after the issue date.")}])
    if permit.decided_on and permit.applied_on and permit.decided_on < permit.applied_on:
        raise InvalidInput(errors=[{"field": "decided_on", "code": "before-application",
                                    "message": _("The decision cannot precede the application.")}])


def record_permit(sess: Session, actor: User, participant: Participant,
                  data: dict[str, Any]) -> Permit:
    """Record a visa or permit (its number is sensitive: audited, never logged)."""
    require(actor, "permits:manage")
    _check_permit_employer(sess, data)
    now = utcnow()
    permit = Permit(participant_id=participant.id, created_by=actor.id, created_at=now,
                    updated_at=now, **{k: data[k] for k in _PERMIT_FIELDS if k in data})
    _check_permit_dates(permit)
    sess.add(permit)
    sess.flush()
    audit.record(sess, "continuum:permit:create", actor_id=actor.id, object_type="permit",
                 object_id=permit.id, office_id=participant.office_id,
                 participant_id=participant.id, status=permit.status)
    record_event(sess, participant, EventKind.PERMIT_RECORDED, actor_id=actor.id,
                 permit_id=permit.id, type=permit.type, status=permit.status,
                 expires_on=permit.expires_on.isoformat() if permit.expires_on else None)
    return permit


def update_permit(sess: Session, actor: User, participant: Participant, permit: Permit,
                  data: dict[str, Any], *, expected: Precondition | None) -> Permit:
    require(actor, "permits:manage")
    check_version(permit.version, expected,
                  _("Someone changed this permit since you read it; reload and try again."))
    _check_permit_employer(sess, data)
    changed = [k for k in _PERMIT_FIELDS if k in data and getattr(permit, k) != data[k]]
    for k in changed:
        setattr(permit, k, data[k])
    _check_permit_dates(permit)
    if changed:
        permit.updated_at = utcnow()
        bump(sess, permit, expected,
             _("Someone changed this permit at the same time; reload and try again."))
        sess.flush()
        audit.record(sess, "continuum:permit:update", actor_id=actor.id, object_type="permit",
                     object_id=permit.id, office_id=participant.office_id,
                     participant_id=participant.id, fields=sorted(changed))
        record_event(sess, participant, EventKind.PERMIT_UPDATED, actor_id=actor.id,
                     permit_id=permit.id, status=permit.status, fields=sorted(changed),
                     expires_on=permit.expires_on.isoformat() if permit.expires_on else None)
    return permit


def permits_expiring(sess: Session, today: date, offsets: tuple[int, ...] = (90, 30, 7)
                     ) -> list[tuple[Permit, int]]:
    """Valid permits whose expiry is reached within an offset and not yet reminded for it.

    Each (permit, offset) is returned once per offset window: the reminder for the smallest
    offset the expiry falls within; an event with a dedupe key marks it as done.
    """
    horizon = today + timedelta(days=max(offsets))
    permits = sess.scalars(select(Permit).where(
        Permit.status.in_(VALID_PERMIT_STATUSES), Permit.expires_on.is_not(None),
        Permit.expires_on > today, Permit.expires_on <= horizon,
    ).order_by(Permit.expires_on, Permit.id)).all()
    keys = {f"permit_expiring:{p.id}:{o}" for p in permits for o in offsets}
    done = set(sess.scalars(select(JourneyEvent.dedupe_key).where(JourneyEvent.dedupe_key.in_(keys)))
               ) if keys else set()
    due = []
    for p in permits:
        days_left = (p.expires_on - today).days
        offset = min(o for o in offsets if days_left <= o)
        if f"permit_expiring:{p.id}:{offset}" not in done:
            due.append((p, offset))
    return due


def record_due_events(sess: Session, today: date, permit_offsets: tuple[int, ...] = (90, 30, 7)
                      ) -> dict[str, int]:
    """Write checklist due/overdue and permit-expiring events, each once (idempotent job)."""
    counts = {"checklist_item_due": 0, "checklist_item_overdue": 0, "permit_expiring": 0}
    open_statuses = [ItemStatus.PENDING.value, ItemStatus.IN_PROGRESS.value, ItemStatus.BLOCKED.value]
    rows = sess.execute(
        select(ChecklistItem, Participant)
        .join(Participant, Participant.id == ChecklistItem.participant_id)
        .where(ChecklistItem.status.in_(open_statuses), ChecklistItem.due_date.is_not(None),
               ChecklistItem.due_date <= today + timedelta(days=3),
               ChecklistItem.cycle == Participant.cycle)
    ).all()
    keys = set()
    for item, _p in rows:
        kind = "checklist_item_overdue" if item.due_date < today else "checklist_item_due"
        keys.add(f"{kind}:{item.id}:{item.due_date.isoformat()}")
    done = set(sess.scalars(select(JourneyEvent.dedupe_key).where(JourneyEvent.dedupe_key.in_(keys)))
               ) if keys else set()
    for item, participant in rows:
        overdue = item.due_date < today
        kind = EventKind.CHECKLIST_ITEM_OVERDUE if overdue else EventKind.CHECKLIST_ITEM_DUE
        key = f"{kind.value}:{item.id}:{item.due_date.isoformat()}"
        if key in done:
            continue
        record_event(sess, participant, kind, dedupe_key=key, item_id=item.id, key=item.key,
                     due_date=item.due_date.isoformat())
        counts[kind.value] += 1
    for permit, offset in permits_expiring(sess, today, permit_offsets):
        participant = sess.get(Participant, permit.participant_id)
        record_event(sess, participant, EventKind.PERMIT_EXPIRING,
                     dedupe_key=f"permit_expiring:{permit.id}:{offset}", permit_id=permit.id,
                     offset_days=offset, expires_on=permit.expires_on.isoformat())
        counts["permit_expiring"] += 1
    return counts


# --- timeline ------------------------------------------------------------------------------------

def read_checklist(sess: Session, actor: User, participant: Participant) -> list[ChecklistItem]:
    """The participant's checklist items for the current cycle, in order; the read is audited."""
    require(actor, "participants:read")
    audit.record(sess, "continuum:checklist:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, cycle=participant.cycle)
    return list(sess.scalars(select(ChecklistItem).where(
        ChecklistItem.participant_id == participant.id, ChecklistItem.cycle == participant.cycle,
    ).order_by(ChecklistItem.id)))


def read_permits(sess: Session, actor: User, participant: Participant) -> list[Permit]:
    """The participant's visas and permits (numbers included: the read is audited)."""
    require(actor, "permits:read")
    audit.record(sess, "continuum:permit:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id)
    return list(sess.scalars(select(Permit).where(Permit.participant_id == participant.id)
                             .order_by(Permit.id)))


def read_timeline(sess: Session, actor: User, participant: Participant) -> dict[str, Any]:
    """The participant's timeline for display; the read is audited."""
    require(actor, "participants:read")
    audit.record(sess, "continuum:timeline:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id)
    return timeline(sess, participant)


def timeline(sess: Session, participant: Participant, now: datetime | None = None) -> dict[str, Any]:
    """Everything that happened to a participant, in order, and the time spent in each stage."""
    now = now or utcnow()
    # Every domain's entries (messages come from messaging's provider); stage times from ours.
    events = shared_timeline.entries(sess, participant)
    spent: dict[str, float] = {}
    current_stage, entered = None, None
    for e in events:
        if e["kind"] != EventKind.STAGE_ENTERED.value or e["data"].get("repeat"):
            continue
        if current_stage is not None:
            spent[current_stage] = spent.get(current_stage, 0) + (
                e["occurred_at"] - entered).total_seconds()
        current_stage, entered = e["data"].get("to_stage"), e["occurred_at"]
    if current_stage is not None:
        spent[current_stage] = spent.get(current_stage, 0) + (now - entered).total_seconds()
    return {
        "participant_id": participant.id,
        "stage": participant.stage,
        "events": events,
        "time_in_stage": [{"stage": s, "days": round(sec / 86400, 2)} for s, sec in spent.items()],
    }


# --- bulk -----------------------------------------------------------------------------------------

BULK_LIMIT = 1000


def bulk_transition(sess: Session, actor: User, event: str, *, participant_ids: list[int] | None,
                    filters: dict[str, Any] | None, data: dict[str, Any],
                    override_reason: str | None = None) -> dict[str, Any]:
    """Move a cohort: each participant all-or-nothing on their own, never the batch as a whole."""
    require(actor, "continuum:transition")
    stmt = filtered_query(actor, filters or {})
    if participant_ids is not None:
        stmt = stmt.where(Participant.id.in_(participant_ids))
    people = {p.id: p for p in sess.scalars(stmt.order_by(Participant.id).limit(BULK_LIMIT + 1))}
    if participant_ids is None and len(people) > BULK_LIMIT:
        raise InvalidInput(errors=[{"field": "filter", "code": "too-many",
                                    "message": _("The filter selects more than %(n)d participants.",
                                                 n=BULK_LIMIT)}])
    order = participant_ids if participant_ids is not None else list(people)
    results, done = [], 0
    for pid in dict.fromkeys(order):
        p = people.get(pid)
        if p is None:  # unknown, or outside the actor's office: indistinguishable on purpose
            results.append({"participant_id": pid, "result": "not_found", "reasons": []})
            continue
        savepoint = sess.begin_nested()
        try:
            apply_transition(sess, actor, p, event, data, expected=None,
                             override_reason=override_reason)
            savepoint.commit()
        except ProblemError as err:
            savepoint.rollback()
            reasons = [u["message"] for u in err.extra.get("unmet", [])] or [
                e["message"] for e in err.errors] or [err.detail or err.title]
            results.append({"participant_id": pid, "result": "refused", "code": err.code,
                            "stage": sess.get(Participant, pid).stage, "reasons": reasons})
            continue
        done += 1
        results.append({"participant_id": pid, "result": "done", "stage": p.stage, "reasons": []})
    return {"event": event, "done": done, "refused": len(results) - done, "results": results}
