"""Authorisation, decided in one place: which role may do what, and over which records.

A permission names what is done (``participants:read``). A role grants a set of permissions. Scope
says which records a user may touch at all (participant_scope): admins everything; supervisors and
caseworkers their office; employer users the participants linked to their employer; partner users
those referred to their service provider (journey.core.links). Records outside a
user's scope are reported as missing (404), not forbidden, so ids cannot be probed.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa

from journey.core.errors import Forbidden
from journey.core.links import OrganisationKind, linked_participants

if TYPE_CHECKING:
    from journey.core.auth import User


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CASEWORKER = "caseworker"
    EMPLOYER = "employer"
    PARTNER = "partner"


STAFF = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER})
OFFICE_ROLES = frozenset({Role.SUPERVISOR, Role.CASEWORKER})

# The whole matrix, as data. Tests walk it endpoint by endpoint.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "participants:read": STAFF,
    "participants:create": STAFF,
    "participants:update": STAFF,
    "participants:read_sensitive": frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER}),
    "consent:read": STAFF,
    "consent:record": STAFF,
    "audit:read": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "continuum:transition": STAFF,
    "continuum:override": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "continuum:checklist": STAFF,
    "permits:read": STAFF,
    "permits:manage": STAFF,
    "messages:read": STAFF,
    "campaigns:send": STAFF,
    "costs:read": STAFF,
    "costs:record": STAFF,
    "users:manage": frozenset({Role.ADMIN}),
    "offices:read": STAFF,
    "offices:manage": frozenset({Role.ADMIN}),
    "programmes:read": frozenset(Role),
    "programmes:manage": frozenset({Role.ADMIN}),
    "organisations:read": frozenset(Role),
    "organisations:manage": frozenset({Role.ADMIN}),
    # Occupation codes are reference data: everyone signed in may search them.
    "taxonomy:read": frozenset(Role),
    "passports:read": STAFF,
    "passports:write": STAFF,
    "passports:verify": STAFF,
    # What a participant agreed to show publicly, for anyone whose scope holds them: staff, and
    # employer and partner users linked to the participant.
    "passports:read_disclosed": frozenset(Role),
    "credentials:read": STAFF,
    "credentials:issue": STAFF,
    "credentials:revoke": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "skillcards:read": STAFF,
    "skillcards:manage": STAFF,
    "skillcards:revoke": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "shares:read": STAFF,
    "shares:manage": STAFF,
}


def allowed(user: User, permission: str) -> bool:
    """Whether the user's role grants the permission at all."""
    roles = PERMISSIONS.get(permission)
    if roles is None:
        raise KeyError(f"unknown permission {permission!r}")
    return user.is_active and Role(user.role) in roles


def require(user: User, permission: str) -> None:
    """Raise 403 unless the user's role grants the permission."""
    if not allowed(user, permission):
        raise Forbidden("Your role does not allow this.")


def participant_scope(user: User, participant_id: sa.ColumnElement,
                      office_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """The SQL condition for the participants this user may see, over the given columns.

    The one scope rule, used by single-record loaders and list queries alike: admins see everyone;
    supervisors and caseworkers their office; employer users the participants linked to their
    employer (presented, shared or placed); partner users those referred to their provider.
    Anything else sees no one.
    """
    role = Role(user.role)
    if not user.is_active:
        return sa.false()
    if role == Role.ADMIN:
        return sa.true()
    if role in OFFICE_ROLES and user.office_id is not None:
        return office_id == user.office_id
    if role == Role.EMPLOYER and user.employer_id is not None:
        return participant_id.in_(linked_participants(OrganisationKind.EMPLOYER, user.employer_id))
    if role == Role.PARTNER and user.provider_id is not None:
        return participant_id.in_(
            linked_participants(OrganisationKind.SERVICE_PROVIDER, user.provider_id))
    return sa.false()


def office_scope(user: User) -> int | None:
    """The single office a user is confined to, or None when they see every office.

    For records kept by office (audit events, campaigns). Records of a participant are scoped with
    participant_scope, which also knows employer and partner links.
    """
    if Role(user.role) == Role.ADMIN:
        return None
    if Role(user.role) in OFFICE_ROLES:
        return user.office_id
    # Employer and partner users have no office; callers must not reach office data for them.
    return -1


