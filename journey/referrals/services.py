"""Referrals: make one, move it through the transition table (journey.referrals.states), and
read it back. Every route, page, signed link and the deadline scan goes through apply_event, so
the rules (sources, required fields, guards, timestamps, links, history, audit, notifications)
hold whoever acts.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.core import audit, links
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _, _l
from journey.core.links import LinkReason, OrganisationKind
from journey.core.policy import require
from journey.core.versions import Precondition, bump, check_version
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.referrals import deadlines, disclosure, notify
from journey.referrals.access import is_partner, load_referral, referral_scope
from journey.referrals.models import DirectoryService, Referral, ReferralEvent, ServiceStatus
from journey.referrals.states import (
    DEFAULT_SHARED,
    FINAL_STATES,
    OPEN_STATES,
    SHAREABLE,
    STATE_TITLES,
    TRANSITIONS_BY_EVENT,
    Outcome,
    State,
    Transition,
    WithdrawReason,
)

logger = logging.getLogger(__name__)

_STALE = _l("This referral was changed by someone else; reload it and try again.")
_FINAL = tuple(s.value for s in FINAL_STATES)
_OPEN_OR_DRAFT = (State.DRAFT.value, *(s.value for s in OPEN_STATES))


# --- guards: each returns None when satisfied, or why not ------------------------------------------

def _guard_consent(sess: Session, referral: Referral, _data: dict) -> str | None:
    if has_consent(sess, referral.participant_id, Purpose.SHARE_PROVIDERS):
        return None
    return _("The participant has not consented to share their information with service "
             "providers. Record their consent first.")


def _guard_service_active(sess: Session, referral: Referral, _data: dict) -> str | None:
    service = sess.get(DirectoryService, referral.service_id)
    if service is not None and service.status == ServiceStatus.ACTIVE.value:
        return None
    return _("The service is not active in the directory.")


def _guard_participant_active(sess: Session, referral: Referral, _data: dict) -> str | None:
    p = sess.get(Participant, referral.participant_id)
    if p is not None and p.erased_at is None:
        return None
    return _("The participant's record was erased.")


def _guard_outcome(_sess: Session, _referral: Referral, data: dict) -> str | None:
    if data.get("outcome") == Outcome.NOT_PROVIDED.value and not data.get("outcome_reason"):
        return _("Say why the service was not provided.")
    return None


GUARDS = {
    "consent_share_providers": _guard_consent,
    "service_active": _guard_service_active,
    "participant_active": _guard_participant_active,
    "outcome_given": _guard_outcome,
}
# The code of the 409 when this guard alone is unmet (the reason is in detail and "unmet").
_GUARD_CODES = {"consent_share_providers": "consent-required"}


def _missing(t: Transition, data: dict) -> list[dict[str, str]]:
    errors = []
    for name in t.required:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append({"field": name, "code": "required",
                           "message": _("Required for this step.")})
    return errors


def _check(sess: Session, referral: Referral, t: Transition, data: dict) -> None:
    if State(referral.state) not in t.sources:
        raise Conflict(_("This referral is “%(state)s”; it cannot be moved that way.",
                         state=STATE_TITLES[State(referral.state)]),
                       code="referral-state", extra={"referral_state": referral.state,
                                                     "event": t.event})
    errors = _missing(t, data)
    if errors:
        raise InvalidInput(errors=errors)
    unmet = [{"guard": g, "message": m} for g in t.guards
             if (m := GUARDS[g](sess, referral, data)) is not None]
    if unmet:
        code = _GUARD_CODES.get(unmet[0]["guard"], "guards-unmet") if len(unmet) == 1 \
            else "guards-unmet"
        raise Conflict(unmet[0]["message"] if len(unmet) == 1 else
                       _("This referral cannot be moved yet."), code=code,
                       extra={"unmet": unmet})


# --- applying a transition -----------------------------------------------------------------------

def apply_event(sess: Session, referral: Referral, event: str, data: dict[str, Any], *,
                actor_id: int | None, via_link_id: int | None = None,
                now: datetime | None = None) -> ReferralEvent:
    """Apply one row of the table to a referral already loaded (and authorised) by the caller:
    check it, set the state and its timestamps, record the event, link or unlink the partner,
    set deadlines, audit and notify. The caller bumps the version."""
    t = TRANSITIONS_BY_EVENT[event]
    _check(sess, referral, t, data)
    now = now or utcnow()
    source = referral.state
    target = t.target
    if event == "progress" and source == State.IN_PROGRESS.value:
        target = State.IN_PROGRESS
    referral.state = target.value
    reason = None
    if event == "send":
        referral.sent_at, referral.sent_by = now, actor_id
        service = sess.get(DirectoryService, referral.service_id)
        referral.response_due_at, referral.remind_at = deadlines.response_deadline(
            sess, referral.office_id, service, referral.urgency, now)
        links.link(sess, actor_id, referral.participant_id, OrganisationKind.SERVICE_PROVIDER,
                   referral.provider_id, LinkReason.REFERRED, office_id=referral.office_id)
    elif event in ("accept", "decline"):
        referral.responded_at = now
        if event == "accept":
            referral.accepted_at = now
            service = sess.get(DirectoryService, referral.service_id)
            referral.complete_due_at = deadlines.completion_deadline(
                sess, referral.office_id, service, now)
        else:
            referral.decline_reason = reason = data["reason"]
    elif event in ("start", "progress") and referral.started_at is None:
        referral.started_at = now
    elif event == "complete":
        referral.outcome = data["outcome"]
        referral.outcome_reason = reason = (data.get("outcome_reason")
                                            if data["outcome"] == Outcome.NOT_PROVIDED.value
                                            else None)
        referral.started_at = referral.started_at or now
    elif event == "withdraw":
        reason = data["reason"]
    if target.value in _FINAL:
        referral.closed_at = now
    row = ReferralEvent(referral_id=referral.id, kind=event, from_state=source,
                        to_state=target.value, reason=reason, note=data.get("note") or None,
                        partner_visible=data.get("partner_visible", True), actor_id=actor_id,
                        via_link_id=via_link_id, at=now)
    sess.add(row)
    sess.flush()
    audit.record(sess, f"referrals:referral:{event}", actor_id=actor_id, object_type="referral",
                 object_id=referral.id, office_id=referral.office_id,
                 participant_id=referral.participant_id, provider_id=referral.provider_id,
                 from_state=source, to_state=target.value, reason=reason,
                 via_link_id=via_link_id)
    logger.info("referral moved id=%s event=%s %s->%s", referral.id, event, source, target.value)
    notify.on_event(sess, referral, event, actor_id=actor_id)
    return row


def transition(sess: Session, actor: User, referral_id: int, event: str, data: dict[str, Any],
               *, expected: Precondition | None = None) -> Referral:
    """A user moves a referral: the row's permission, the user's scope (a partner its own
    referrals only), the version they read, then apply_event."""
    t = TRANSITIONS_BY_EVENT.get(event)
    if t is None or event == "expire":
        raise NotFound(_("No such step."))
    referral = load_referral(sess, actor, referral_id, t.permission, for_update=True)
    check_version(referral.version, expected, str(_STALE))
    apply_event(sess, referral, event, dict(data), actor_id=actor.id)
    bump(sess, referral, expected, str(_STALE))
    return referral


# --- making one ----------------------------------------------------------------------------------

def _service(sess: Session, service_id: int) -> DirectoryService:
    service = sess.get(DirectoryService, service_id)
    if service is None:
        raise InvalidInput(errors=[{"field": "service_id", "code": "unknown",
                                    "message": _("No such service.")}])
    return service


def _grievance_of(sess: Session, actor: User, grievance_id: int, participant_id: int) -> int:
    from journey.grievances import access as grievance_access

    try:
        g = grievance_access.load(sess, actor, grievance_id)
    except NotFound:
        g = None
    if g is None or g.participant_id != participant_id:
        raise InvalidInput(errors=[{"field": "grievance_id", "code": "unknown",
                                    "message": _("No such grievance of this participant.")}])
    return g.id


def _shared(fields: list[str] | None) -> list[str]:
    chosen = set(DEFAULT_SHARED if fields is None else fields)
    unknown = chosen - set(SHAREABLE)
    if unknown:
        raise InvalidInput(errors=[{"field": "shared_fields", "code": "unknown",
                                    "message": _("Unknown field: %(name)s",
                                                 name=sorted(unknown)[0])}])
    return [f for f in SHAREABLE if f in chosen]


def create(sess: Session, actor: User, data: dict[str, Any]) -> Referral:
    """A referral of a participant in the actor's scope to a directory service, as a draft, or
    sent at once (``send``: true) when its guards pass. From a grievance when grievance_id is
    given (the grievance then shows its outcome)."""
    require(actor, "referrals:create")
    participant = load_participant(sess, actor, data["participant_id"])
    service = _service(sess, data["service_id"])
    grievance_id = (_grievance_of(sess, actor, data["grievance_id"], participant.id)
                    if data.get("grievance_id") is not None else None)
    now = utcnow()
    referral = Referral(participant_id=participant.id, office_id=participant.office_id,
                        service_id=service.id, provider_id=service.provider_id,
                        grievance_id=grievance_id, urgency=data.get("urgency") or "routine",
                        reason=data.get("reason") or None,
                        shared_fields=_shared(data.get("shared_fields")),
                        created_by=actor.id, created_at=now)
    sess.add(referral)
    sess.flush()
    referral.reference = f"RF-{now.year}-{referral.id:06d}"
    sess.add(ReferralEvent(referral_id=referral.id, kind="created", from_state=None,
                           to_state=State.DRAFT.value, actor_id=actor.id, at=now,
                           partner_visible=False))
    sess.flush()
    audit.record(sess, "referrals:referral:create", actor_id=actor.id, object_type="referral",
                 object_id=referral.id, office_id=referral.office_id,
                 participant_id=participant.id, service_id=service.id,
                 provider_id=service.provider_id, grievance_id=grievance_id,
                 shared_fields=referral.shared_fields)
    if data.get("send"):
        require(actor, "referrals:send")
        apply_event(sess, referral, "send", {}, actor_id=actor.id, now=now)
        referral.version += 1
        sess.flush()
    return referral


_DRAFT_EDITABLE = ("service_id", "urgency", "reason", "shared_fields")


def update_draft(sess: Session, actor: User, referral_id: int, data: dict[str, Any], *,
                 expected: Precondition | None) -> Referral:
    """Change a draft (service, urgency, reason, shared fields) at the version read. A sent
    referral's shared fields are what the partner was given: they do not change."""
    referral = load_referral(sess, actor, referral_id, "referrals:create", for_update=True)
    check_version(referral.version, expected, str(_STALE))
    if referral.state != State.DRAFT.value:
        raise Conflict(_("Only a draft referral can be changed."), code="referral-state",
                       extra={"referral_state": referral.state})
    changed = {}
    if "service_id" in data and data["service_id"] is not None:
        service = _service(sess, data["service_id"])
        referral.service_id, referral.provider_id = service.id, service.provider_id
        changed["service_id"] = service.id
    if "shared_fields" in data:
        referral.shared_fields = _shared(data["shared_fields"])
        changed["shared_fields"] = referral.shared_fields
    if data.get("urgency"):
        referral.urgency = changed["urgency"] = data["urgency"]
    if "reason" in data:
        referral.reason = data["reason"] or None
        changed["reason"] = "changed"
    bump(sess, referral, expected, str(_STALE))
    audit.record(sess, "referrals:referral:update", actor_id=actor.id, object_type="referral",
                 object_id=referral.id, office_id=referral.office_id,
                 participant_id=referral.participant_id, changed=sorted(changed))
    return referral


# --- consent withdrawn ---------------------------------------------------------------------------

def withdraw_on_consent(sess: Session, actor: User, participant: Participant) -> int:
    """Consent to share with service providers was withdrawn: the person's open referrals (and
    drafts) are withdrawn and no partner keeps them in its scope. Returns how many."""
    rows = list(sess.scalars(sa.select(Referral).where(
        Referral.participant_id == participant.id, Referral.state.in_(_OPEN_OR_DRAFT))
        .order_by(Referral.id)))
    for referral in rows:
        apply_event(sess, referral, "withdraw",
                    {"reason": WithdrawReason.CONSENT_WITHDRAWN.value}, actor_id=actor.id)
        referral.version += 1
    providers = set(sess.scalars(sa.select(links.ParticipantLink.service_provider_id).where(
        links.ParticipantLink.participant_id == participant.id,
        links.ParticipantLink.reason == LinkReason.REFERRED.value,
        links.ParticipantLink.ended_at.is_(None))))
    for provider_id in sorted(providers):
        links.unlink(sess, actor.id, participant.id, OrganisationKind.SERVICE_PROVIDER,
                     provider_id, LinkReason.REFERRED, office_id=participant.office_id)
    sess.flush()
    return len(rows)


# --- reading -------------------------------------------------------------------------------------

def events(sess: Session, referral_id: int) -> list[ReferralEvent]:
    return list(sess.scalars(sa.select(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.id)))


def staff_view(sess: Session, referral: Referral) -> dict[str, Any]:
    """The referral as staff see it: everything, the person's name, every note."""
    service = sess.get(DirectoryService, referral.service_id)
    p = sess.get(Participant, referral.participant_id)
    out = {c: getattr(referral, c) for c in Referral.model_fields}
    out.update({
        "service_name": service.name if service else None,
        "participant_reference": p.reference if p else None,
        "participant_name": (f"{p.given_name} {p.family_name}" if p and p.erased_at is None
                             else None),
        "events": [{"kind": e.kind, "from_state": e.from_state, "to_state": e.to_state,
                    "reason": e.reason, "note": e.note, "partner_visible": e.partner_visible,
                    "actor_id": e.actor_id, "via_link": e.via_link_id is not None, "at": e.at}
                   for e in events(sess, referral.id)],
    })
    return out


def read(sess: Session, user: User, referral_id: int) -> dict[str, Any]:
    """One referral as this user may see it (a partner: only the shared fields). Audited."""
    referral = load_referral(sess, user, referral_id, "referrals:read")
    view = disclosure.for_partner(sess, referral) if is_partner(user) else staff_view(sess,
                                                                                       referral)
    audit.record(sess, "referrals:referral:read", actor_id=user.id, object_type="referral",
                 object_id=referral.id, office_id=referral.office_id,
                 participant_id=referral.participant_id,
                 fields=view["shared_fields"] if is_partner(user) else "all")
    return view


def list_query(user: User, *, state: str | None = None, participant_id: int | None = None,
               provider_id: int | None = None, service_id: int | None = None,
               office_id: int | None = None, grievance_id: int | None = None) -> sa.Select:
    """The referrals this user may see, filtered; newest first (callers page it)."""
    where = [referral_scope(user)]
    for column, value in ((Referral.state, state), (Referral.participant_id, participant_id),
                          (Referral.provider_id, provider_id), (Referral.service_id, service_id),
                          (Referral.office_id, office_id), (Referral.grievance_id, grievance_id)):
        if value is not None:
            where.append(column == value)
    return sa.select(Referral).where(*where).order_by(Referral.id.desc())


def for_grievance(sess: Session, grievance_id: int) -> list[Referral]:
    """The referrals made from a grievance (the grievance's page shows their outcome; the
    caller has already loaded the grievance in its own scope)."""
    return list(sess.scalars(sa.select(Referral).where(Referral.grievance_id == grievance_id)
                             .order_by(Referral.id)))


def timeline_entries(sess: Session, participant: Any) -> list[dict[str, Any]]:
    """The participant's referral steps as timeline entries (kind referral_<event>)."""
    rows = sess.execute(
        sa.select(ReferralEvent.id, ReferralEvent.kind, ReferralEvent.reason,
                  ReferralEvent.actor_id, ReferralEvent.at, ReferralEvent.to_state,
                  Referral.id.label("referral_id"), Referral.reference, Referral.service_id,
                  Referral.outcome, DirectoryService.name.label("service_name"))
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .join(DirectoryService, DirectoryService.id == Referral.service_id)
        .where(Referral.participant_id == participant.id,
               ReferralEvent.kind.not_in(("remind",)))
        .order_by(ReferralEvent.at, ReferralEvent.id))
    return [{"id": r.id, "kind": f"referral_{r.kind}", "occurred_at": r.at,
             "actor_id": r.actor_id, "stage": None, "reason": r.reason,
             "data": {"referral_id": r.referral_id, "reference": r.reference,
                      "service_id": r.service_id, "service_name": r.service_name,
                      "state": r.to_state, "outcome": r.outcome if r.kind == "complete" else None}}
            for r in rows]
