"""Idempotent demo data: two offices, a Nepal → Portugal hospitality programme, a user per role
and about fifty participants across stages, languages and sexes."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.accounts.services import create_user
from journey.consent import services as consent_services
from journey.continuum import services as continuum
from journey.continuum.intake import register_participant
from journey.continuum.models import ChecklistItem, ItemStatus
from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.demo.employers import load_demo_employers
from journey.demo.grievances import load_demo_grievances
from journey.demo.referrals import load_demo_referrals
from journey.demo.workload import assign_caseworkers, load_demo_work
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.participants.models import Participant
from journey.passports.demo import load_demo_passports
from journey.programmes.models import Programme
from journey.skillcards.demo import load_demo_skill_card
from journey.taxonomy import services as taxonomy

# Printed for the newcomer; a real deployment creates its users with `journey users create`.
DEMO_PASSWORD = "journey-demo-2026"  # noqa: S105  (documented demo credential)
DEMO_USERS = [
    ("admin", "Asha Admin", "admin", None),
    ("supervisor", "Sita Supervisor", "supervisor", "KTM"),
    ("caseworker", "Kiran Caseworker", "caseworker", "KTM"),
    ("caseworker.lisbon", "Joana Caseworker", "caseworker", "LIS"),
    # Kathmandu's grievance focal point (protection officer): sees its restricted grievances.
    ("protection", "Pema Protection Officer", "caseworker", "KTM"),
    ("employer", "Eduardo Employer", "employer", None),
    ("partner", "Priya Partner", "partner", None),
]

_GIVEN = {
    "female": ["Sunita", "Anjali", "Pooja", "Sarita", "Gita", "Kamala", "Laxmi", "Rina", "Maya",
               "Nirmala", "Srijana", "Bimala"],
    "male": ["Ram", "Bikash", "Suresh", "Prakash", "Hari", "Rajesh", "Dipak", "Anil", "Sagar",
             "Nabin", "Rohan", "Kumar"],
}
_FAMILY = ["Thapa", "Gurung", "Tamang", "Shrestha", "Rai", "Magar", "Sherpa", "Karki", "Adhikari",
           "Poudel", "Limbu", "Bhandari", "Khadka", "Basnet"]
# Where each demo participant ends up; they get there through real transitions.
_STAGES = [Stage.INTAKE] * 8 + [Stage.PRESELECTION] * 6 + [Stage.TRAINING] * 7 + [
    Stage.MATCHED] * 5 + [Stage.PRE_DEPARTURE] * 5 + [Stage.ARRIVAL] * 3 + [Stage.STAY] * 7 + [
    Stage.RETURN] * 2 + [Stage.REINTEGRATION] * 3 + [Stage.WITHDRAWN, Stage.TRAVEL_BLOCKED,
                                                     Stage.LOCAL_TRACK, Stage.ONWARD, Stage.CLOSED]
_LANGS = ["ne"] * 5 + ["en"] * 2 + ["hi", "bn"]


def _get_or_create(sess: Session, model, where: dict, **values):
    stmt = select(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    obj = sess.scalars(stmt).first()
    if obj is None:
        obj = model(**where, **values, created_at=utcnow())
        sess.add(obj)
        sess.flush()
    return obj


def load_demo(echo: Callable[[str], None] = print) -> dict[str, int]:
    """Load the demo data; running it again changes nothing."""
    rng = random.Random(2026)
    with db.job_session() as sess:
        ktm = _get_or_create(sess, Office, {"code": "KTM"}, name="Kathmandu Migrant Resource Centre",
                             country="NP", timezone="Asia/Kathmandu")
        lis = _get_or_create(sess, Office, {"code": "LIS"}, name="Lisbon Migrant Support Office",
                             country="PT", timezone="Europe/Lisbon")
        employer = _get_or_create(sess, Employer, {"name": "Hotel Atlântico Lisboa"}, country="PT",
                                  sector="Hospitality")
        provider = _get_or_create(sess, ServiceProvider, {"name": "Lisbon Job Centre (IEFP)"},
                                  country="PT", kind="job_centre")
        programme = _get_or_create(
            sess, Programme, {"code": "NP-PT-HOSP"},
            name="Nepal → Portugal hospitality skills partnership", origin_country="NP",
            destination_country="PT", sector="Hospitality",
            occupations=["5120", "5131", "5151", "9112"], default_language="ne")
        trainer = _get_or_create(sess, ServiceProvider,
                                 {"name": "Nepal Academy of Tourism and Hotel Management"},
                                 country="NP", kind="training")
        if not programme.employers:
            programme.employers = [employer]
            programme.training_provider_id = trainer.id
            programme.languages = ["en", "pt"]
        offices = {"KTM": ktm.id, "LIS": lis.id}
        # ISCO-08 major and sub-major groups and the demo's occupations; adds only what is missing.
        taxonomy.load_base(sess)

        users: dict[str, User] = {}
        for username, full_name, role, office in DEMO_USERS:
            user = sess.scalars(select(User).where(User.username == username)).first()
            if user is None:
                user = create_user(sess, None, {
                    "username": username, "full_name": full_name, "role": role,
                    "password": DEMO_PASSWORD, "office_id": offices.get(office),
                    "employer_id": employer.id if role == "employer" else None,
                    "provider_id": provider.id if role == "partner" else None,
                    "language": "en",
                })
            users[username] = user

        existing = sess.scalar(select(Participant.id).where(Participant.programme_id == programme.id)
                               .limit(1))
        created = 0
        if existing is None:
            # Fifty people walked through their journeys: one log line per transition would
            # bury the credentials printed below.
            continuum_log = logging.getLogger("journey.continuum")
            level = continuum_log.level
            continuum_log.setLevel(logging.WARNING)
            try:
                created = _participants(sess, rng, users, programme, offices, employer.id)
            finally:
                continuum_log.setLevel(level)
        # One returnee has confirmed their skill form and holds a skill card (idempotent).
        returnee = sess.scalars(select(Participant).where(
            Participant.programme_id == programme.id, Participant.stage == Stage.REINTEGRATION.value)
            .order_by(Participant.id).limit(1)).first()
        card = load_demo_skill_card(sess, users["caseworker"], returnee) if returnee else None
        # Each office's caseload, and something in My work and the triage (idempotent).
        assigned = (assign_caseworkers(sess, ktm.id, users["caseworker"])
                    + assign_caseworkers(sess, lis.id, users["caseworker.lisbon"]))
        work = load_demo_work(sess, users["caseworker"], employer.id, date.today())
        # A focal point, holidays and a handful of grievances (idempotent).
        grievances = load_demo_grievances(sess, users, offices, employer.id, date.today())
        # Employers: records, recruiters, vacancies, candidates and a placement (idempotent).
        employers = load_demo_employers(sess, users, programme, employer, date.today())
        # The directory and referrals in every state, one from a grievance (idempotent).
        referrals = load_demo_referrals(sess, users)
    echo("Demo data loaded." if created or assigned or work or grievances or employers.added
         or referrals.added else "Demo data already present; nothing changed.")
    base = current_app.config["PUBLIC_BASE_URL"]  # the address this installation is reached at
    if card is not None:
        echo(f"Skill card {card.number}: printable at {base}/participants/"
             f"{card.participant_id}/skill-card (staff login); its QR code leads to "
             f"{base}/cards/{card.public_id}")
    echo(f"Caseworkers' work: {base}/work and texts from unknown numbers: {base}/messages/triage")
    echo(f"Complaint patterns (supervisor): {base}/grievances/patterns and focal points: "
         f"{base}/grievances/focal-points")
    employers.echo_links(echo, base)
    referrals.echo_links(echo, base)
    echo(f"Log in at {base}/login with any of these (password: {DEMO_PASSWORD}):")
    for username, _name, role, office in DEMO_USERS:
        echo(f"  {username:<18} {role:<11} {office or ''}")
    return {"participants_created": created}


def _participants(sess: Session, rng: random.Random, users: dict[str, User], programme: Programme,
                  offices: dict[str, int], employer_id: int) -> int:
    programme_employer = employer_id
    caseworker = users["caseworker"]
    lisbon = users["caseworker.lisbon"]
    today = date.today()
    made: list[tuple[Participant, User, Stage]] = []
    for i, stage in enumerate(_STAGES):
        sex = "female" if i % 2 == 0 else "male"
        if i % 17 == 5:
            sex = "another"
        elif i % 19 == 7:
            sex = "prefer_not_to_say"
        names = _GIVEN["female" if sex in ("female", "another") else "male"]
        given = names[i % len(names)]
        family = _FAMILY[(i * 5) % len(_FAMILY)]
        abroad = stage in (Stage.ARRIVAL, Stage.STAY, Stage.ONWARD)
        actor = lisbon if abroad else caseworker
        lang = _LANGS[i % len(_LANGS)]
        data = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": today - timedelta(days=365 * rng.randint(20, 45) + rng.randint(0, 364)),
            "sex": sex,
            "sex_self_described": "non-binary" if sex == "another" else None,
            "nationality": "NP",
            "origin_country": "NP",
            "destination_country": "PT",
            "phone": f"+97798{41000000 + i * 7919:08d}",
            "email": f"participant{i + 1}@example.org" if i % 3 == 0 else None,
            "language": lang,
            "timezone": "Europe/Lisbon" if abroad else "Asia/Kathmandu",
            "channels": ["sms", "email"] if i % 3 == 0 else ["sms"],
            "disability": "yes" if i % 13 == 4 else "no",
            "programme_id": programme.id,
            "office_id": offices["LIS" if abroad else "KTM"],
            "confirm_not_duplicate": True,
        }
        p = register_participant(sess, actor, data)
        for purpose, method in (("case_management", "signed"), ("updates", "signed"),
                                ("monitoring", "verbal")):
            consent_services.grant(sess, actor, p, purpose=purpose, method=method)
        if i % 4 == 0:
            consent_services.grant(sess, actor, p, purpose="share_employers", method="signed")
        made.append((p, actor, stage))
    # Passports before the journeys: a returnee's skill form is pre-filled from the passport
    # the moment they reach return.
    load_demo_passports(sess, users["admin"], [p for p, _actor, _stage in made])
    for p, actor, stage in made:
        _walk(sess, actor, p, stage, employer_id=programme_employer, today=today)
    return len(made)


_PATHS: dict[Stage, list[str]] = {Stage.INTAKE: []}
_PATHS[Stage.PRESELECTION] = ["preselect"]
_PATHS[Stage.TRAINING] = _PATHS[Stage.PRESELECTION] + ["start_training"]
_PATHS[Stage.MATCHED] = _PATHS[Stage.TRAINING] + ["match"]
_PATHS[Stage.PRE_DEPARTURE] = _PATHS[Stage.MATCHED] + ["prepare_departure"]
_PATHS[Stage.ARRIVAL] = _PATHS[Stage.PRE_DEPARTURE] + ["depart"]
_PATHS[Stage.STAY] = _PATHS[Stage.ARRIVAL] + ["settle"]
_PATHS[Stage.ONWARD] = _PATHS[Stage.STAY] + ["move_onward"]
_PATHS[Stage.RETURN] = _PATHS[Stage.STAY] + ["prepare_return"]
_PATHS[Stage.REINTEGRATION] = _PATHS[Stage.RETURN] + ["return_home"]
_PATHS[Stage.CLOSED] = _PATHS[Stage.REINTEGRATION] + ["close"]
_PATHS[Stage.WITHDRAWN] = _PATHS[Stage.TRAINING] + ["withdraw"]
_PATHS[Stage.TRAVEL_BLOCKED] = _PATHS[Stage.PRE_DEPARTURE] + ["block_travel"]
_PATHS[Stage.LOCAL_TRACK] = _PATHS[Stage.PRESELECTION] + ["join_local_track"]

_REASONS = {
    "withdraw": "Decided to stay with family after a wedding; may re-apply next year.",
    "block_travel": "Visa appointment cancelled twice; embassy backlog.",
    "move_onward": "Offered a supervisor post by the group's hotel in Madrid.",
}


def _walk(sess: Session, actor: User, p: Participant, target: Stage, *, employer_id: int,
          today: date) -> None:
    """Move a demo participant to their stage the way a caseworker would: items done, permit
    granted, then each transition through the one service that changes stages."""
    for event in _PATHS[target]:
        for item in sess.scalars(select(ChecklistItem).where(
                ChecklistItem.participant_id == p.id, ChecklistItem.stage == p.stage,
                ChecklistItem.required.is_(True))):
            if item.status != ItemStatus.DONE:
                continuum.update_item(sess, actor, p, item,
                                      {"status": "done", "evidence_note": "Checked at the centre."},
                                      expected=None)
        if event == "depart":
            continuum.record_permit(sess, actor, p, {
                "type": "work_visa", "issuing_country": "PT", "status": "issued",
                "applied_on": today - timedelta(days=60), "decided_on": today - timedelta(days=30),
                "issued_on": today - timedelta(days=25),
                "expires_on": today + timedelta(days=365 - 25 * (p.id % 13)),
                "employer_tied": p.id % 2 == 0, "employer_id": employer_id})
        data = {"reason": _REASONS.get(event), "employer_id": employer_id,
                "arrival_date": today - timedelta(days=20), "return_date": today - timedelta(days=3),
                "destination_country": "ES" if event == "move_onward" else None}
        continuum.apply_transition(sess, actor, p, event, data, expected=None,
                                   today=today)
