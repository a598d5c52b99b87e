"""Building blocks for the referral tests: an office with a caseworker, a partner user and its
provider, a directory service at a location, and consenting participants; referrals made
through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.db import utcnow
from journey.organisations.models import ServiceProvider
from journey.participants.models import Participant
from journey.referrals import services
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    Referral,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
)

CONSENTS = [{"purpose": "case_management", "method": "signed"},
            {"purpose": "share_providers", "method": "signed"}]


@dataclass
class Setting:
    admin: User
    caseworker: User
    partner: User
    provider: ServiceProvider
    service: DirectoryService
    location: DirectoryLocation
    office_id: int


def add_service(sess: Session, provider_id: int, *, confidential: bool = False,
                languages: tuple[str, ...] = ("pt", "en"), **kw: Any) -> DirectoryService:
    """A directory service with one location, languages and weekday hours (rows, not the
    directory's services, so these tests stand on their own)."""
    now = utcnow()
    data = {"name": "Legal advice for migrant workers", "legal_aid": True,
            "email": "intake@example.org", "documents_required": "Passport, work contract",
            "assured_at": now, "created_at": now, "updated_at": now, **kw}
    service = DirectoryService(provider_id=provider_id, **data)
    sess.add(service)
    sess.flush()
    location = DirectoryLocation(provider_id=provider_id, name="Main office",
                                 address="Rua do Ouro 10", city="Lisboa", country="PT",
                                 confidential=confidential, created_at=now)
    sess.add(location)
    sess.flush()
    sess.add(ServiceAtLocation(service_id=service.id, location_id=location.id))
    for language in languages:
        sess.add(ServiceLanguage(service_id=service.id, language=language))
    for day in range(1, 6):
        sess.add(ServiceSchedule(service_id=service.id, weekday=day, opens_at=time(9),
                                 closes_at=time(17)))
    sess.flush()
    return service


def setting(factory, sess: Session, **service_kw: Any) -> Setting:
    office = factory.office()
    admin = factory.user("admin")
    cw = factory.user("caseworker", office=office)
    partner = factory.user("partner")
    provider = sess.get(ServiceProvider, partner.provider_id)
    service = add_service(sess, provider.id, **service_kw)
    location = sess.get(DirectoryLocation, sess.query(ServiceAtLocation.location_id).filter_by(
        service_id=service.id).scalar())
    return Setting(admin, cw, partner, provider, service, location, office.id)


def person(factory, s: Setting, *, consents=CONSENTS, **kw: Any) -> Participant:
    return factory.participant(s.admin, office_id=s.office_id, consents=consents, **kw)


def refer(app: Flask, sess: Session, s: Setting, participant: Participant, *, send: bool = True,
          **kw: Any) -> Referral:
    data = {"participant_id": participant.id, "service_id": s.service.id,
            "reason": "Unpaid wages: needs advice on a claim", "send": send, **kw}
    with app.test_request_context():
        return services.create(sess, s.caseworker, data)


def move(app: Flask, sess: Session, user: User, referral: Referral, event: str,
         **data: Any) -> Referral:
    with app.test_request_context():
        return services.transition(sess, user, referral.id, event, data)
