"""What the partner is told, by email (owner: helper "partner").

tell_partner(sess, referral, kind, *, actor_id) with kind one of:
* "new": a referral was sent to it;
* "reminder": half its response time is gone and it has not answered (the deadline scan);
* "outcome_link": it accepted through a signed link, and gets the link to report the outcome.

Its active partner users with an email address are emailed (in their language) with a link to
the referral's page; a provider with no such user gets a signed link (journey.referrals.links)
at the service's email, else the provider's, in the language links.link_language picks. Returns
how many emails were queued.

Each email has a dedupe key (kind, referral, recipient), and a signed link is issued only when
its email is not queued already: a retry, or a second caller for the same step (the deadlines'
notify and the link's own accept), emails once. No participant's name goes into a subject or a
body: the partner opens the referral to see what was shared with it.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _, _l
from journey.core.policy import Role
from journey.organisations.models import Office, ServiceProvider
from journey.referrals import links
from journey.referrals.access import load_referral
from journey.referrals.models import DirectoryService, LinkPurpose, Referral
from journey.referrals.states import State
from notifications.hooks import Recipient
from notifications.models import OutboxMessage
from notifications.outbox import enqueue
from notifications.templates import DATE, TEXT, URL, Template

logger = logging.getLogger(__name__)

KINDS = ("new", "reminder", "outcome_link")
PAGE_PATH = "/partner/referrals/{id}"
NEW = "partner_referral_new"
REMINDER = "partner_referral_reminder"
OUTCOME_LINK = "partner_referral_outcome_link"

# service: the directory service's name; reference (a recipient param): the referral's;
# date: answer by (new, reminder) or complete by (outcome_link); url: the referral's page or a
# signed link. Email only: the SMS text is what a template must have, never sent.
NEW_TEMPLATE = Template(
    NEW,
    _l("%(centre)s referred a person to %(service)s (%(reference)s). Please accept or decline "
       "by %(date)s: %(url)s"),
    _l("New referral to %(service)s"), {"service": TEXT, "date": DATE, "url": URL},
    email=_l("Hello %(name)s, %(centre)s has referred a person to %(service)s (referral "
             "%(reference)s). Please open it, and accept or decline it by %(date)s: %(url)s. "
             "Questions: %(phone)s."))

REMINDER_TEMPLATE = Template(
    REMINDER,
    _l("%(centre)s is waiting for your answer to referral %(reference)s to %(service)s. Please "
       "accept or decline by %(date)s: %(url)s"),
    _l("Reminder: a referral to %(service)s is waiting for your answer"),
    {"service": TEXT, "date": DATE, "url": URL},
    email=_l("Hello %(name)s, %(centre)s is still waiting for your answer to referral "
             "%(reference)s to %(service)s. Please open it, and accept or decline it by "
             "%(date)s: %(url)s. Questions: %(phone)s."))

OUTCOME_LINK_TEMPLATE = Template(
    OUTCOME_LINK,
    _l("Thank you for accepting referral %(reference)s to %(service)s. Record progress and "
       "report the outcome by %(date)s: %(url)s"),
    _l("Report the outcome of a referral to %(service)s"),
    {"service": TEXT, "date": DATE, "url": URL},
    email=_l("Hello %(name)s, thank you for accepting referral %(reference)s to %(service)s. "
             "Use this link to record progress and, once the service is given or cannot be, to "
             "report the outcome by %(date)s: %(url)s. Questions: %(phone)s."))

TEMPLATES = (NEW_TEMPLATE, REMINDER_TEMPLATE, OUTCOME_LINK_TEMPLATE)
_TEMPLATE_OF = {"new": NEW, "reminder": REMINDER, "outcome_link": OUTCOME_LINK}
_PURPOSE_OF = {"new": LinkPurpose.RESPOND, "reminder": LinkPurpose.RESPOND,
               "outcome_link": LinkPurpose.OUTCOME}
# The states in which each message still makes sense (a late retry after an answer says nothing).
_STATES_OF = {"new": (State.SENT.value,), "reminder": (State.SENT.value,),
              "outcome_link": (State.ACCEPTED.value, State.IN_PROGRESS.value)}


def _recipient(email: str, name: str, language: str | None, centre: str,
               reference: str) -> Recipient:
    """A partner's user or address, by email in their language (no participant)."""
    return Recipient(participant_id=None, phone=None, email=email, language=language or "en",
                     fallback_language=None, timezone="UTC", channels=("email",),
                     params={"name": name, "reference": reference, "centre": centre,
                             "phone": current_app.config["HELPLINE"]})


def partner_users(sess: Session, provider_id: int) -> list[User]:
    """The provider's active partner users who can be emailed."""
    return list(sess.scalars(sa.select(User).where(
        User.provider_id == provider_id, User.role == Role.PARTNER.value,
        User.is_active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)))


def link_address(sess: Session, referral: Referral) -> tuple[str | None, str]:
    """Where a signed link goes: the service's email, else the provider's; and whom to greet."""
    service = sess.get(DirectoryService, referral.service_id)
    provider = sess.get(ServiceProvider, referral.provider_id)
    if service is not None and service.email:
        return service.email, service.name
    if provider is not None and provider.email:
        return provider.email, provider.name
    return None, service.name if service else ""


def _queued(sess: Session, key: str) -> bool:
    return sess.scalar(sa.select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == f"{key}:email").limit(1)) is not None


def _date_of(referral: Referral, kind: str):
    due = referral.complete_due_at if kind == "outcome_link" else referral.response_due_at
    return due.date() if due is not None else None


def tell_partner(sess: Session, referral: Referral, kind: str, *, actor_id: int | None) -> int:
    """Email the partner about this referral (see the module's doc); returns emails queued."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if referral.state not in _STATES_OF[kind]:
        return 0
    service = sess.get(DirectoryService, referral.service_id)
    centre = (sess.scalar(sa.select(Office.name).where(Office.id == referral.office_id))
              or current_app.config["CENTRE_NAME"])
    reference = referral.reference or str(referral.id)
    template = _TEMPLATE_OF[kind]
    due = _date_of(referral, kind)
    base_key = f"partner-referral:{kind}:{referral.id}"
    written = 0
    users = partner_users(sess, referral.provider_id)
    to = "users"
    if users:
        # A path, not url_for: the deadline scan has no request (partner_portal.referral).
        page = current_app.config["PUBLIC_BASE_URL"] + PAGE_PATH.format(id=referral.id)
        for user in users:
            written += enqueue(
                sess, _recipient(user.email, user.full_name, user.language, centre, reference),
                template, {"service": service.name, "date": due or referral.sent_at.date(),
                           "url": page},
                dedupe_key=f"{base_key}:user:{user.id}")
    else:
        email, greet = link_address(sess, referral)
        to = "link"
        key = f"{base_key}:link"
        if email is None:
            logger.warning("referral partner has no address referral=%s provider=%s",
                           referral.id, referral.provider_id)
            to = "nobody"
        elif not _queued(sess, key):
            url = links.issue_link(sess, referral, _PURPOSE_OF[kind], actor_id=actor_id,
                                   email=email)
            language = links.link_language(sess, referral)
            written += enqueue(sess, _recipient(email, greet, language, centre, reference),
                               template, {"service": service.name,
                                          "date": due or referral.sent_at.date(), "url": url},
                               dedupe_key=key)
    if written:
        audit.record(sess, "referrals:referral:tell_partner", actor_id=actor_id,
                     object_type="referral", object_id=referral.id, office_id=referral.office_id,
                     participant_id=referral.participant_id, provider_id=referral.provider_id,
                     kind=kind, to=to, messages=written)
    logger.info("partner told referral=%s kind=%s to=%s messages=%d", referral.id, kind, to,
                written)
    return written


def send_link(sess: Session, actor: User, referral_id: int) -> int:
    """Staff email the partner a fresh signed link (referrals:link) for what the referral waits
    for now: an answer (sent), or the outcome (accepted, in progress); 409 otherwise, 422 when
    neither the service nor the provider has an email address. Returns emails queued."""
    referral = load_referral(sess, actor, referral_id, "referrals:link", for_update=True)
    if referral.state in _STATES_OF["new"]:
        kind = "new"
    elif referral.state in _STATES_OF["outcome_link"]:
        kind = "outcome_link"
    else:
        raise Conflict(_("This referral is not waiting for the partner."),
                       code="referral-state", extra={"referral_state": referral.state})
    email, greet = link_address(sess, referral)
    if email is None:
        raise InvalidInput(errors=[{"field": "email", "code": "no-email", "message": _(
            "Neither the service nor its provider has an email address in the directory.")}])
    link, url = links.new_link(sess, referral, _PURPOSE_OF[kind], actor_id=actor.id,
                               email=email)
    service = sess.get(DirectoryService, referral.service_id)
    centre = (sess.scalar(sa.select(Office.name).where(Office.id == referral.office_id))
              or current_app.config["CENTRE_NAME"])
    written = enqueue(sess, _recipient(email, greet, links.link_language(sess, referral), centre,
                                       referral.reference or str(referral.id)),
                      _TEMPLATE_OF[kind], {"service": service.name,
                                           "date": _date_of(referral, kind)
                                           or referral.sent_at.date(), "url": url},
                      dedupe_key=f"partner-referral:{kind}:{referral.id}:link:{link.id}")
    audit.record(sess, "referrals:referral:send_link", actor_id=actor.id,
                 object_type="referral", object_id=referral.id, office_id=referral.office_id,
                 participant_id=referral.participant_id, provider_id=referral.provider_id,
                 kind=kind, messages=written)
    return written
