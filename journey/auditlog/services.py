"""Reading the audit trail: supervisors their office's events, admins everyone's."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.auditlog import chain
from journey.auditlog.sealer import grace
from journey.core import audit
from journey.core.audit import AuditEvent, AuditSeal
from journey.core.auth import User
from journey.core.errors import InvalidInput
from journey.core.pagination import paginate
from journey.core.policy import office_scope, require
from journey.participants.models import Participant

_COLUMNS = {"id": AuditEvent.id, "occurred_at": AuditEvent.occurred_at}
_EXACT = ("actor_id", "object_type", "object_id", "request_id")


def search_events(sess: Session, actor: User, args: dict[str, Any]) -> dict[str, Any]:
    """One page of audit events matching the query, newest first by default, within scope."""
    require(actor, "audit:read")
    stmt = select(AuditEvent)
    scope = office_scope(actor)
    if scope is not None:
        stmt = stmt.where(AuditEvent.office_id == scope)
    action = args.get("action")
    if action:
        if action.endswith(":"):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    for field in _EXACT:
        if args.get(field) is not None:
            stmt = stmt.where(getattr(AuditEvent, field) == args[field])
    stmt = _by_names(sess, actor, stmt, args, scope)
    if args.get("date_from"):
        stmt = stmt.where(AuditEvent.occurred_at >= _day_start(args["date_from"]))
    if args.get("date_to"):
        stmt = stmt.where(AuditEvent.occurred_at < _day_start(args["date_to"]) + timedelta(days=1))
    if args.get("since"):
        stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(AuditEvent.occurred_at < args["until"])
    page = paginate(sess, stmt, columns=_COLUMNS, id_column=AuditEvent.id, sort=args["sort"],
                    page=args["page"], per_page=args["per_page"])
    page["items"] = _with_seals(sess, page["items"])
    return page


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _by_names(sess: Session, actor: User, stmt, args: dict[str, Any], scope: int | None):
    """Filter by an actor's username and a participant's reference; an unknown one (or a
    participant outside the caller's office) is a field error, not an empty page."""
    errors = []
    if args.get("actor"):
        user_id = sess.scalar(sa.select(User.id).where(User.username == args["actor"]))
        if user_id is None:
            errors.append({"field": "actor", "code": "not-found",
                           "message": _("No user with that username.")})
        stmt = stmt.where(AuditEvent.actor_id == user_id)
    if args.get("participant"):
        found = sa.select(Participant.id).where(
            Participant.reference == args["participant"].strip().upper())
        if scope is not None:
            found = found.where(Participant.office_id == scope)
        pid = sess.scalar(found)
        if pid is None:
            errors.append({"field": "participant", "code": "not-found",
                           "message": _("No participant with that reference.")})
        stmt = stmt.where(sa.or_(
            sa.and_(AuditEvent.object_type == "participant", AuditEvent.object_id == pid),
            AuditEvent.details["participant_id"].as_integer() == pid))
    if errors:
        raise InvalidInput(errors=errors)
    return stmt


def _with_seals(sess: Session, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Each event with its place in the chain (seq, prev_hash, hash: None until sealed)."""
    seals = {row.event_id: row for row in sess.execute(
        sa.select(AuditSeal.event_id, AuditSeal.seq, AuditSeal.prev_hash, AuditSeal.hash)
        .where(AuditSeal.event_id.in_([e.id for e in events])))} if events else {}
    out = []
    for e in events:
        link = seals.get(e.id)
        out.append({**e.model_dump(), "seq": link.seq if link else None,
                    "prev_hash": link.prev_hash if link else None,
                    "hash": link.hash if link else None})
    return out


def verify_chain(sess: Session, actor: User, engine: Engine) -> dict[str, Any]:
    """Walk the whole audit chain (on a connection of its own) and record that it was checked."""
    require(actor, "audit:verify")
    report = chain.verify(engine, grace=grace(current_app))
    audit.record(sess, "auditlog:chain:verify", actor_id=actor.id, object_type="audit_chain",
                 intact=report.intact, checked=report.checked, broken_at=report.broken_at,
                 reason=report.reason, unsealed=report.unsealed)
    return report.as_dict()
