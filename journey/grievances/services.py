"""Grievance services: intake on every channel, the one function that changes a state, notes
and public replies, assignment. They never commit (the request or job does).

Audit events carry ids and codes only; what people wrote stays encrypted in the grievance and
its entries. Logs name ids only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core import timeline as shared_timeline
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, ProblemError
from journey.core.policy import OFFICE_ROLES, Role, require
from journey.core.versions import Precondition, bump, check_version
from journey.grievances import access, against, notify
from journey.grievances.deadlines import deadlines_for
from journey.grievances.models import (
    RESTRICTED_BY_DEFAULT,
    AgainstKind,
    Category,
    Channel,
    Confidentiality,
    Decision,
    EntryKind,
    Grievance,
    GrievanceEntry,
    Severity,
    SlaStatus,
    State,
)
from journey.grievances.states import TRANSITIONS_BY_EVENT, Transition, available_events
from journey.organisations.models import Employer, Office
from journey.participants.models import Participant

logger = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a code read aloud or typed on a phone survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
CODE_LENGTH = 12  # 60 bits: guessing one among a million open codes takes ~10^12 tries


class TransitionRefused(ProblemError):
    def __init__(self, message: str, *, code: str = "transition-refused",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=409, code=code, extra=extra)


class TimelineKind:
    LOGGED = "grievance_logged"
    RESOLVED = "grievance_resolved"


def _timeline_data(g: Grievance) -> dict[str, Any]:
    """What the participant's timeline keeps of a grievance: its id, unless it is restricted.
    Anyone who reads the person's record reads the timeline; a restricted grievance's id would
    lead them from the person to it."""
    if g.confidentiality == Confidentiality.RESTRICTED.value:
        return {"restricted": True}
    return {"grievance_id": g.id}


def new_tracking_code() -> str:
    """A fresh tracking code, grouped for reading: 7KQM-2XPA-9RTD."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """A code as typed (any case, spaces or dashes, O for 0) in its stored form, or ''."""
    folded = "".join(c for c in (code or "").upper() if c.isalnum()).translate(_TYPED)
    return folded if len(folded) == CODE_LENGTH and all(c in _ALPHABET for c in folded) else ""


def tracking_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def find_by_code(sess: Session, code: str) -> Grievance | None:
    """The grievance a tracking code belongs to (None for a malformed or unknown code)."""
    if not normalise_code(code):
        return None
    return sess.scalar(sa.select(Grievance).where(Grievance.tracking_hash == tracking_hash(code)))


def default_office_id(sess: Session) -> int | None:
    """The office for anonymous complaints: GRIEVANCE_DEFAULT_OFFICE's code, else the first."""
    code = current_app.config.get("GRIEVANCE_DEFAULT_OFFICE")
    if code:
        found = sess.scalar(sa.select(Office.id).where(Office.code == code))
        if found is not None:
            return found
    return sess.scalar(sa.select(Office.id).order_by(Office.id).limit(1))


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def against_kind(data: dict[str, Any]) -> str | None:
    """Whom it is against: the kind given, else the kind of the employer or recruiter named."""
    if data.get("against_kind"):
        return data["against_kind"]
    if data.get("against_employer_id") is not None:
        return AgainstKind.EMPLOYER.value
    if data.get("against_recruiter_id") is not None:
        return AgainstKind.RECRUITER.value
    return None


def _check_intake(sess: Session, actor: User | None, data: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    if data.get("category") not in {c.value for c in Category}:
        errors.append(_error("category", "required", _("Choose what the complaint is about.")))
    if not (data.get("description") or "").strip():
        errors.append(_error("description", "required", _("Describe what happened.")))
    kind = against_kind(data)
    named = bool((data.get("against_name") or "").strip())
    if data.get("against_employer_id") is not None:
        if kind != AgainstKind.EMPLOYER.value:
            errors.append(_error("against_employer_id", "against-mismatch",
                                 _("An employer can only be named against an employer.")))
        elif sess.get(Employer, data["against_employer_id"]) is None:
            errors.append(_error("against_employer_id", "not-found", _("No such employer.")))
    # Staff name whom it is against; a complainant on a public channel may be afraid to.
    elif actor is not None and kind == AgainstKind.EMPLOYER.value and not named:
        errors.append(_error("against_employer_id", "required",
                             _("Choose the employer, or write its name.")))
    if data.get("against_recruiter_id") is not None:
        if kind != AgainstKind.RECRUITER.value:
            errors.append(_error("against_recruiter_id", "against-mismatch",
                                 _("A recruiter can only be named against a recruiter.")))
        elif not against.recruiter_exists(sess, data["against_recruiter_id"]):
            errors.append(_error("against_recruiter_id", "not-found", _("No such recruiter.")))
    # A recruiter missing from the registry (unlicensed ones above all) is named in words.
    elif actor is not None and kind == AgainstKind.RECRUITER.value and not named:
        errors.append(_error("against_recruiter_id", "required",
                             _("Choose the recruiter, or write its name.")))
    if actor is not None and kind == AgainstKind.OTHER.value and not named:
        errors.append(_error("against_name", "required", _("Write whom it is against.")))
    office_id = data.get("office_id")
    if office_id is not None:
        if sess.get(Office, office_id) is None:
            errors.append(_error("office_id", "not-found", _("No such office.")))
        elif (actor is not None and Role(actor.role) in OFFICE_ROLES
              and actor.office_id != office_id):
            errors.append(_error("office_id", "not-your-office",
                                 _("You can log grievances for your own office only.")))
    if data.get("assignee_id") is not None:
        assignee = sess.get(User, data["assignee_id"])
        target_office = office_id or (actor.office_id if actor else None)
        if (assignee is None or not assignee.is_active or Role(assignee.role) not in OFFICE_ROLES
                or (target_office is not None and assignee.office_id != target_office)):
            errors.append(_error("assignee_id", "not-assignable",
                                 _("Choose a caseworker or supervisor of the office.")))
    return errors


def intake(sess: Session, actor: User | None, data: dict[str, Any], *, channel: Channel | str,
           participant: Participant | None = None, contact_phone: str | None = None,
           contact_email: str | None = None, now: datetime | None = None,
           send_receipt: bool = True) -> tuple[Grievance, str]:
    """Log a grievance; returns it and its tracking code (found by its hash, kept encrypted).

    ``actor`` is the staff member logging it, or None for the public channels (SMS, web form,
    email). A participant must be in the actor's scope (the caller loads them). The receipt with
    the tracking code goes out through the outbox unless ``send_receipt`` is False (the SMS
    webhook answers with it in its own reply).
    """
    if actor is not None:
        require(actor, "grievances:create")
    data = dict(data)
    errors = _check_intake(sess, actor, data)
    if errors:
        raise InvalidInput(errors=errors)
    now = now or utcnow()
    office_id = (data.get("office_id") or (participant.office_id if participant else None)
                 or (actor.office_id if actor else None) or default_office_id(sess))
    if office_id is None:
        raise InvalidInput(errors=[_error("office_id", "required", _("Choose an office."))])
    category, severity = data["category"], data.get("severity") or Severity.MEDIUM.value
    confidentiality = data.get("confidentiality") or (
        Confidentiality.RESTRICTED.value if category in RESTRICTED_BY_DEFAULT
        else Confidentiality.STANDARD.value)
    if (data.get("assignee_id") is None and actor is not None
            and Role(actor.role) in OFFICE_ROLES and actor.office_id == office_id):
        # Whoever logs it takes it until someone else is named (and keeps seeing a restricted
        # one they have just written down).
        data["assignee_id"] = actor.id
    ack_due, resolve_due = deadlines_for(sess, office_id, category, severity, now)
    code = new_tracking_code()
    language = data.get("language") or (participant.language if participant else None) or "en"
    kind = against_kind(data)
    g = Grievance(
        tracking_hash=tracking_hash(code), tracking_code=code, office_id=office_id,
        participant_id=participant.id if participant else None,
        contact_phone=None if participant else contact_phone,
        contact_email=None if participant else contact_email, language=language,
        category=category, severity=severity, confidentiality=confidentiality,
        channel=Channel(channel).value, state=State.RECEIVED.value, against_kind=kind,
        against_employer_id=data.get("against_employer_id"),
        against_recruiter_id=data.get("against_recruiter_id"),
        against_name=(data.get("against_name") or "").strip() or None,
        description=data["description"].strip(),
        desired_outcome=(data.get("desired_outcome") or "").strip() or None,
        assignee_id=data.get("assignee_id"), created_by=actor.id if actor else None,
        appeal_of_id=data.get("appeal_of_id"), received_at=now, ack_due_at=ack_due,
        resolve_due_at=resolve_due, sla_status=SlaStatus.ON_TRACK.value, updated_at=now)
    sess.add(g)
    sess.flush()
    g.reference = f"GR-{now.year}-{g.id:06d}"
    sess.add(GrievanceEntry(grievance_id=g.id, kind=EntryKind.TRANSITION.value, event="receive",
                            to_state=State.RECEIVED.value, actor_id=actor.id if actor else None,
                            created_at=now))
    audit.record(sess, "grievances:grievance:create", actor_id=actor.id if actor else None,
                 object_type="grievance", object_id=g.id, office_id=office_id,
                 channel=g.channel, category=category, severity=severity,
                 confidentiality=confidentiality, appeal_of=g.appeal_of_id,
                 **({"participant_id": participant.id} if participant else {}))
    if participant is not None:
        shared_timeline.record(sess, participant, TimelineKind.LOGGED,
                               actor_id=actor.id if actor else None, **_timeline_data(g))
    if send_receipt:
        notify.received(sess, g, code)
    logger.info("grievance created id=%s office=%s channel=%s", g.id, office_id, g.channel)
    return g, code


# Guards: each returns None when met, or why not (in the user's language).
def _within_appeal_window(sess: Session, g: Grievance, now: datetime) -> str | None:
    days = current_app.config["GRIEVANCE_APPEAL_DAYS"]
    if g.resolved_at is None or now > g.resolved_at + timedelta(days=days):
        return _("The time to appeal (%(days)d days after the resolution) has passed.", days=days)
    return None


def _not_an_appeal(sess: Session, g: Grievance, now: datetime) -> str | None:
    if g.appeal_of_id is not None:
        return _("An appeal cannot be appealed again.")
    return None


def _appeal_closed(sess: Session, g: Grievance, now: datetime) -> str | None:
    if g.state != State.APPEALED.value:
        return None
    open_appeal = sess.scalar(sa.select(sa.exists().where(
        Grievance.appeal_of_id == g.id, Grievance.state != State.CLOSED.value)))
    return _("Its appeal is still open.") if open_appeal else None


GUARDS = {"within_appeal_window": _within_appeal_window, "not_an_appeal": _not_an_appeal,
          "appeal_closed": _appeal_closed}


def _check_required(t: Transition, data: dict[str, Any]) -> None:
    errors = []
    for name in t.required:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(_error(name, "required", _("Required for this step.")))
    if data.get("decision") is not None and data["decision"] not in {d.value for d in Decision}:
        errors.append(_error("decision", "invalid", _("Not a known decision.")))
    if errors:
        raise InvalidInput(errors=errors)


def require_full(sess: Session, actor: User, g: Grievance) -> None:
    """Acting on a grievance needs seeing it: a masked one is refused (403), never changed."""
    if not access.sees_full(sess, actor, g):
        raise ProblemError(_("This grievance is restricted: only its focal points and assignee "
                             "can work on it."), status=403, code="restricted")


def _entry(sess: Session, g: Grievance, kind: EntryKind, actor: User | None, now: datetime,
           **values: Any) -> GrievanceEntry:
    entry = GrievanceEntry(grievance_id=g.id, kind=kind.value, actor_id=actor.id if actor else None,
                           created_at=now, **values)
    sess.add(entry)
    return entry


def transition(sess: Session, actor: User, g: Grievance, event: str,
               data: dict[str, Any] | None = None, *, expected: Precondition | None,
               now: datetime | None = None) -> tuple[Grievance, Grievance | None, str | None]:
    """Move a grievance by one event of the table, or refuse with every reason.

    Returns the grievance, and for an appeal the new linked grievance and its tracking code.
    """
    data = dict(data or {})
    now = now or utcnow()
    require(actor, "grievances:manage")
    require_full(sess, actor, g)
    t = TRANSITIONS_BY_EVENT.get(event)
    if t is None:
        raise InvalidInput(errors=[_error("event", "unknown-event", _("Unknown step."))])
    source = State(g.state)
    if source not in t.sources:
        raise TransitionRefused(_("This step is not possible now."), code="event-not-allowed",
                                extra={"state": source.value,
                                       "allowed_events": available_events(source)})
    check_version(g.version, expected,
                  _("Someone changed this grievance since you read it; reload and try again."))
    _check_required(t, data)
    unmet = [{"guard": name, "message": reason} for name in t.guards
             if (reason := GUARDS[name](sess, g, now)) is not None]
    if unmet:
        raise TransitionRefused(_("Some conditions for this step are not met."),
                                code="guards-unmet", extra={"unmet": unmet})
    bump(sess, g, expected,
         _("Someone changed this grievance at the same time; reload and try again."))

    paused = resumed = False
    g.state = t.target.value
    g.updated_at = now
    if event == "acknowledge":
        g.acknowledged_at = now
    elif event == "request_information" and data.get("pause_clock"):
        g.clock_paused_at, g.sla_status, paused = now, SlaStatus.PAUSED.value, True
    elif event == "information_received" and g.clock_paused_at is not None:
        g.resolve_due_at += now - g.clock_paused_at
        g.clock_paused_at, resumed = None, True
        # The scan refines on track / at risk within a minute; a deadline gone is breached now.
        g.sla_status = (SlaStatus.ON_TRACK if now <= g.resolve_due_at
                        else SlaStatus.BREACHED).value
    elif event == "resolve":
        if g.clock_paused_at is not None:  # resolved while waiting: the clock stops for good
            g.resolve_due_at += now - g.clock_paused_at
            g.clock_paused_at = None
        g.decision, g.resolution_summary = data["decision"], data["resolution_summary"].strip()
        g.resolved_at = now
        g.sla_status = (SlaStatus.MET if now <= g.resolve_due_at else SlaStatus.MISSED).value
    elif event == "reopen":
        g.decision = g.resolution_summary = g.resolved_at = None
        g.sla_status = (SlaStatus.ON_TRACK if now <= g.resolve_due_at
                        else SlaStatus.BREACHED).value
    elif event == "close":
        g.closed_at = now
    note = (data.get("note") or "").strip() or None
    _entry(sess, g, EntryKind.TRANSITION, actor, now, event=event, from_state=source.value,
           to_state=t.target.value, body=note)
    audit.record(sess, "grievances:grievance:transition", actor_id=actor.id,
                 object_type="grievance", object_id=g.id, office_id=g.office_id, event=event,
                 from_state=source.value, to_state=t.target.value, decision=g.decision)
    if paused or resumed:
        kind = EntryKind.CLOCK_PAUSED if paused else EntryKind.CLOCK_RESUMED
        _entry(sess, g, kind, actor, now)
        audit.record(sess, f"grievances:sla:{'paused' if paused else 'resumed'}",
                     actor_id=actor.id, object_type="grievance", object_id=g.id,
                     office_id=g.office_id, resolve_due_at=g.resolve_due_at.isoformat())
    appeal = code = None
    if event == "appeal":
        appeal, code = _open_appeal(sess, actor, g, note or "", now)
    if event == "resolve":
        notify.resolved(sess, g)
        if g.participant_id is not None:
            shared_timeline.record(sess, sess.get(Participant, g.participant_id),
                                   TimelineKind.RESOLVED, actor_id=actor.id, **_timeline_data(g))
    logger.info("grievance transition id=%s event=%s %s->%s", g.id, event, source.value,
                t.target.value)
    return g, appeal, code


def appeal_by_complainant(sess: Session, g: Grievance, grounds: str, *,
                          now: datetime | None = None) -> tuple[Grievance, str]:
    """The complainant's own appeal, from the public status page (no staff actor): the appeal
    step of the table, its guards and grounds, then the linked appeal and its tracking code."""
    now = now or utcnow()
    t = TRANSITIONS_BY_EVENT["appeal"]
    source = State(g.state)
    if source not in t.sources:
        raise TransitionRefused(_("This step is not possible now."), code="event-not-allowed",
                                extra={"state": source.value})
    _check_required(t, {"note": grounds})
    unmet = [{"guard": name, "message": reason} for name in t.guards
             if (reason := GUARDS[name](sess, g, now)) is not None]
    if unmet:
        raise TransitionRefused(_("Some conditions for this step are not met."),
                                code="guards-unmet", extra={"unmet": unmet})
    bump(sess, g, None, _("Someone changed this grievance at the same time; try again."))
    g.state, g.updated_at = t.target.value, now
    _entry(sess, g, EntryKind.TRANSITION, None, now, event=t.event, from_state=source.value,
           to_state=t.target.value, body=grounds.strip())
    audit.record(sess, "grievances:grievance:transition", actor_id=None, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, event=t.event, from_state=source.value,
                 to_state=t.target.value, decision=g.decision, by="complainant")
    appeal, code = _open_appeal(sess, None, g, grounds.strip(), now)
    logger.info("grievance appealed by complainant id=%s appeal=%s", g.id, appeal.id)
    return appeal, code


def _open_appeal(sess: Session, actor: User | None, g: Grievance, grounds: str, now: datetime
                 ) -> tuple[Grievance, str]:
    participant = sess.get(Participant, g.participant_id) if g.participant_id else None
    data = {"office_id": g.office_id, "category": g.category, "severity": g.severity,
            "confidentiality": g.confidentiality, "against_kind": g.against_kind,
            "against_employer_id": g.against_employer_id,
            "against_recruiter_id": g.against_recruiter_id, "against_name": g.against_name,
            "description": grounds, "desired_outcome": g.desired_outcome,
            "language": g.language, "appeal_of_id": g.id}
    return intake(sess, actor, data, channel=g.channel, participant=participant,
                  contact_phone=g.contact_phone, contact_email=g.contact_email, now=now)


def add_entry(sess: Session, actor: User, g: Grievance, body: str, *, public: bool,
              now: datetime | None = None) -> GrievanceEntry:
    """An internal note, or a public reply (shown on the status page and sent)."""
    require(actor, "grievances:manage")
    require_full(sess, actor, g)
    if not (body or "").strip():
        raise InvalidInput(errors=[_error("body", "required", _("Write the note."))])
    now = now or utcnow()
    entry = _entry(sess, g, EntryKind.PUBLIC_REPLY if public else EntryKind.NOTE, actor, now,
                   body=body.strip(), public=public)
    g.updated_at = now
    sess.flush()
    audit.record(sess, "grievances:grievance:note", actor_id=actor.id, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, entry_id=entry.id, public=public)
    if public:
        notify.updated(sess, g, dedupe_key=f"grievance-reply:{entry.id}")
    return entry


def assign(sess: Session, actor: User, g: Grievance, assignee_id: int | None, *,
           expected: Precondition | None, now: datetime | None = None) -> Grievance:
    """Give the grievance to a caseworker or supervisor of its office (None: unassign)."""
    require(actor, "grievances:manage")
    require_full(sess, actor, g)
    if assignee_id is not None:
        errors = _check_intake(sess, actor, {"category": g.category, "description": "-",
                                             "office_id": g.office_id, "assignee_id": assignee_id})
        if errors:
            raise InvalidInput(errors=errors)
    check_version(g.version, expected,
                  _("Someone changed this grievance since you read it; reload and try again."))
    bump(sess, g, expected, _("Someone changed this grievance at the same time; reload and try again."))
    now = now or utcnow()
    previous, g.assignee_id, g.updated_at = g.assignee_id, assignee_id, now
    _entry(sess, g, EntryKind.ASSIGNED, actor, now)
    audit.record(sess, "grievances:grievance:assign", actor_id=actor.id, object_type="grievance",
                 object_id=g.id, office_id=g.office_id, assignee_id=assignee_id,
                 previous_assignee_id=previous)
    return g
