"""The demo's referrals (#16): loading the demo twice adds nothing; the directory has a
confidential location and a stale entry; there is a referral in every state, one made from a
grievance, one past its reminder time and one escalated; everyone referred consented to share
with service providers; the demo partner user works for a provider with referrals and sees
them."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from journey.consent.services import has_consent
from journey.core.auth import User
from journey.core.db import utcnow
from journey.demo.referrals import HEALTH, JOB_CENTRE, STALE_DAYS_AGO, WOMEN
from journey.organisations.models import ServiceProvider
from journey.referrals import directory, figures
from journey.referrals.access import location_visible, referral_scope
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    Referral,
    ReferralEvent,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
)
from journey.referrals.states import State
from tests.web.test_pages import HTML

_COUNTED = (ServiceProvider, DirectoryService, DirectoryLocation, ServiceAtLocation,
            ServiceLanguage, ServiceArea, ServiceSchedule, Referral, ReferralEvent)


def _load(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(db_session) -> dict[str, int]:
    return {m.__tablename__: db_session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in _COUNTED}


def _user(db_session, username: str) -> User:
    return db_session.scalars(sa.select(User).where(User.username == username)).one()


def test_the_demo_referrals_load_twice_without_duplicates_and_cover_every_state(
        app, connection, db_session, client):
    output = _load(app)
    before = _counts(db_session)
    again = _load(app)
    assert "nothing changed" in again
    assert _counts(db_session) == before
    # The signed link for the legal aid service is printed the one time it is made, and opens.
    (link,) = re.findall(r"https?://\S+/r/\S+", output)
    assert "/r/" not in again
    assert client.get(urlsplit(link).path, headers=HTML).status_code == 200

    # Three providers with their HSDS details; ten services.
    providers = {p.name: p for p in db_session.scalars(sa.select(ServiceProvider).where(
        ServiceProvider.name.in_((JOB_CENTRE, WOMEN, HEALTH))))}
    assert len(providers) == 3
    assert all(p.description and p.email and p.website for p in providers.values())
    services = db_session.scalars(sa.select(DirectoryService)).all()
    assert len(services) == 10
    flags = {f for s in services for f in ("legal_aid", "health", "housing", "employment",
                                           "training", "psychosocial", "financial",
                                           "women_only", "sogiesc_safe") if getattr(s, f)}
    assert flags == {"legal_aid", "health", "housing", "employment", "training",
                     "psychosocial", "financial", "women_only", "sogiesc_safe"}
    assert any(s.legal_aid and s.free_of_charge for s in services)
    # The women-only shelter is at a confidential location, which a partner never sees.
    shelter = next(s for s in services if s.women_only)
    (location,) = db_session.scalars(sa.select(DirectoryLocation).join(
        ServiceAtLocation, ServiceAtLocation.location_id == DirectoryLocation.id).where(
        ServiceAtLocation.service_id == shelter.id)).all()
    assert location.confidential
    partner = _user(db_session, "partner")
    assert location.id not in db_session.scalars(sa.select(DirectoryLocation.id).where(
        location_visible(partner))).all()
    # One entry not confirmed for 200 days: stale.
    stale = [s for s in services if s.assured_at < utcnow() - timedelta(
        days=app.config["DIRECTORY_STALE_DAYS"])]
    assert len(stale) == 1 and stale[0].assured_at < utcnow() - timedelta(days=STALE_DAYS_AGO - 1)
    assert all(db_session.scalar(sa.select(sa.func.count()).select_from(table).where(
        table.service_id == s.id)) for s in services
        for table in (ServiceLanguage, ServiceArea, ServiceSchedule))

    # Through the directory's search: the stale entry, the SOGIESC-safe clinic, a place typed
    # without its accent; the partner is told the shelter's address is withheld.
    caseworker = _user(db_session, "caseworker.lisbon")
    with app.test_request_context():
        stale_rows, _n = directory.search(db_session, caseworker, stale=True)
        safe_rows, _n = directory.search(db_session, caseworker, flag="sogiesc_safe")
        setubal, _n = directory.search(db_session, caseworker, place="setubal")
        (seen_shelter,), _n = directory.search(db_session, partner, flag="women_only")
    assert [r["service"].id for r in stale_rows] == [stale[0].id]
    assert [r["service"].name for r in safe_rows] == ["Community health clinic"]
    assert shelter.id in {r["service"].id for r in setubal}
    assert seen_shelter["locations"] == [] and seen_shelter["address_withheld"]

    referrals = db_session.scalars(sa.select(Referral)).all()
    states = {r.state for r in referrals}
    assert states == {s.value for s in State} - {State.DRAFT.value}, states
    completed = {(r.outcome, r.outcome_reason) for r in referrals if r.state == "completed"}
    assert completed == {("provided", None), ("not_provided", "unable_to_contact")}
    assert {r.decline_reason for r in referrals if r.state == "declined"} == {"no_capacity"}
    now = utcnow()
    sent = [r for r in referrals if r.state == "sent"]
    assert any(r.remind_at < now < r.response_due_at and r.reminded_at is None for r in sent)
    # Escalated: the expired one (no answer) and one not completed in time.
    escalated = {r.state: r for r in referrals if r.escalated_at is not None}
    assert set(escalated) == {"expired", "in_progress"}
    late = escalated["in_progress"]
    assert late.complete_due_at < late.escalated_at < now
    assert db_session.scalars(sa.select(ReferralEvent.reason).where(
        ReferralEvent.referral_id == late.id, ReferralEvent.kind == "escalate")).all() == [
        "completion"]
    assert len([r for r in referrals if r.grievance_id is not None]) == 1
    assert all(has_consent(db_session, r.participant_id, "share_providers") for r in referrals)
    assert any(r.urgency == "emergency" and r.service_id == shelter.id for r in referrals)

    # The partner user works at the job centre and sees its referrals, and only those.
    assert partner.provider_id == providers[JOB_CENTRE].id
    seen = db_session.scalars(sa.select(Referral).where(referral_scope(partner))).all()
    assert len(seen) >= 4 and {r.provider_id for r in seen} == {partner.provider_id}
    assert {"sent", "in_progress", "completed", "expired"} <= {r.state for r in seen}


def test_the_demo_figures_count_every_referral(app, connection, db_session):
    _load(app)
    admin = _user(db_session, "admin")
    with app.test_request_context():
        found = figures.closed_loop(db_session, admin)
    total = db_session.scalar(sa.select(sa.func.count()).select_from(Referral))
    assert found["overall"]["sent"] == total == 11
    assert found["overall"]["response_median_hours"] is not None
    assert {r["sex"] for r in found["by_sex"]} >= {"female", "male"}
    assert len(found["by_partner"]) == 3
