"""Triage: correcting what a grievance is about while it is open (category, severity,
confidentiality, whom it is against, the outcome wanted, the language for replies).

A complaint by SMS arrives as "other" at medium severity; whoever takes it up sets what it really
is. The complainant's own words (the description) never change: what staff add goes in notes.
Changing the category or severity moves both deadlines by what the new SLA gives from the day it
was received, keeping any time the clock stood still. Restricting it removes its id from the
person's timeline.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput
from journey.core.policy import require
from journey.core.timeline import JourneyEvent
from journey.core.versions import Precondition, bump, check_version
from journey.grievances.deadlines import deadlines_for
from journey.grievances.models import (
    OPEN_STATES,
    AgainstKind,
    Confidentiality,
    EntryKind,
    Grievance,
)
from journey.grievances.services import (
    TimelineKind,
    TransitionRefused,
    _check_intake,
    _entry,
    require_full,
)

logger = logging.getLogger(__name__)

FIELDS = ("category", "severity", "confidentiality", "against_kind", "against_employer_id",
          "against_recruiter_id", "against_name", "desired_outcome", "language")
# Codes and ids, safe in an audit event; the rest are free text, named but not quoted.
_CODES = ("category", "severity", "confidentiality", "against_kind", "against_employer_id",
          "against_recruiter_id", "language")
_NAMED = (("against_employer_id", AgainstKind.EMPLOYER.value),
          ("against_recruiter_id", AgainstKind.RECRUITER.value))


def _untrace(sess: Session, g: Grievance) -> None:
    """A grievance restricted after the fact leaves no id on the person's timeline either (what
    intake writes for one restricted from the start: services._timeline_data)."""
    if g.participant_id is None:
        return
    events = JourneyEvent.__table__
    sess.execute(sa.update(events).where(
        events.c.participant_id == g.participant_id,
        events.c.kind.in_([TimelineKind.LOGGED, TimelineKind.RESOLVED]),
        events.c.data["grievance_id"].as_integer() == g.id).values(data={"restricted": True}))


def update(sess: Session, actor: User, g: Grievance, changes: dict[str, Any], *,
           expected: Precondition | None, now: datetime | None = None) -> Grievance:
    """Correct an open grievance at the version the caller read."""
    require(actor, "grievances:manage")
    require_full(sess, actor, g)
    if g.state not in {s.value for s in OPEN_STATES}:
        raise TransitionRefused(_("A resolved grievance cannot be changed; reopen it first."),
                                code="not-open")
    check_version(g.version, expected,
                  _("Someone changed this grievance since you read it; reload and try again."))
    wanted = {k: v for k, v in changes.items() if k in FIELDS}
    for name in ("against_name", "desired_outcome"):
        if name in wanted:
            wanted[name] = (wanted[name] or "").strip() or None
    merged = {name: getattr(g, name) for name in FIELDS} | wanted
    # Naming one employer or recruiter says what kind it is against; the kind (given or so
    # implied) drops an employer or recruiter of another kind, as the form's selects keep one.
    named = [(column, kind) for column, kind in _NAMED if wanted.get(column) is not None]
    if len(named) == 1 and "against_kind" not in wanted:
        merged["against_kind"] = named[0][1]
    if "against_kind" in wanted or len(named) == 1:
        for column, kind in _NAMED:
            if merged.get("against_kind") != kind:
                merged[column] = None
    if merged.get("against_kind") is None:
        merged["against_name"] = None
    errors = _check_intake(sess, actor, {**merged, "description": g.description,
                                         "office_id": g.office_id})
    if errors:
        raise InvalidInput(errors=errors)
    changed = [name for name in FIELDS if merged[name] != getattr(g, name)]
    if not changed:
        return g
    bump(sess, g, expected,
         _("Someone changed this grievance at the same time; reload and try again."))
    now = now or utcnow()
    if merged["category"] != g.category or merged["severity"] != g.severity:
        old = deadlines_for(sess, g.office_id, g.category, g.severity, g.received_at)
        new = deadlines_for(sess, g.office_id, merged["category"], merged["severity"],
                            g.received_at)
        g.ack_due_at += new[0] - old[0]
        g.resolve_due_at += new[1] - old[1]
    for name in changed:
        setattr(g, name, merged[name])
    g.updated_at = now
    if "confidentiality" in changed and g.confidentiality == Confidentiality.RESTRICTED.value:
        _untrace(sess, g)
    _entry(sess, g, EntryKind.UPDATED, actor, now,
           body=", ".join(changed))  # field names only: the values are in the record
    audit.record(sess, "grievances:grievance:update", actor_id=actor.id, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, changed=changed,
                 **{name: merged[name] for name in changed if name in _CODES})
    logger.info("grievance updated id=%s fields=%s", g.id, ",".join(changed))
    return g
