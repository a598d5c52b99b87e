"""The demo's employers (#15), so the employer's pages show something after `make run`:

* Hotel Atlântico Lisboa, the programme's employer (the demo user ``employer`` works for it):
  hotels and similar accommodation (ISIC 5510), verified, its Employer Pays commitment signed,
  two contact people (the HR director has an email, for signed onboarding links);
* a Porto restaurant waiting for verification;
* three recruitment agencies: one licensed on the programme's corridor, one whose licence
  expires within 60 days, one whose licence has expired (the agency of the fee complaints);
* the programme's budget per hire;
* three vacancies: cooks (open: four candidates presented, one shortlisted, one selected; the
  shortlisted one came through the agency with the expired licence, so selecting her is refused),
  room attendants (a draft the employer wrote, waiting for staff to publish it) and waiters
  (filled last season: two workers in Lisbon);
* the selected cook's placement, before she travels: onboarding steps confirmed, one contested
  by her caseworker (which opened a grievance against the hotel), the rest waiting, one with a
  signed link emailed to the HR director;
* her costs, paid by the hotel, the programme and the government of destination, and a visa fee
  she paid herself: an Employer Pays breach, its grievance, refunded by the hotel;
* last season's waiters, working in Lisbon: their placements, most steps confirmed, and the
  retention checks due 3, 6 and 12 months after they arrived.

Idempotent like the rest of the demo: records are found by name, and nothing of the selection
is added once the demo employer has a vacancy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.consent.services import has_consent
from journey.continuum import services as continuum
from journey.continuum.models import ChecklistItem, ItemStatus
from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import utcnow
from journey.costs import breaches
from journey.costs import services as costs
from journey.employers import candidates, registry, retention, vacancies
from journey.employers import recruiters as recruiters_registry
from journey.employers import steps as onboarding
from journey.employers.models import (
    CandidacyState,
    CandidacyStep,
    EmployerContact,
    OnboardingStep,
    Placement,
    Recruiter,
    Vacancy,
    VacancyStatus,
    Verification,
)
from journey.employers.placements import open_placement
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.programmes.models import Programme

_ESCO = "http://data.europa.eu/esco/"
COOK = _ESCO + "occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"  # cook (ISCO 5120)
ROOM_ATTENDANT = _ESCO + "occupation/731ecac4-06e8-4ec2-a559-101fecbd9183"  # ISCO 9112
WAITER = _ESCO + "occupation/d5db9d5c-2ebf-4a54-a79a-1b7e7ff70471"  # waiter/waitress (5131)
FOOD_HYGIENE_RULES = _ESCO + "skill/791fa659-3382-49f8-a8dd-505226d0da48"  # knowledge

SECOND_EMPLOYER = "Restaurante Mar e Serra, Porto"
HR_EMAIL = "recursos.humanos@hotel-atlantico.example.org"
CORRIDOR = "NP-PT"
# (name, licence number, days until the licence expires, corridors served)
_RECRUITERS = [
    ("Everest Overseas Recruitment Pvt. Ltd.", "DoFE-0871/2081", 365, ["NP-PT", "NP-ES"]),
    ("Annapurna Global Manpower Pvt. Ltd.", "DoFE-1142/2079", 40, ["NP-PT", "NP-MT"]),
    # The agency of the demo's recruitment-fee complaints (journey.demo.grievances).
    ("Himalayan Manpower Pvt. Ltd.", "DoFE-0456/2076", -75, ["NP-PT", "NP-QA", "NP-AE"]),
]
LICENSED, EXPIRING, EXPIRED = (name for name, *_rest in _RECRUITERS)
BUDGET_PER_HIRE = Decimal("3500.00")
# The programme's onboarding steps: the defaults and health insurance, which a Portuguese work
# visa needs before departure.
ONBOARDING_STEPS = ["contract_signed", "health_insurance", "accommodation_ready", "arrival_met",
                    "workplace_induction", "social_security_registered", "first_wage_paid"]


@dataclass
class DemoEmployers:
    """What the loader prints: ids for the URLs, and the signed link when it was made now."""

    added: int = 0
    open_vacancy_id: int | None = None
    placement_id: int | None = None
    onboarding_url: str | None = None

    def echo_links(self, echo, base: str) -> None:
        """The employers' pages, printed by the loader after the others."""
        if self.open_vacancy_id is None:
            return
        echo(f"Employers (log in as employer): {base}/employer and the cooks' candidates: "
             f"{base}/employer/vacancies/{self.open_vacancy_id}/candidates")
        if self.placement_id is not None:
            echo(f"Staff: the vacancy {base}/vacancies/{self.open_vacancy_id}, the selected "
                 f"cook's placement {base}/placements/{self.placement_id}, Employer Pays "
                 f"{base}/costs/summary and the recruiters {base}/recruiters")
        if self.onboarding_url:
            echo(f"Signed onboarding link (emailed to the hotel's HR director; works once): "
                 f"{self.onboarding_url}")


def load_demo_employers(sess: Session, users: dict[str, User], programme: Programme,
                        employer: Employer, today: date) -> DemoEmployers:
    """The employers' records, recruiters, vacancies, candidates, a placement and its costs."""
    # A line per record, decision and step would bury the credentials the demo prints.
    quiet = [logging.getLogger(name) for name in
             ("journey.continuum", "journey.employers", "journey.grievances", "journey.costs",
              "journey.core.links")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.WARNING)
    try:
        return _load(sess, users, programme, employer, today)
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)


def _load(sess: Session, users: dict[str, User], programme: Programme, employer: Employer,
          today: date) -> DemoEmployers:
    result = DemoEmployers()
    admin = users["admin"]
    result.added += _employer_record(sess, admin, employer)
    result.added += _second_employer(sess, admin)
    rows, added = _recruiters(sess, users["supervisor"], today)
    recruiters = {r.name: r for r in rows}
    result.added += added
    if programme.budget_per_hire is None:
        programme.budget_per_hire, programme.budget_currency = BUDGET_PER_HIRE, "EUR"
        programme.onboarding_steps = ONBOARDING_STEPS
        result.added += 1
    existing = sess.scalar(sa.select(Vacancy.id).where(
        Vacancy.employer_id == employer.id, Vacancy.status == VacancyStatus.OPEN.value)
        .order_by(Vacancy.id).limit(1))
    if existing is not None:
        result.open_vacancy_id = existing
        result.placement_id = sess.scalar(sa.select(Placement.id).where(
            Placement.vacancy_id == existing).order_by(Placement.id).limit(1))
        return result
    _selection(sess, users, programme, employer, recruiters, today, result)
    return result


# --- The records (through the registry's services, audited) -------------------------------------

def _employer_record(sess: Session, admin: User, employer: Employer) -> int:
    added = 0
    if employer.isic_code is None:
        # ISIC Rev. 4 class 5510: short term accommodation activities (hotels).
        employer.isic_code = "5510"
        added += 1
    if registry.latest_commitment(sess, employer.id) is None:
        registry.record_commitment(sess, admin, employer.id, {
            "version": "2026-1", "signed_on": date(2026, 2, 16),
            "signatory_name": "Marta Sousa Ribeiro",
            "signatory_title": "Human resources director"})
        added += 1
    if employer.verification != Verification.VERIFIED.value:
        registry.verify(sess, admin, employer.id, Verification.VERIFIED.value)
        added += 1
    if not registry.contacts(sess, employer.id):
        registry.add_contact(sess, admin, employer.id, {
            "name": "Marta Sousa Ribeiro", "role": "Human resources director",
            "email": HR_EMAIL, "phone": "+351213400100", "language": "pt"})
        # Meets new workers at the airport; no email, so no links go to him.
        registry.add_contact(sess, admin, employer.id, {
            "name": "Rui Carvalho", "role": "Operations manager", "phone": "+351912400731",
            "language": "pt"})
        added += 2
    return added


def _second_employer(sess: Session, admin: User) -> int:
    if sess.scalar(sa.select(Employer.id).where(Employer.name == SECOND_EMPLOYER)) is not None:
        return 0
    restaurant = Employer(name=SECOND_EMPLOYER, country="PT", sector="Hospitality",
                          isic_code="5610", verification=Verification.PENDING.value,
                          created_at=utcnow())
    sess.add(restaurant)
    sess.flush()
    registry.add_contact(sess, admin, restaurant.id, {
        "name": "Ana Pereira", "role": "Owner", "email": "ana.pereira@mareserra.example.org",
        "language": "pt"})
    return 2


def _recruiters(sess: Session, supervisor: User, today: date) -> tuple[list[Recruiter], int]:
    rows, added = [], 0
    for name, number, days, corridors in _RECRUITERS:
        row = sess.scalar(sa.select(Recruiter).where(Recruiter.name == name))
        if row is None:
            row = recruiters_registry.create_recruiter(sess, supervisor, {
                "name": name, "country": "NP", "licence_number": number,
                "issuing_authority": "Department of Foreign Employment, Nepal",
                "licence_expires_on": today + timedelta(days=days), "corridors": corridors})
            added += 1
        rows.append(row)
    return rows, added


# --- Vacancies, candidates, a placement ---------------------------------------------------------

def _items_done(sess: Session, actor: User, p: Participant) -> None:
    """Tick the required items of the participant's stage, as the caseworker would."""
    for item in sess.scalars(sa.select(ChecklistItem).where(
            ChecklistItem.participant_id == p.id, ChecklistItem.stage == p.stage,
            ChecklistItem.required.is_(True))):
        if item.status != ItemStatus.DONE:
            continuum.update_item(sess, actor, p, item,
                                  {"status": "done", "evidence_note": "Checked at the centre."},
                                  expected=None)


def _candidates(sess: Session, programme: Programme, stage: Stage) -> list[Participant]:
    """The programme's participants at this stage who agreed to share with employers."""
    rows = sess.scalars(sa.select(Participant).where(
        Participant.programme_id == programme.id, Participant.erased_at.is_(None),
        Participant.stage == stage.value).order_by(Participant.id)).all()
    return [p for p in rows if has_consent(sess, p.id, "share_employers")]


def _steps(sess: Session, placement: Placement) -> dict[str, OnboardingStep]:
    return {s.key: s for s in sess.scalars(sa.select(OnboardingStep).where(
        OnboardingStep.placement_id == placement.id))}


def _selection(sess: Session, users: dict[str, User], programme: Programme, employer: Employer,
               recruiters: dict[str, Recruiter], today: date, result: DemoEmployers) -> None:
    boss, caseworker, supervisor = users["employer"], users["caseworker"], users["supervisor"]
    # The employer drafts, staff publish.
    cooks = vacancies.create_vacancy(sess, boss, {
        "programme_id": programme.id, "title": "Cook, hotel restaurant",
        "occupation_uri": COOK, "isco_code": "5120",
        "required_skills": [FOOD_HYGIENE_RULES], "optional_skills": [],
        "languages": [{"language": "en", "level": "B1"}, {"language": "pt", "level": "A2"}],
        "certificates": ["Food hygiene and safety (HACCP), level 2"],
        "place": "Lisbon (Parque das Nações)", "positions": 3,
        "start_date": today + timedelta(days=60), "wage_amount": Decimal("1050.00"),
        "wage_currency": "EUR", "wage_period": "month",
        "conditions": "Full time, 40 hours a week in shifts, two days off in a row; meals on "
                      "duty; a furnished shared flat near the hotel for the first six months at "
                      "no cost; a one-year contract, renewable."})
    vacancies.publish_vacancy(sess, supervisor, cooks.id)
    result.open_vacancy_id = cooks.id
    # The employer's own draft, waiting for staff to publish it.
    vacancies.create_vacancy(sess, boss, {
        "programme_id": programme.id, "title": "Room attendant",
        "occupation_uri": ROOM_ATTENDANT, "isco_code": "9112",
        "languages": [{"language": "en", "level": "A2"}], "place": "Lisbon (Baixa)",
        "positions": 4, "start_date": today + timedelta(days=120),
        "wage_amount": Decimal("870.00"), "wage_currency": "EUR", "wage_period": "month",
        "conditions": "Full time, 40 hours a week; uniform and meals on duty."})
    result.added += 2

    # Presented: two who finished their training, two pre-selected; all agreed to share with
    # employers. The shortlisted cook came through the agency whose licence has expired:
    # selecting her is refused (409 recruiter-licence-expired) until the licence is renewed.
    training = _candidates(sess, programme, Stage.TRAINING)[:2]
    preselected = _candidates(sess, programme, Stage.PRESELECTION)[:2]
    if len(training) < 2:
        return
    for p in training:
        _items_done(sess, caseworker, p)  # the training is finished
    agencies = [recruiters[LICENSED], recruiters[EXPIRED], recruiters[LICENSED], None]
    notes = ["Completed the hotel kitchen module at the training centre.",
             "Five years in hotel kitchens in Doha; finished the kitchen module.",
             "Cook in Pokhara for six years; starts the kitchen module next month.",
             "Kitchen helper in Dubai; applied through the centre directly."]
    presented = [candidates.present(sess, caseworker, cooks.id, p.id,
                                    recruiter_id=agency.id if agency else None, note=note)
                 for p, agency, note in zip(training + preselected, agencies, notes, strict=False)]
    result.added += len(presented)
    chosen, second = presented[0], presented[1]
    candidates.decide(sess, boss, cooks.id, second.id, state="shortlisted",
                      reason="skills_match",
                      note="Strong on food hygiene; the head chef wants to meet her.")
    candidates.decide(sess, boss, cooks.id, chosen.id, state="interviewed",
                      reason="interview_performance", note="Video interview with the head chef.")
    # Selecting moves her from training to matched and opens her placement.
    candidates.decide(sess, boss, cooks.id, chosen.id, state="selected",
                      reason="interview_performance",
                      note="Clear about kitchen hygiene and ready to start on the date offered.")
    placement = sess.scalar(sa.select(Placement).where(Placement.candidacy_id == chosen.id))
    result.placement_id = placement.id
    _onboarding(sess, users, employer, placement, result)
    # Her retention checks open when she arrives (journey.employers.retention).
    _costs(sess, caseworker, placement, today)
    _filled(sess, users, programme, employer, recruiters[EXPIRING], result)


def _onboarding(sess: Session, users: dict[str, User], employer: Employer,
                placement: Placement, result: DemoEmployers) -> None:
    """Before she travels: the contract, insurance and flat confirmed; she contests the contract
    through her caseworker; the HR director gets a link to confirm she was met on arrival."""
    boss, caseworker = users["employer"], users["caseworker"]
    steps = _steps(sess, placement)
    for key, note in (("contract_signed", "Signed by video call; copy sent by email."),
                      ("health_insurance", "Group policy from the first day."),
                      ("accommodation_ready", "Shared flat near the hotel, room 2.")):
        onboarding.confirm_step(sess, boss, steps[key].id, note=note)
    onboarding.contest_step(
        sess, caseworker, steps["contract_signed"].id, channel="staff",
        text="She says the contract she signed on the video call was in Portuguese only, she "
             "has no copy, and the wage read out was lower than the offer of 1,050 euros.")
    hr = sess.scalar(sa.select(EmployerContact).where(
        EmployerContact.employer_id == employer.id, EmployerContact.email == HR_EMAIL))
    _link, token = onboarding.issue_link(sess, caseworker, steps["arrival_met"].id,
                                         contact_id=hr.id)
    result.onboarding_url = onboarding.link_url(token, hr.language)


def _costs(sess: Session, staff: User, placement: Placement, today: date) -> None:
    """Her costs by payer; the recruitment fee is held against the agency (the placement's),
    the rest against the hotel."""
    pid = placement.participant_id
    for category, amount, paid_by, evidence in (
            ("recruitment_fee", "1200.00", "employer", "Invoice EOR-2026-114 from the agency"),
            ("training", "640.00", "programme", "Training centre's statement, cohort 7"),
            ("health_check", "85.00", "employer", "Clinic receipt 2026-3381"),
            ("travel", "780.00", "employer", "E-ticket KTM-DOH-LIS, booked by the hotel"),
            ("integration", "300.00", "government_destination",
             "Portuguese course place, public employment service")):
        costs.record_cost(sess, staff, pid, {
            "category": category, "amount": Decimal(amount), "currency": "EUR",
            "paid_by": paid_by, "should_have_paid": paid_by, "evidence": evidence,
            "paid_on": today, "placement_id": placement.id,
            **({} if category == "recruitment_fee" else {"recruiter_id": None})})
    # She paid the visa fee herself: a breach of Employer Pays, which opens a grievance against
    # the hotel; the hotel refunded it, which closes the breach and keeps the history.
    visa = costs.record_cost(sess, staff, pid, {
        "category": "visa_fee", "amount": Decimal("90.00"), "currency": "EUR",
        "paid_by": "migrant", "should_have_paid": "employer",
        "evidence": "VFS Global receipt KTM-PT-55120", "paid_on": today - timedelta(days=3),
        "placement_id": placement.id, "recruiter_id": None})
    breaches.refund(sess, staff, pid, visa.id, {
        "amount": visa.amount, "note": "The hotel refunded the fee by bank transfer."})


def _filled(sess: Session, users: dict[str, User], programme: Programme, employer: Employer,
            recruiter: Recruiter, result: DemoEmployers) -> None:
    """Last season's waiters: two workers in Lisbon, settled in, their placements running.
    They went through the continuum before this demo had vacancies (journey.demo.load matched
    them with the hotel), so their candidacies are written here as the selection left them."""
    boss, lisbon = users["employer"], users["caseworker.lisbon"]
    workers = [p for p in _candidates(sess, programme, Stage.STAY) if p.arrival_date][:2]
    if not workers:
        return
    arrived = min(p.arrival_date for p in workers)
    waiters = vacancies.create_vacancy(sess, boss, {
        "programme_id": programme.id, "title": "Waiter or waitress, summer season",
        "occupation_uri": WAITER, "isco_code": "5131",
        "languages": [{"language": "en", "level": "B1"}], "place": "Lisbon (Parque das Nações)",
        "positions": len(workers), "start_date": arrived, "wage_amount": Decimal("980.00"),
        "wage_currency": "EUR", "wage_period": "month",
        "conditions": "Full time, 40 hours a week in shifts."})
    vacancies.publish_vacancy(sess, users["admin"], waiters.id)
    result.added += 1
    for p in workers:
        c = candidates.present(sess, lisbon, waiters.id, p.id, recruiter_id=recruiter.id,
                               note="Restaurant service, two seasons.")
        now = utcnow()
        c.state, c.decided_at, c.updated_at = CandidacyState.SELECTED.value, now, now
        sess.add(CandidacyStep(candidacy_id=c.id, state=CandidacyState.SELECTED.value,
                               reason="experience", note="Two seasons in Dubai.",
                               actor_id=boss.id, at=now))
        placement = open_placement(sess, lisbon, c)
        placement.arrived_on = p.arrival_date
        retention.open_checks(sess, placement, p.arrival_date)
        for key, step in _steps(sess, placement).items():
            if key not in ("social_security_registered", "first_wage_paid"):
                onboarding.confirm_step(sess, boss, step.id)
        # What their hiring cost, none of it paid by them.
        for category, amount, paid_by in (("recruitment_fee", "1100.00", "employer"),
                                          ("training", "600.00", "programme"),
                                          ("travel", "760.00", "employer")):
            costs.record_cost(sess, lisbon, p.id, {
                "category": category, "amount": Decimal(amount), "currency": "EUR",
                "paid_by": paid_by, "should_have_paid": paid_by,
                "paid_on": p.arrival_date - timedelta(days=30), "placement_id": placement.id,
                **({} if category == "recruitment_fee" else {"recruiter_id": None})})
        result.added += 2
    vacancies.set_vacancy_status(sess, users["admin"], waiters.id, "filled")
