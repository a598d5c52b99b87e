"""Authorisation, decided in one place: which role may do what, and over which records.

A permission names what is done (``participants:read``). A role grants a set of permissions. Scope
says which records a user may touch at all: admins everything; supervisors and caseworkers their
office; employer users their employer; partner users their service provider. Records outside a
user's scope are reported as missing (404), not forbidden, so ids cannot be probed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import current_app

from journey.core.errors import Forbidden

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
        raise Forbidden("Your role does not allow this.")


def office_scope(user: User) -> int | None:
    """The single office a user is confined to, or None when they see every office."""
    if Role(user.role) == Role.ADMIN:
        return None
    if Role(user.role) in OFFICE_ROLES:
        return user.office_id
    # Employer and partner users have no office; callers must not reach office data for them.
    return -1


def in_scope(user: User, office_id: int | None) -> bool:
    """Whether a record of this office is within the user's scope."""
    scope = office_scope(user)
    return scope is None or office_id == scope
