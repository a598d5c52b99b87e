"""A person with data in every corner of the database, for the erasure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from journey.consent import services as consent
from journey.continuum.services import apply_transition, record_permit
from journey.costs.services import record_cost
from journey.credentials import services as credentials
from journey.messaging.bridge import build_senders
from journey.participants.models import Participant
from journey.passports import services as passports
from journey.passports import sharing
from notifications.dispatcher import Dispatcher

GIVEN, FAMILY = "Zephyrine", "Quillfeather"
PHONE = "+9779800012345"
EMAIL = "zephyrine.quill@example.net"
NEEDLES = (GIVEN, FAMILY, PHONE.lstrip("+"), EMAIL)
TWILIO_TOKEN = "erasure-test-token-0123456789abcdef"


@dataclass
class Subject:
    participant: Participant
    caseworker: Any
    supervisor: Any


def inbound_sms(app: Flask, client, sender: str, body: str) -> None:
    """A signed Twilio inbound webhook, as Twilio would post it."""
    params = {"From": sender, "Body": body, "MessageSid": f"SM{abs(hash((sender, body))):032d}"[:34]}
    url = app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/inbound"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    resp = client.post("/webhooks/twilio/inbound", data=params,
                       headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200, resp.get_data(as_text=True)


def configure(app: Flask, monkeypatch) -> None:
    for key, value in {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "SMS_RATE_PER_SECOND": 0,
                       "EMAIL_RATE_PER_SECOND": 0, "QUIET_HOURS": "00:00-00:00"}.items():
        monkeypatch.setitem(app.config, key, value)


def send_all(app: Flask) -> None:
    """Deliver every due message through the development file backends under instance/."""
    sms, email = build_senders(app)
    dispatcher = Dispatcher(app, sms, email)
    while dispatcher.run_once():
        pass


def make_subject(app: Flask, client, factory, sess: Session, *, given: str = GIVEN,
                 family: str = FAMILY, phone: str = PHONE, email: str = EMAIL,
                 sex: str = "female", close: bool = True) -> Subject:
    """A person with messages (sent and received), consents, passport entries, a credential, a
    share link, a permit, a cost, a candidacy with its steps and a placement, and timeline
    entries, each carrying their name somewhere."""
    office = factory.office()
    caseworker = factory.user("caseworker", office=office)
    supervisor = factory.user("supervisor", office=office)
    name = f"{given} {family}"
    p = factory.participant(
        caseworker, given_name=given, family_name=family, phone=phone, email=email, sex=sex,
        date_of_birth=date(1993, 11, 17), channels=["sms", "email"],
        gender_identity=f"as {given} says", disability="yes",
        disability_details=f"{given} uses a wheelchair", notes=f"{name} called on {phone}")
    with app.app_context(), app.test_request_context():
        for purpose in ("case_management", "updates", "share_employers"):
            consent.grant(sess, caseworker, p, purpose=purpose, method="signed",
                          note=f"signed by {name}")
        apply_transition(sess, caseworker, p, "preselect", {}, expected=None)
        entry = passports.add_entry(sess, caseworker, p, "skill", {"title": f"Baking, {name}'s own"})
        passports.verify_entry(sess, caseworker, p, entry, level="documents_seen",
                               evidence=f"certificate of {name}")
        credentials.issue(sess, caseworker, p, "passport")
        sharing.create_share_link(sess, caseworker, p, audience=f"Employer of {name}")
        record_permit(sess, caseworker, p, {"type": "work_visa", "issuing_country": "PT",
                                            "number": f"{family}-7781"})
        # Paid by the programme: a passport the migrant paid is an Employer Pays breach, whose
        # grievance (open) would hold up the erasure these tests make.
        record_cost(sess, caseworker, p.id, {"category": "passport", "amount": "50.00",
                                             "currency": "NPR", "paid_by": "programme",
                                             "note": f"paid by {name}, {email}"})
        sess.flush()
    employer_rows(app, factory, sess, caseworker, p, note=f"Presented {name}, {phone}")
    referral_rows(app, factory, sess, caseworker, p, note=f"Referred {name}, {phone}")
    with app.app_context(), app.test_request_context():
        if close:
            apply_transition(sess, caseworker, p, "withdraw", {"reason": f"{given} moved away"},
                             expected=None)
            apply_transition(sess, caseworker, p, "close", {}, expected=None)
        sess.flush()
    send_all(app)
    inbound_sms(app, client, phone, f"Hello, this is {name}, {email}")
    return Subject(p, caseworker, supervisor)


def referral_rows(app: Flask, factory, sess: Session, actor, p: Participant, *,
                  note: str | None = None) -> None:
    """The person referred to a partner service (with their consent to share with service
    providers), the partner's signed link, and the referral completed."""
    from datetime import timedelta

    from journey.core.db import utcnow
    from journey.referrals import services as referrals
    from journey.referrals.models import ReferralLink
    from tests.referrals.helpers import add_service

    provider = factory.provider()
    service = add_service(sess, provider.id)
    with app.app_context(), app.test_request_context():
        consent.grant(sess, actor, p, purpose="share_providers", method="signed")
        r = referrals.create(sess, actor, {"participant_id": p.id, "service_id": service.id,
                                           "reason": note, "send": True})
        now = utcnow()
        sess.add(ReferralLink(referral_id=r.id, purpose="respond", nonce_hash="0" * 64,
                              email="intake@example.org", created_at=now,
                              expires_at=now + timedelta(days=14)))
        referrals.transition(sess, actor, r.id, "accept", {})
        referrals.transition(sess, actor, r.id, "complete", {"outcome": "provided",
                                                             "note": note})
        sess.flush()


def employer_rows(app: Flask, factory, sess: Session, actor, p: Participant, *,
                  note: str | None = None) -> None:
    """The person presented to a vacancy and selected (a candidacy and its steps, a placement
    with its onboarding steps) and a retention check, through the selection services. The person
    needs consent to share with employers; they are put in training for the selection."""
    from journey.continuum.stages import Stage
    from journey.employers import candidates, vacancies
    from journey.employers.models import Placement, RetentionCheck
    from journey.programmes.models import ProgrammeEmployer
    from tests.skillcards.helpers import place

    employer = factory.employer()
    employer.verification = "verified"
    programme = factory.programme()
    sess.add(ProgrammeEmployer(programme_id=programme.id, employer_id=employer.id))
    sess.flush()
    place(sess, p, Stage.TRAINING)
    with app.app_context(), app.test_request_context():
        v = vacancies.create_vacancy(sess, actor, {"title": "Cook", "place": "Lisbon",
                                                   "programme_id": programme.id,
                                                   "employer_id": employer.id})
        vacancies.publish_vacancy(sess, actor, v.id)
        c = candidates.present(sess, actor, v.id, p.id, note=note)
        candidates.decide(sess, actor, v.id, c.id, state="selected", reason="skills_match",
                          note=note)
        placement = sess.scalar(sa.select(Placement).where(Placement.candidacy_id == c.id))
        sess.add(RetentionCheck(placement_id=placement.id, months=3, due_on=date(2027, 3, 1)))
        sess.flush()


def text_columns(conn: sa.Connection) -> list[tuple[str, str]]:
    """Every (table, column) of the database as it stands, whatever the models say."""
    meta = sa.MetaData()
    meta.reflect(bind=conn)
    return [(t.name, c.name) for t in meta.sorted_tables for c in t.columns
            if not isinstance(c.type, sa.Integer | sa.Boolean | sa.Numeric | sa.Date | sa.DateTime)]


def database_hits(conn: sa.Connection, needles=NEEDLES) -> list[str]:
    """Where any needle appears in the database, case-insensitively, JSON included."""
    hits = []
    for table, column in text_columns(conn):
        col = sa.cast(sa.column(column), sa.Text)
        for needle in needles:
            n = conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table))
                            .where(sa.func.lower(col).like(f"%{needle.lower()}%")))
            if n:
                hits.append(f"{table}.{column} holds {needle!r} ({n} rows)")
    return hits


def file_hits(instance: Path, needles=NEEDLES) -> list[str]:
    hits = []
    for path in instance.rglob("*"):
        if path.is_file() and path.suffix in (".log", ".eml", ".part") or path.name.endswith(".log"):
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            hits.extend(f"{path.name} holds {n!r}" for n in needles if n.lower() in text)
    return hits
