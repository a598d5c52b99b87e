"""Authorisation, decided in one place: which role may do what, and over which records.

A permission names what is done (``participants:read``). A role grants a set of permissions. Scope
says which records a user may touch at all (participant_scope): admins everything; supervisors and
caseworkers their office; employer users the participants linked to their employer; partner users
those referred to their service provider (journey.core.links). Records outside a
user's scope are reported as missing (404), not forbidden, so ids cannot be probed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from journey.core.errors import Forbidden
from journey.core.i18n import _
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

def permissions() -> Mapping[str, frozenset[Role]]:
    """The current app's policy table: permission -> roles, assembled from its domains' rows
    (``Domain.permissions``; see journey.core.domains). Tests walk it."""
    return current_app.extensions["journey_policy"]


def allowed(user: User, permission: str) -> bool:
    """Whether the user's role grants the permission at all."""
    roles = permissions().get(permission)
    if roles is None:
        raise KeyError(f"unknown permission {permission!r}")
    return user.is_active and Role(user.role) in roles


def require(user: User, permission: str) -> None:
    """Raise 403 unless the user's role grants the permission."""
    if not allowed(user, permission):
        raise Forbidden(_("Your role does not allow this."))


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


