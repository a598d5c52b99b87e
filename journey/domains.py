"""The domains this application is made of, in order. Adding a domain is one line here.

Each entry is a package with a ``domain.py`` exposing ``DOMAIN`` (journey.core.domains.Domain).
create_app walks this list (routes, pages, commands, permissions, jobs, keywords, timeline);
journey/models.py collects every table from it. Order matters only where it shows: the OpenAPI
document lists APIs in this order, and timeline handlers run in this order.
"""

from __future__ import annotations

DOMAINS: list[str] = [
    "journey.core",
    "journey.accounts",
    "journey.organisations",
    "journey.programmes",
    "journey.participants",
    "journey.consent",
    "journey.continuum",
    "journey.costs",
    "journey.messaging",
    "journey.auditlog",
    "journey.taxonomy",
    "journey.passports",
    "journey.credentials",
    "journey.skillcards",
    "journey.privacy",
    "journey.grievances",
    "journey.employers",
    "journey.referrals",
    "journey.workbench",
    "journey.administration",
    "journey.web",
    "journey.continuum_pages",
    "journey.registration",
    "journey.demo",
]
