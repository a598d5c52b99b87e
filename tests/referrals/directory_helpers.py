"""A small directory for the directory tests: services of different categories, flags,
languages and places, one offered only at a confidential shelter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from journey.core.db import utcnow
from journey.organisations.models import ServiceProvider
from journey.referrals import directory_admin

SHELTER_ADDRESS = "Travessa Secreta 7"
SHELTER_NAME = "Casa Abrigo"


@dataclass
class Directory:
    admin: Any
    supervisor: Any
    caseworker: Any
    partner: Any
    provider: ServiceProvider
    legal: Any
    health: Any
    shelter: Any
    old: Any
    office_loc: Any
    shelter_loc: Any


def build(factory, sess, app) -> Directory:
    office = factory.office()
    admin = factory.user("admin")
    supervisor = factory.user("supervisor", office=office)
    caseworker = factory.user("caseworker", office=office)
    partner = factory.user("partner")
    provider = factory.provider(name="Associação Solidária", kind="legal")
    with app.test_request_context():
        office_loc = directory_admin.create_location(sess, admin, {
            "provider_id": provider.id, "name": "Sede", "address": "Rua do Ouro 10",
            "city": "Lisboa", "region": "Lisboa", "country": "PT"})
        shelter_loc = directory_admin.create_location(sess, admin, {
            "provider_id": provider.id, "name": SHELTER_NAME, "address": SHELTER_ADDRESS,
            "city": "Setúbal", "region": "Setúbal", "country": "PT", "confidential": True})
        legal = directory_admin.create_service(sess, admin, {
            "provider_id": provider.id, "name": "Legal advice on wages", "legal_aid": True,
            "free_of_charge": True, "languages": ["pt", "ne"], "areas": ["Lisboa"],
            "location_ids": [office_loc.id], "capacity": 30, "waiting_days": 7,
            "schedules": [{"weekday": d, "opens_at": _t(9), "closes_at": _t(17)}
                          for d in range(1, 6)]})
        health = directory_admin.create_service(sess, admin, {
            "provider_id": provider.id, "name": "Health check for newcomers", "health": True,
            "free_of_charge": False, "fees_description": "10 EUR",
            "languages": ["en", "hi"], "areas": ["Porto district"],
            "location_ids": [office_loc.id], "sogiesc_safe": True})
        shelter = directory_admin.create_service(sess, admin, {
            "provider_id": provider.id, "name": "Emergency shelter", "housing": True,
            "women_only": True, "languages": ["pt", "en"], "areas": ["Setúbal district"],
            "location_ids": [shelter_loc.id],
            "schedules": [{"weekday": 7, "opens_at": _t(0), "closes_at": _t(23, 59),
                           "location_id": shelter_loc.id}]})
        old = directory_admin.create_service(sess, admin, {
            "provider_id": provider.id, "name": "Job club", "employment": True,
            "languages": ["fr"], "areas": ["Faro"]})
    old.assured_at = utcnow() - timedelta(days=181)
    sess.flush()
    return Directory(admin, supervisor, caseworker, partner, provider, legal, health, shelter,
                     old, office_loc, shelter_loc)


def _t(hour: int, minute: int = 0):
    from datetime import time

    return time(hour, minute)
