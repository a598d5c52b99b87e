"""Onboarding steps: the employer confirms them (in its pages, through staff, or through a signed
link sent to a contact without an account), and the participant may contest a confirmation.

* ``confirm_step``: the employer of the placement or staff; a step is confirmed once (409 after).
  The participant is told in their language (journey.employers.notify).
* ``contest_step``: a confirmed step the participant says did not happen ("I was not paid"),
  by SMS reply (journey.employers.sms, no actor) or through their caseworker. It opens a grievance
  against the employer (journey.grievances.services.intake) and marks the step contested.
* ``issue_link`` / ``use_link``: a link signed with itsdangerous (salt "onboarding-step-confirm")
  carrying the OnboardingLink id and a random nonce whose SHA-256 only is stored. It expires
  (stored ``expires_at``, and the signature's age), works once (``used_at`` set by a conditional
  UPDATE, so two concurrent uses cannot both succeed) and confirms only its own step.

Services never commit. Audit events and logs carry ids only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from journey.config import SUPPORTED_LANGUAGES
from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound, ProblemError
from journey.core.i18n import _, _l
from journey.core.policy import require
from journey.core.versions import Precondition, check_version, stale
from journey.employers import notify
from journey.employers.access import is_employer, placement_scope
from journey.employers.models import (
    EmployerContact,
    OnboardingLink,
    OnboardingStep,
    Placement,
    PlacementStatus,
    StepStatus,
)
from journey.employers.onboarding import STEP_TITLES
from journey.grievances import services as grievances
from journey.grievances.models import AgainstKind, Category, Channel, Grievance, Severity
from journey.participants.models import Participant

logger = logging.getLogger(__name__)

LINK_SALT = "onboarding-step-confirm"
LINK_DAYS = 14  # ONBOARDING_LINK_DAYS overrides it
TOKEN_MAX = 400  # a real token is about 110 characters
# The grievance a contested step opens, by what the step says happened.
CONTEST_CATEGORY = {"first_wage_paid": Category.WAGES, "accommodation_ready": Category.HOUSING,
                    "contract_signed": Category.CONTRACT_SUBSTITUTION}
# A contest by SMS reaches back this far for the step it is about.
CONTEST_WINDOW_DAYS = 60

_S = OnboardingStep.__table__
_L = OnboardingLink.__table__


class LinkGone(ProblemError):
    """A link that was real but no longer works: expired, already used, or its step is done."""

    status, code, title = 410, "link-gone", _l("This link no longer works")


def step_title(key: str) -> Any:
    """The step's title (lazy, so it renders in whoever reads it's language)."""
    return STEP_TITLES.get(key, key)


def link_days() -> int:
    return int(current_app.config.get("ONBOARDING_LINK_DAYS", LINK_DAYS))


# What an employer user sees of a contested step: what it confirmed, nothing of the contest. A
# contest is a grievance, and nothing naming a complainant reaches an employer (journey.grievances
# .access): the worker must not be exposed to retaliation for saying they were not paid. The
# grievance's own process tells the employer what it needs to answer.
STEP_FIELDS = ("id", "placement_id", "key", "position", "due_on", "status", "confirmed_at",
               "confirmed_by", "confirmed_via_link_id", "contested_at", "contest_grievance_id",
               "version")


def present_step(step: OnboardingStep, user: User | None) -> dict[str, Any]:
    """A step as this user may see it (an employer user: a contest shows as its confirmation)."""
    values = {name: getattr(step, name) for name in STEP_FIELDS}
    if user is not None and is_employer(user) and step.status == StepStatus.CONTESTED.value:
        values.update(status=StepStatus.CONFIRMED.value, contested_at=None,
                      contest_grievance_id=None)
    values["title"] = str(step_title(step.key))
    return values


# --- loading ---------------------------------------------------------------------------------

def load_step(sess: Session, user: User, step_id: int, permission: str, *,
              placement_id: int | None = None) -> tuple[OnboardingStep, Placement]:
    """The step and its placement if the user may see the placement (and the step is of that
    placement, when given): 403 for the wrong role, 404 otherwise."""
    require(user, permission)
    where = [OnboardingStep.id == step_id, placement_scope(user)]
    if placement_id is not None:
        where.append(OnboardingStep.placement_id == placement_id)
    row = sess.execute(sa.select(OnboardingStep, Placement)
                       .join(Placement, Placement.id == OnboardingStep.placement_id)
                       .where(*where)).first()
    if row is None:
        raise NotFound(_("No such onboarding step."))
    return row[0], row[1]


def _office_of(sess: Session, participant_id: int) -> int | None:
    return sess.scalar(sa.select(Participant.office_id).where(Participant.id == participant_id))


def waiting_steps(sess: Session, user: User) -> list[tuple[OnboardingStep, Placement]]:
    """The steps waiting for confirmation on the active placements the user sees, the soonest
    due first (an employer user: its own; staff: their participants')."""
    require(user, "placements:read")
    rows = sess.execute(
        sa.select(OnboardingStep, Placement)
        .join(Placement, Placement.id == OnboardingStep.placement_id)
        .where(placement_scope(user), Placement.status == PlacementStatus.ACTIVE.value,
               OnboardingStep.status == StepStatus.WAITING.value)
        .order_by(OnboardingStep.due_on.is_(None), OnboardingStep.due_on, Placement.id,
                  OnboardingStep.position)).all()
    found = [(step, placement) for step, placement in rows]
    audit.record(sess, "employers:onboarding_step:list", actor_id=user.id,
                 object_type="onboarding_step", count=len(found),
                 placement_ids=sorted({p.id for _s, p in found})[:500])
    return found


# --- confirming ------------------------------------------------------------------------------

def _check_confirmable(step: OnboardingStep, placement: Placement) -> None:
    if placement.status != PlacementStatus.ACTIVE.value:
        raise Conflict(_("The placement has ended; its steps can no longer be confirmed."),
                       code="placement-ended")
    if step.status != StepStatus.WAITING.value:
        raise Conflict(_("This step is already confirmed."), code="step-not-waiting",
                       extra={"step_status": step.status})


def _mark_confirmed(sess: Session, step: OnboardingStep, *, actor_id: int | None,
                    link_id: int | None, note: str | None, now: datetime) -> bool:
    """Confirm the step if it is still waiting, in one conditional UPDATE (a concurrent
    confirmation, by a person or a link, makes it 0 rows); returns whether this one did it."""
    sess.flush()
    result = sess.connection().execute(
        _S.update().where(_S.c.id == step.id, _S.c.status == StepStatus.WAITING.value)
        .values(status=StepStatus.CONFIRMED.value, confirmed_at=now, confirmed_by=actor_id,
                confirmed_via_link_id=link_id, note=note, updated_at=now,
                version=_S.c.version + 1))
    if result.rowcount != 1:
        return False
    sess.expire(step)
    return True


def _after_confirmed(sess: Session, step: OnboardingStep, placement: Placement, *,
                     actor_id: int | None, link_id: int | None) -> None:
    audit.record(sess, "employers:onboarding_step:confirm", actor_id=actor_id,
                 object_type="onboarding_step", object_id=step.id,
                 office_id=_office_of(sess, placement.participant_id),
                 placement_id=placement.id, participant_id=placement.participant_id,
                 employer_id=placement.employer_id, key=step.key, link_id=link_id)
    notify.step_confirmed(sess, step, placement)
    logger.info("onboarding step confirmed step=%s placement=%s link=%s", step.id, placement.id,
                link_id)


def confirm_step(sess: Session, user: User, step_id: int, *, note: str | None = None,
                 expected: Precondition | None = None,
                 placement_id: int | None = None) -> OnboardingStep:
    """Confirm a waiting step of an active placement (the employer, or staff on its behalf);
    409 step-not-waiting once confirmed (or contested), placement-ended after the end."""
    step, placement = load_step(sess, user, step_id, "onboarding:confirm",
                                placement_id=placement_id)
    _check_confirmable(step, placement)
    check_version(step.version, expected,
                  _("Someone changed this step since you read it; reload and try again."))
    note = (note or "").strip() or None
    if not _mark_confirmed(sess, step, actor_id=user.id, link_id=None, note=note, now=utcnow()):
        if expected:
            raise stale(expected, _("Someone confirmed this step at the same time."))
        raise Conflict(_("This step is already confirmed."), code="step-not-waiting")
    _after_confirmed(sess, step, placement, actor_id=user.id, link_id=None)
    return step


# --- contesting ------------------------------------------------------------------------------

def open_contest(sess: Session, actor: User | None, step: OnboardingStep, placement: Placement,
                 *, text: str, channel: Channel | str, language: str | None = None
                 ) -> tuple[Grievance, str]:
    """Contest a confirmed step: the grievance against the employer (and its tracking code,
    for the SMS reply), the step contested; 409 step-not-confirmed otherwise."""
    if step.status != StepStatus.CONFIRMED.value:
        raise Conflict(_("Only a confirmed step can be contested."), code="step-not-confirmed",
                       extra={"step_status": step.status})
    participant = sess.get(Participant, placement.participant_id)
    category = CONTEST_CATEGORY.get(step.key, Category.OTHER)
    data = {"category": category.value, "severity": Severity.MEDIUM.value,
            "against_kind": AgainstKind.EMPLOYER.value,
            "against_employer_id": placement.employer_id, "description": text,
            "language": language or participant.language}
    # By SMS the receipt is the webhook's own reply; through a caseworker it goes by the outbox.
    g, code = grievances.intake(sess, actor, data, channel=channel, participant=participant,
                                send_receipt=actor is not None)
    now = utcnow()
    sess.flush()
    result = sess.connection().execute(
        _S.update().where(_S.c.id == step.id, _S.c.status == StepStatus.CONFIRMED.value)
        .values(status=StepStatus.CONTESTED.value, contested_at=now, contest_grievance_id=g.id,
                updated_at=now, version=_S.c.version + 1))
    if result.rowcount != 1:
        raise Conflict(_("This step was contested at the same time."),
                       code="step-not-confirmed")
    sess.expire(step)
    audit.record(sess, "employers:onboarding_step:contest",
                 actor_id=actor.id if actor else None, object_type="onboarding_step",
                 object_id=step.id, office_id=participant.office_id, placement_id=placement.id,
                 participant_id=participant.id, employer_id=placement.employer_id,
                 grievance_id=g.id, channel=Channel(channel).value)
    logger.info("onboarding step contested step=%s placement=%s grievance=%s", step.id,
                placement.id, g.id)
    return g, code


def contest_step(sess: Session, actor: User | None, step_id: int, *, text: str,
                 channel: Channel | str, placement_id: int | None = None) -> Grievance:
    """The participant says a confirmed step did not happen: a grievance against the employer
    opens (its category from the step) and the step is contested. ``actor`` is the caseworker
    writing down the participant's words, or None for the participant's own SMS."""
    if actor is not None:
        step, placement = load_step(sess, actor, step_id, "onboarding:contest",
                                    placement_id=placement_id)
    else:
        found = sess.execute(sa.select(OnboardingStep, Placement)
                             .join(Placement, Placement.id == OnboardingStep.placement_id)
                             .where(OnboardingStep.id == step_id)).first()
        if found is None:
            raise NotFound(_("No such onboarding step."))
        step, placement = found
    if not (text or "").strip():
        raise InvalidInput(errors=[{"field": "text", "code": "required",
                                    "message": _("Write what the participant says happened.")}])
    g, _code = open_contest(sess, actor, step, placement, text=text.strip(), channel=channel)
    return g


def step_to_contest(sess: Session, participant_id: int, now: datetime | None = None
                    ) -> tuple[OnboardingStep, Placement] | None:
    """The step a participant's CONTEST reply is about: the most recently confirmed step of
    their active placement, within CONTEST_WINDOW_DAYS."""
    now = now or utcnow()
    row = sess.execute(
        sa.select(OnboardingStep, Placement)
        .join(Placement, Placement.id == OnboardingStep.placement_id)
        .where(Placement.participant_id == participant_id,
               Placement.status == PlacementStatus.ACTIVE.value,
               OnboardingStep.status == StepStatus.CONFIRMED.value,
               OnboardingStep.confirmed_at >= now - timedelta(days=CONTEST_WINDOW_DAYS))
        .order_by(OnboardingStep.confirmed_at.desc(), OnboardingStep.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


# --- signed links ----------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_url(token: str, language: str | None = None) -> str:
    """The public page of a link, in the contact's language (?lang=, which the page keeps)."""
    url = f"{current_app.config['PUBLIC_BASE_URL']}/onboarding/confirm/{token}"
    return f"{url}?lang={language}" if language in SUPPORTED_LANGUAGES else url


def issue_link(sess: Session, actor: User, step_id: int, *, contact_id: int,
               placement_id: int | None = None, now: datetime | None = None
               ) -> tuple[OnboardingLink, str]:
    """A link confirming this one waiting step, emailed to a contact of the placement's employer
    in their language; returns the link and its token (shown nowhere else)."""
    step, placement = load_step(sess, actor, step_id, "onboarding:send_link",
                                placement_id=placement_id)
    _check_confirmable(step, placement)
    contact = sess.get(EmployerContact, contact_id) if contact_id is not None else None
    if (contact is None or contact.employer_id != placement.employer_id
            or contact.removed_at is not None):
        raise InvalidInput(errors=[{"field": "contact_id", "code": "not-found",
                                    "message": _("Choose a contact of this employer.")}])
    if not contact.email:
        raise InvalidInput(errors=[{"field": "contact_id", "code": "no-email",
                                    "message": _("This contact has no email address.")}])
    now = now or utcnow()
    nonce = secrets.token_urlsafe(24)
    link = OnboardingLink(step_id=step.id, nonce_hash=nonce_hash(nonce), contact_id=contact.id,
                          created_by=actor.id, created_at=now,
                          expires_at=now + timedelta(days=link_days()))
    sess.add(link)
    sess.flush()
    token = _serializer().dumps([link.id, nonce])
    notify.link_issued(sess, link, step, placement, contact, link_url(token, contact.language))
    audit.record(sess, "employers:onboarding_link:create", actor_id=actor.id,
                 object_type="onboarding_link", object_id=link.id,
                 office_id=_office_of(sess, placement.participant_id), step_id=step.id,
                 placement_id=placement.id, contact_id=contact.id,
                 expires_at=link.expires_at.isoformat())
    logger.info("onboarding link issued link=%s step=%s contact=%s", link.id, step.id, contact.id)
    return link, token


def resolve_link(sess: Session, token: str, now: datetime | None = None
                 ) -> tuple[OnboardingLink, OnboardingStep, Placement]:
    """The link behind a token: 404 for a token we did not sign (or tampered with), 410 when it
    is real but expired, used, or its step is no longer waiting."""
    now = now or utcnow()
    if not token or len(token) > TOKEN_MAX:
        raise NotFound()
    try:
        payload = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise LinkGone(code="link-expired") from None
    except BadSignature:
        raise NotFound() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise NotFound()
    link = sess.get(OnboardingLink, payload[0])
    if link is None or not secrets.compare_digest(link.nonce_hash, nonce_hash(payload[1])):
        raise NotFound()
    if link.used_at is not None:
        raise LinkGone(code="link-used")
    if link.expires_at <= now:
        raise LinkGone(code="link-expired")
    step = sess.get(OnboardingStep, link.step_id)
    placement = sess.get(Placement, step.placement_id)
    if step.status != StepStatus.WAITING.value or placement.status != PlacementStatus.ACTIVE.value:
        raise LinkGone(code="step-done")
    return link, step, placement


def view_link(sess: Session, token: str) -> dict[str, Any]:
    """What the public page shows of a link: the step and the worker's first name (audited)."""
    link, step, placement = resolve_link(sess, token)
    participant = sess.get(Participant, placement.participant_id)
    contact = sess.get(EmployerContact, link.contact_id) if link.contact_id else None
    audit.record(sess, "employers:onboarding_link:view", actor_id=None,
                 object_type="onboarding_link", object_id=link.id,
                 office_id=participant.office_id, step_id=step.id, placement_id=placement.id)
    return {"link": link, "step": step, "placement": placement,
            "worker": participant.given_name, "title": step_title(step.key),
            "language": contact.language if contact else None}


def use_link(sess: Session, token: str, *, note: str | None = None,
             now: datetime | None = None) -> OnboardingStep:
    """Confirm the link's step, once: the link is spent by a conditional UPDATE, so of two
    concurrent uses one confirms and the other is told the link is gone (410)."""
    now = now or utcnow()
    link, step, placement = resolve_link(sess, token, now)
    sess.flush()
    spent = sess.connection().execute(
        _L.update().where(_L.c.id == link.id, _L.c.used_at.is_(None), _L.c.expires_at > now)
        .values(used_at=now))
    if spent.rowcount != 1:
        raise LinkGone(code="link-used")
    sess.expire(link)
    note = (note or "").strip() or None
    if not _mark_confirmed(sess, step, actor_id=None, link_id=link.id, note=note, now=now):
        raise LinkGone(code="step-done")
    _after_confirmed(sess, step, placement, actor_id=None, link_id=link.id)
    return step


def links_of(sess: Session, step_ids: list[int]) -> list[OnboardingLink]:
    """The links issued for these steps, newest first (for the staff page)."""
    if not step_ids:
        return []
    return list(sess.scalars(sa.select(OnboardingLink).where(OnboardingLink.step_id.in_(step_ids))
                             .order_by(OnboardingLink.id.desc())))
