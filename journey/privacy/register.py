"""The register of processing, generated from the domains' personal-data declarations.

For each category of personal data: why it is processed, on which legal basis, how long it is
kept (settings, journey.config's retention block), who receives it and which tables hold it.
Nothing here lists tables: a domain that declares a table appears in the register. Recipients come
from the policy table (the roles holding a permission that reads the table: by default the
declaring domain's ``*:read*`` permissions) and from the declarations' ``recipients`` (processors
such as the SMS provider; outside organisations such as employers).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from journey.core.domains import Category, Domain, PersonalData
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role

CATEGORY_TITLES = {
    Category.IDENTITY: _l("Identity"),
    Category.CONTACT: _l("Contact details"),
    Category.SENSITIVE: _l("Sensitive data"),
    Category.CASE: _l("Case records"),
    Category.MESSAGE: _l("Messages"),
}
# Why each category is processed, before what a declaration adds of its own.
CATEGORY_PURPOSES = {
    Category.IDENTITY: _l("Identify the participant and their case across the programme."),
    Category.CONTACT: _l("Reach the participant with the updates and reminders they agreed to."),
    Category.SENSITIVE: _l("Meet protection and support needs, and prepare the immigration "
                           "documents the move abroad requires."),
    Category.CASE: _l("Manage the participant's journey: stages, checklists, skills passport, "
                      "costs and consent."),
    Category.MESSAGE: _l("Send and receive SMS and email, and answer the participant."),
}


class LegalBasis(enum.StrEnum):
    """The lawful bases of processing (GDPR articles 6 and 9; most national laws follow them)."""

    CONSENT = "consent"
    EXPLICIT_CONSENT = "explicit_consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


LEGAL_BASIS_TITLES = {
    LegalBasis.CONSENT: _l("Consent of the person"),
    LegalBasis.EXPLICIT_CONSENT: _l("Explicit consent (special categories of data)"),
    LegalBasis.CONTRACT: _l("Contract with the person"),
    LegalBasis.LEGAL_OBLIGATION: _l("Legal obligation of the centre"),
    LegalBasis.PUBLIC_TASK: _l("Task in the public interest"),
    LegalBasis.LEGITIMATE_INTERESTS: _l("Legitimate interests of the centre"),
}
# The participant consents to case management and to updates (journey.consent); special
# categories need explicit consent. A declaration names another basis where one applies.
CATEGORY_BASES = {
    Category.IDENTITY: LegalBasis.CONSENT,
    Category.CONTACT: LegalBasis.CONSENT,
    Category.SENSITIVE: LegalBasis.EXPLICIT_CONSENT,
    Category.CASE: LegalBasis.CONSENT,
    Category.MESSAGE: LegalBasis.CONSENT,
}
# Who receives data besides the centre's staff. Roles of outside organisations use the system
# themselves; processors handle messages on the centre's behalf.
RECIPIENT_TITLES = {
    "admin": _l("Administrators"),
    "supervisor": _l("Supervisors"),
    "caseworker": _l("Caseworkers"),
    "employer": _l("Employers, for the participants they are linked to, with consent"),
    "partner": _l("Service providers, for the participants referred to them, with consent"),
    "sms_provider": _l("SMS provider (processor)"),
    "email_provider": _l("Email provider (processor)"),
}
PROCESSORS = frozenset({"sms_provider", "email_provider"})
_ROLE_ORDER = [r.value for r in Role]


def retention_days(config: Mapping[str, Any], category: str) -> int | None:
    """Days a category is kept after the case closes (``JOURNEY_RETENTION_<CATEGORY>_DAYS``),
    or None when the settings name no retention for it."""
    return config.get(f"RETENTION_{str(category).upper()}_DAYS")


def category_title(category: str) -> str:
    """The category's title in the reader's language (the code when it has none)."""
    try:
        return str(CATEGORY_TITLES[Category(category)])
    except (KeyError, ValueError):
        return str(category)


def _read_permissions(domain: Domain, entry: PersonalData) -> tuple[str, ...]:
    if entry.read is not None:
        return entry.read
    return tuple(p for p in domain.permissions if p.split(":", 1)[1].startswith("read"))


def _recipient(code: str) -> dict[str, str]:
    if code in PROCESSORS:
        kind = "processor"
    elif code in {r.value for r in STAFF}:
        kind = "staff"
    else:
        kind = "external"
    return {"code": code, "kind": kind, "title": str(RECIPIENT_TITLES.get(code, code))}


def _table(domain: Domain, entry: PersonalData, policy: Mapping[str, frozenset[Role]],
           ) -> dict[str, Any]:
    permissions = _read_permissions(domain, entry)
    roles = {r.value for p in permissions for r in policy.get(p, ())}
    codes = sorted(roles, key=_ROLE_ORDER.index) + [c for c in entry.recipients if c not in roles]
    return {"table": entry.table, "domain": domain.name, "subject": entry.subject,
            "note": entry.note, "purpose": str(entry.purpose) if entry.purpose else None,
            "read_permissions": list(permissions), "recipients": codes}


def build(app: Flask | None = None) -> list[dict[str, Any]]:
    """The register: one entry per category that some declaration uses, in Category order."""
    app = app or current_app
    domains: tuple[Domain, ...] = app.extensions["journey_domains"]
    policy = app.extensions["journey_policy"]
    by_category: dict[Category, list[tuple[PersonalData, dict[str, Any]]]] = {}
    for d in domains:
        for entry in d.personal_data:
            row = _table(d, entry, policy)
            for category in entry.categories:
                by_category.setdefault(category, []).append((entry, row))
    register = []
    for category in Category:
        found = by_category.get(category)
        if not found:
            continue
        purposes = [str(CATEGORY_PURPOSES[category])]
        purposes += [row["purpose"] for _e, row in found
                     if row["purpose"] and row["purpose"] not in purposes]
        bases = [CATEGORY_BASES[category]]
        bases += [LegalBasis(e.legal_basis) for e, _r in found
                  if e.legal_basis and LegalBasis(e.legal_basis) not in bases]
        codes: list[str] = []
        for _e, row in found:
            codes += [c for c in row["recipients"] if c not in codes]
        register.append({
            "category": category.value,
            "title": category_title(category),
            "purposes": purposes,
            "legal_bases": [{"code": b.value, "title": str(LEGAL_BASIS_TITLES[b])} for b in bases],
            "retention_days": retention_days(app.config, category),
            "recipients": [_recipient(c) for c in codes],
            "tables": [row for _e, row in found],
        })
    return register
