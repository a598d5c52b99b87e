"""The demo's referrals (#16), so the directory, the referral pages, the partner's pages and the
closed-loop figures show something after `make run`:

* three service providers in Lisbon with their HSDS details (description, email, website): the
  job centre (the demo user ``partner`` works there), a women's association with a shelter at a
  confidential address, and a migrants' health and rights centre;
* ten directory services across the categories and flags: jobs, training, a Portuguese course
  not confirmed for 200 days (stale), recognition of qualifications, a women-only emergency
  shelter (confidential location), counselling, emergency money, a health clinic safe for people
  of diverse SOGIESC, free legal aid, and housing advice; with their languages, areas and hours;
* referrals of Lisbon participants (who consented to share with service providers) in every
  state: two sent (one past the time the partner should have been reminded), accepted, in
  progress, completed with the service provided and not provided (unable to contact), declined
  (no capacity), withdrawn, expired (and so escalated), and one escalated for missing its
  completion deadline; the accepted one was made from the demo's wages grievance.

Providers are kept through the organisations' services, locations and services through the
directory's (journey.referrals.directory: audited, places folded for search), the stale course
confirmed 200 days ago. Referral steps happened days or weeks ago, so each goes through the one
function that moves a referral (journey.referrals.services.apply_event) at its own time, after
the actor's scope is checked as a request would (load_referral). The partner's steps at the job
centre are the partner user's; those of the providers without an account are recorded by the
caseworker, as told by phone. The escalation is written as the deadline scan writes it.

Idempotent like the rest of the demo: providers and services are found by name, and no referral
is added once the demo has one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from journey.consent import services as consent_services
from journey.consent.services import has_consent
from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.grievances.models import Grievance
from journey.organisations import services as organisations
from journey.organisations.models import ServiceProvider
from journey.participants.models import Participant
from journey.referrals import deadlines, directory_admin, links, services
from journey.referrals.access import load_referral
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    LinkPurpose,
    Referral,
    ReferralEvent,
)
from journey.referrals.states import TRANSITIONS_BY_EVENT

JOB_CENTRE = "Lisbon Job Centre (IEFP)"  # made by journey.demo.load; the partner user's
WOMEN = "Associação Casa Segura"
HEALTH = "Lisbon Migrants' Health and Rights Centre"

_PROVIDERS: dict[str, dict[str, Any]] = {
    JOB_CENTRE: {
        "kind": "job_centre", "country": "PT",
        "description": "The public employment service's Lisbon centre: job search, vocational "
                       "training and recognition of qualifications for jobseekers, migrants "
                       "included.",
        "email": "lisboa.emprego@iefp.example.org", "phone": "+351213500100",
        "website": "https://iefp.example.org/lisboa"},
    WOMEN: {
        "kind": "psychosocial", "country": "PT",
        "description": "A women's association: an emergency shelter for women and their "
                       "children escaping violence, counselling, and emergency financial help.",
        "email": "acolhimento@casasegura.example.org", "phone": "+351218400200",
        "website": "https://casasegura.example.org"},
    HEALTH: {
        "kind": "health", "country": "PT",
        "description": "A community centre for migrants: a health clinic, free legal aid on "
                       "work and residence, and housing advice.",
        "email": "geral@saudedireitos.example.org", "phone": "+351218100300",
        "website": "https://saudedireitos.example.org"},
}

# Locations by provider: (name, address, postal code, confidential).
_LOCATIONS = {
    JOB_CENTRE: [("Picoas centre", "Avenida Fontes Pereira de Melo 23", "1050-118", False)],
    WOMEN: [("Counselling office", "Rua da Palma 150", "1100-391", False),
            ("Emergency shelter", "Address given by the association on referral", "1000-000",
             True)],
    HEALTH: [("Martim Moniz centre", "Rua do Benformoso 64", "1100-085", False)],
}

STALE_DAYS_AGO = 200


@dataclass(frozen=True)
class _Spec:
    key: str
    provider: str
    location: str
    name: str
    description: str
    flags: tuple[str, ...]
    languages: tuple[str, ...] = ("pt", "en")
    areas: tuple[str, ...] = ("Lisbon",)
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    hours: tuple[int, int] = (9, 17)
    extra: tuple[tuple[str, Any], ...] = ()
    assured_days_ago: int = 20


_SERVICES = [
    _Spec("jobs", JOB_CENTRE, "Picoas centre", "Job search and placement support",
          "Registration as a jobseeker, job offers matched to your skills and an employment "
          "counsellor.", ("employment",), ("pt", "en", "hi"), ("Lisbon", "Setúbal district"),
          extra=(("documents_required", "Residence permit or visa, passport, tax number (NIF)"),
                 ("application_process", "Come to the centre with your documents, or be "
                                         "referred by your resource centre."),
                 ("waiting_days", 3))),
    _Spec("training", JOB_CENTRE, "Picoas centre", "Vocational training: hospitality and tourism",
          "Short courses for kitchen, restaurant and housekeeping work, with an internship.",
          ("training",), extra=(("capacity", 24), ("waiting_days", 30), ("min_age", 18))),
    _Spec("portuguese", JOB_CENTRE, "Picoas centre", "Portuguese for work (PLA course)",
          "Portuguese as a host language, levels A1 to B2, in the evening.", ("training",),
          ("pt", "en", "ne"), weekdays=(1, 3), hours=(18, 21), assured_days_ago=STALE_DAYS_AGO),
    _Spec("qualifications", JOB_CENTRE, "Picoas centre", "Recognition of foreign qualifications",
          "Help to have a diploma or trade certificate from abroad recognised in Portugal.",
          ("employment", "training"),
          extra=(("documents_required", "Diploma or certificate, with a certified translation"),)),
    _Spec("shelter", WOMEN, "Emergency shelter", "Emergency shelter for women",
          "A safe place to stay for women, and their children, escaping violence; open day and "
          "night. The address is given only to the referring caseworker.",
          ("housing", "women_only", "psychosocial"), ("pt", "en", "hi", "bn"),
          ("Lisbon", "Setúbal district"), weekdays=(1, 2, 3, 4, 5, 6, 7), hours=(0, 23),
          extra=(("eligible_sex", "female"), ("capacity", 12), ("response_days", 1),
                 ("completion_days", 60))),
    _Spec("counselling", WOMEN, "Counselling office", "Psychosocial support and counselling",
          "Individual and group counselling with psychologists, in several languages.",
          ("psychosocial",), ("pt", "en", "ne"), extra=(("waiting_days", 14),)),
    _Spec("money", WOMEN, "Counselling office", "Emergency financial help",
          "A one-off grant for rent, food or medicine while other support is arranged.",
          ("financial",), extra=(("eligibility_note", "For women followed by the association."),)),
    _Spec("clinic", HEALTH, "Martim Moniz centre", "Community health clinic",
          "General practice, sexual and reproductive health and vaccinations, whatever your "
          "residence status; staff trained to welcome people of diverse SOGIESC.",
          ("health", "sogiesc_safe"), ("pt", "en", "hi", "bn", "ne"),
          weekdays=(1, 2, 3, 4, 5, 6)),
    _Spec("legal", HEALTH, "Martim Moniz centre", "Free legal aid for migrant workers",
          "Lawyers advise on unpaid wages, contracts and residence permits, and take cases to "
          "the labour inspectorate or court.", ("legal_aid",), ("pt", "en", "hi"),
          extra=(("documents_required", "Contract, payslips, any messages from the employer"),)),
    _Spec("housing", HEALTH, "Martim Moniz centre", "Housing advice",
          "Help to find a room, read a lease and deal with a landlord.", ("housing",),
          extra=(("fees_description", "Free; a deposit loan is repaid in instalments."),)),
]


@dataclass
class DemoReferrals:
    """What the loader prints."""

    added: int = 0
    partner_referral_id: int | None = None
    link_url: str | None = None

    def echo_links(self, echo, base: str) -> None:
        """The referral pages this installation has, printed by the loader after the others."""
        if self.partner_referral_id is None:
            return
        staff = [p for p in (_path("referral_pages.referrals"),
                             _path("directory_pages.services"),
                             _path("referral_report_pages.report")) if p]
        partner = [p for p in (_path("partner_portal.home"),
                               _path("partner_portal.referral",
                                     referral_id=self.partner_referral_id)) if p]
        if staff:
            echo("Referrals (log in as caseworker.lisbon): "
                 + ", ".join(base + p for p in staff))
        if partner:
            echo("The job centre's referrals (log in as partner): "
                 + ", ".join(base + p for p in partner))
        if self.link_url:
            echo("Signed link for the legal aid service to report the outcome (no login; "
                 f"used up once reported, expires in {links.link_days()} days): "
                 f"{self.link_url}")


def _path(endpoint: str, **values: Any) -> str | None:
    """The page's path, or None when this installation has no such page."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def load_demo_referrals(sess: Session, users: dict[str, User]) -> DemoReferrals:
    """The directory and the referrals, once."""
    quiet = [logging.getLogger(name) for name in
             ("journey.referrals", "journey.core.links", "journey.consent", "journey.organisations")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.WARNING)
    try:
        return _load(sess, users)
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)


def _load(sess: Session, users: dict[str, User]) -> DemoReferrals:
    result = DemoReferrals()
    now = utcnow()
    providers = {}
    for name in _PROVIDERS:
        providers[name], added = _provider(sess, users["admin"], name)
        result.added += added
    locations = {}
    for name, rows in _LOCATIONS.items():
        for row in rows:
            locations[(name, row[0])], added = _location(sess, users["admin"], providers[name],
                                                         row)
            result.added += added
    directory = {}
    for spec in _SERVICES:
        directory[spec.key], added = _service(sess, users["admin"], providers[spec.provider],
                                              locations[(spec.provider, spec.location)], spec,
                                              now)
        result.added += added
    if sess.scalar(sa.select(Referral.id).limit(1)) is not None:
        result.partner_referral_id = sess.scalar(sa.select(Referral.id).where(
            Referral.provider_id == users["partner"].provider_id,
            Referral.state == "sent").order_by(Referral.id).limit(1))
        return result
    result.added += _referrals(sess, users, directory, now, result)
    return result


# --- The directory ----------------------------------------------------------------------------

def _provider(sess: Session, admin: User, name: str) -> tuple[ServiceProvider, int]:
    """The provider with its HSDS details, through the organisations' services (audited)."""
    details = _PROVIDERS[name]
    row = sess.scalar(sa.select(ServiceProvider).where(ServiceProvider.name == name))
    if row is None:
        return organisations.create_provider(sess, admin, {"name": name, **details}), 1
    missing = {k: v for k, v in details.items() if getattr(row, k) is None}
    if not missing:
        return row, 0
    return organisations.update_provider(sess, admin, row.id, missing, expected=None), 1


def _location(sess: Session, admin: User, provider: ServiceProvider, row: tuple
              ) -> tuple[DirectoryLocation, int]:
    name, address, postal_code, confidential = row
    found = sess.scalar(sa.select(DirectoryLocation).where(
        DirectoryLocation.provider_id == provider.id, DirectoryLocation.name == name))
    if found is not None:
        return found, 0
    return directory_admin.create_location(sess, admin, {
        "provider_id": provider.id, "name": name, "address": address, "city": "Lisboa",
        "region": "Lisboa", "postal_code": postal_code, "country": "PT",
        "confidential": confidential}), 1


def _service(sess: Session, admin: User, provider: ServiceProvider,
             location: DirectoryLocation, spec: _Spec, now: datetime
             ) -> tuple[DirectoryService, int]:
    """The service through the directory's own service (audited), confirmed when the spec says."""
    found = sess.scalar(sa.select(DirectoryService).where(
        DirectoryService.provider_id == provider.id, DirectoryService.name == spec.name))
    if found is not None:
        return found, 0
    opens, closes = spec.hours
    service = directory_admin.create_service(sess, admin, {
        "provider_id": provider.id, "name": spec.name, "description": spec.description,
        "email": provider.email, "phone": provider.phone, "url": provider.website,
        **{flag: True for flag in spec.flags}, **dict(spec.extra),
        "assured_at": now - timedelta(days=spec.assured_days_ago),
        "languages": list(spec.languages), "areas": list(spec.areas),
        "location_ids": [location.id],
        "schedules": [{"weekday": day, "opens_at": time(opens),
                       "closes_at": time(closes, 59 if closes == 23 else 0)}
                      for day in spec.weekdays]})
    return service, 1


# --- Referrals --------------------------------------------------------------------------------

def _step(sess: Session, user: User, referral: Referral, event: str, at: datetime,
          **data: Any) -> None:
    """One step taken at ``at`` by ``user``, who must be allowed to take it now."""
    load_referral(sess, user, referral.id, TRANSITIONS_BY_EVENT[event].permission)
    services.apply_event(sess, referral, event, data, actor_id=user.id, now=at)
    referral.version += 1
    sess.flush()


def _refer(sess: Session, caseworker: User, p: Participant, service: DirectoryService,
           sent_at: datetime, *, reason: str, fields: tuple[str, ...] = ("name", "phone",
                                                                          "language"),
           urgency: str = "routine", grievance_id: int | None = None) -> Referral:
    """A referral drafted half an hour before it was sent, and sent at ``sent_at``."""
    if not has_consent(sess, p.id, "share_providers"):
        consent_services.grant(sess, caseworker, p, purpose="share_providers", method="signed")
    referral = services.create(sess, caseworker, {
        "participant_id": p.id, "service_id": service.id, "urgency": urgency, "reason": reason,
        "shared_fields": list(fields), "grievance_id": grievance_id})
    drafted = sent_at - timedelta(minutes=30)
    referral.created_at = drafted
    for event in sess.scalars(sa.select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id)):
        event.at = drafted
    _step(sess, caseworker, referral, "send", sent_at)
    return referral


def _overdue_for_reminder(sess: Session, office_id: int, service: DirectoryService,
                          now: datetime) -> datetime:
    """A time to have sent a routine referral so that its reminder time has passed and its
    answer is not yet late (the office's business days decide both)."""
    for hours in range(24, 24 * 14, 3):
        start = now - timedelta(hours=hours)
        due, remind = deadlines.response_deadline(sess, office_id, service, "routine", start)
        if remind < now - timedelta(hours=2) and due > now + timedelta(hours=12):
            return start
    return now - timedelta(days=3)


def _people(sess: Session, office_id: int, exclude: set[int]) -> tuple[list, list]:
    """The office's people, women and men (everyone else with the men), in id order."""
    rows = sess.scalars(sa.select(Participant).where(
        Participant.office_id == office_id, Participant.erased_at.is_(None),
        Participant.id.not_in(exclude or {0})).order_by(Participant.id)).all()
    women = [p for p in rows if p.sex == "female"]
    others = [p for p in rows if p.sex != "female"]
    return women, others


def _referrals(sess: Session, users: dict[str, User], svc: dict[str, DirectoryService],
               now: datetime, result: DemoReferrals) -> int:
    lisbon, partner = users["caseworker.lisbon"], users["partner"]
    office_id = lisbon.office_id
    wages = sess.scalar(sa.select(Grievance).where(
        Grievance.category == "wages", Grievance.participant_id.is_not(None),
        Grievance.office_id == office_id).order_by(Grievance.id).limit(1))
    women, others = _people(sess, office_id, {wages.participant_id} if wages else set())
    if len(women) < 3 or len(others) < 3:
        return 0
    # A caseworker records what providers without an account say by phone.
    told = lisbon
    day, hour = timedelta(days=1), timedelta(hours=1)
    women, others = iter(women * 2), iter(others * 2)

    # Sent two hours ago: the job centre has a new referral to answer.
    fresh = _refer(sess, lisbon, next(others), svc["jobs"], now - 2 * hour,
                   reason="Looking for work in a kitchen after his seasonal contract ended.")
    result.partner_referral_id = fresh.id
    # Sent days ago, past half its response time: the partner is due a reminder.
    _refer(sess, lisbon, next(women), svc["training"],
           _overdue_for_reminder(sess, office_id, svc["training"], now),
           reason="Wants the hospitality course to move from housekeeping to the kitchen.")

    # From the wages grievance: free legal aid, accepted by phone.
    if wages is not None:
        claimant = sess.get(Participant, wages.participant_id)
        r = _refer(sess, lisbon, claimant, svc["legal"], now - 3 * day, grievance_id=wages.id,
                   reason="About 40 hours of summer overtime unpaid; wants to claim it.",
                   fields=("name", "phone", "language", "nationality"))
        _step(sess, told, r, "accept", now - 2 * day)
        # The centre has no account: a signed link lets it report the outcome, printed once.
        result.link_url = links.issue_link(sess, r, LinkPurpose.OUTCOME, actor_id=lisbon.id,
                                           email=svc["legal"].email)

    # In progress at the job centre.
    r = _refer(sess, lisbon, next(others), svc["qualifications"], now - 12 * day,
               reason="Diploma in hotel management from Kathmandu; needs it recognised.")
    _step(sess, partner, r, "accept", now - 11 * day)
    _step(sess, partner, r, "progress", now - 6 * day,
          note="Application filed with the certified translation; waiting for the ministry.")

    # Completed, the service provided (the job centre's own steps).
    r = _refer(sess, lisbon, next(women), svc["jobs"], now - 26 * day,
               reason="Room attendant with two seasons' experience; wants a year-round job.")
    _step(sess, partner, r, "accept", now - 25 * day)
    _step(sess, partner, r, "start", now - 24 * day)
    _step(sess, partner, r, "complete", now - 12 * day, outcome="provided",
          note="Hired by a hotel in Baixa on a one-year contract.")

    # Completed, not provided: the clinic could not reach him.
    r = _refer(sess, lisbon, next(others), svc["clinic"], now - 21 * day,
               reason="Back pain since the summer season; no doctor yet.")
    _step(sess, told, r, "accept", now - 20 * day)
    _step(sess, told, r, "complete", now - 9 * day, outcome="not_provided",
          outcome_reason="unable_to_contact",
          note="Three calls and an SMS unanswered; the appointment was not kept.")

    # Declined: no places in counselling this month.
    r = _refer(sess, lisbon, next(women), svc["counselling"], now - 8 * day,
               reason="Anxious and not sleeping since a conflict with her supervisor.")
    _step(sess, told, r, "decline", now - 7 * day, reason="no_capacity",
          note="Waiting list full until next month; please refer again then.")

    # Withdrawn by the caseworker: no longer needed.
    r = _refer(sess, lisbon, next(women), svc["money"], now - 6 * day,
               reason="Rent due; her first wage was late.")
    _step(sess, lisbon, r, "withdraw", now - 4 * day, reason="no_longer_needed",
          note="The wage arrived; the rent is paid.")

    # Expired: the Portuguese course (a stale entry) never answered.
    r = _refer(sess, lisbon, next(others), svc["portuguese"], now - 20 * day,
               reason="Wants evening Portuguese classes to reach A2.")
    services.apply_event(sess, r, "expire", {}, actor_id=None, now=r.response_due_at)
    r.version += 1
    _escalate(sess, r, "response", r.response_due_at, r.response_due_at)

    # The shelter, in an emergency: answered within the hour, the stay under way.
    r = _refer(sess, lisbon, next(women), svc["shelter"], now - 5 * day, urgency="emergency",
               reason="Threatened by her partner at home; needs a safe place tonight.",
               fields=("name", "phone", "language", "sex"))
    _step(sess, told, r, "accept", now - 5 * day + 40 * timedelta(minutes=1))
    _step(sess, told, r, "start", now - 5 * day + 3 * hour)

    # Escalated: housing advice accepted weeks ago and never completed.
    r = _refer(sess, lisbon, next(others), svc["housing"], now - 45 * day,
               reason="Sharing a room with five others; the landlord keeps the deposit.")
    _step(sess, told, r, "accept", now - 44 * day)
    _step(sess, told, r, "start", now - 40 * day)
    _escalate(sess, r, "completion", r.complete_due_at, r.complete_due_at + hour)
    return 11


def _escalate(sess: Session, referral: Referral, deadline: str, due: datetime,
              at: datetime) -> None:
    """The escalation of a missed deadline ("response" or "completion") to the referring
    office, written as the deadline scan (journey.referrals.scan) writes it."""
    referral.escalated_at = at
    sess.add(ReferralEvent(referral_id=referral.id, kind="escalate", from_state=referral.state,
                           to_state=referral.state, reason=deadline, partner_visible=False,
                           at=at))
    sess.flush()
    audit.record(sess, "referrals:referral:escalate", actor_id=None, object_type="referral",
                 object_id=referral.id, office_id=referral.office_id,
                 participant_id=referral.participant_id, provider_id=referral.provider_id,
                 deadline=deadline, due=due.isoformat(), source="demo")
