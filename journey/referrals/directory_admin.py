"""Keeping the directory (admins and supervisors): services with their languages, areas,
locations and opening hours, confirming an entry still correct, and locations. Searching and
reading it is journey.referrals.directory.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.core.policy import require
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import ServiceProvider
from journey.referrals.access import load_service, location_visible
from journey.referrals.directory import (
    LOCATION_FIELDS,
    SERVICE_FIELDS,
    _invalid,
    _schedules,
    _stale_message,
    place_key,
)
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
)

logger = logging.getLogger(__name__)


# --- keeping services ---------------------------------------------------------------------------

def _provider(sess: Session, provider_id: int) -> ServiceProvider:
    provider = sess.get(ServiceProvider, provider_id)
    if provider is None:
        raise _invalid("provider_id", _("No such service provider."), "unknown")
    return provider


def _check_locations(sess: Session, provider_id: int, ids: list[int]) -> None:
    if not ids:
        return
    found = set(sess.scalars(sa.select(DirectoryLocation.id).where(
        DirectoryLocation.id.in_(ids), DirectoryLocation.provider_id == provider_id)))
    missing = [i for i in ids if i not in found]
    if missing:
        raise _invalid("location_ids", _("No location %(id)s of this provider.", id=missing[0]),
                       "unknown")


def _check_ages(min_age: int | None, max_age: int | None) -> None:
    if min_age is not None and max_age is not None and min_age > max_age:
        raise _invalid("max_age", _("The maximum age must not be below the minimum age."))


def _set_children(sess: Session, service: DirectoryService, data: dict[str, Any]) -> list[str]:
    """Replace the children named in data (languages, areas, locations, schedules)."""
    changed = []
    sid = service.id
    if "languages" in data:
        wanted = list(dict.fromkeys(data["languages"] or []))
        have = list(sess.scalars(sa.select(ServiceLanguage.language).where(
            ServiceLanguage.service_id == sid).order_by(ServiceLanguage.id)))
        if have != wanted:
            sess.execute(sa.delete(ServiceLanguage).where(ServiceLanguage.service_id == sid))
            sess.add_all(ServiceLanguage(service_id=sid, language=code) for code in wanted)
            changed.append("languages")
    if "areas" in data:
        wanted = list(dict.fromkeys(a.strip() for a in data["areas"] or [] if a.strip()))
        have = list(sess.scalars(sa.select(ServiceArea.name).where(
            ServiceArea.service_id == sid).order_by(ServiceArea.id)))
        if have != wanted:
            sess.execute(sa.delete(ServiceArea).where(ServiceArea.service_id == sid))
            sess.add_all(ServiceArea(service_id=sid, name=name, name_key=place_key(name))
                         for name in wanted)
            changed.append("areas")
    if "location_ids" in data:
        wanted = list(dict.fromkeys(data["location_ids"] or []))
        _check_locations(sess, service.provider_id, wanted)
        have = list(sess.scalars(sa.select(ServiceAtLocation.location_id).where(
            ServiceAtLocation.service_id == sid).order_by(ServiceAtLocation.id)))
        if sorted(have) != sorted(wanted):
            sess.execute(sa.delete(ServiceAtLocation).where(ServiceAtLocation.service_id == sid))
            sess.add_all(ServiceAtLocation(service_id=sid, location_id=i) for i in wanted)
            changed.append("location_ids")
    if "schedules" in data:
        wanted = sorted((s["weekday"], s["opens_at"], s["closes_at"], s.get("location_id"))
                        for s in data["schedules"] or [])
        for n, (_day, opens, closes, _loc) in enumerate(wanted):
            if opens >= closes:
                raise _invalid(f"schedules.{n}.closes_at",
                               _("A service must close after it opens."))
        _check_locations(sess, service.provider_id, [w[3] for w in wanted if w[3] is not None])
        have = sorted((s.weekday, s.opens_at, s.closes_at, s.location_id)
                      for s in _schedules(sess, sid))
        if have != wanted:
            sess.execute(sa.delete(ServiceSchedule).where(ServiceSchedule.service_id == sid))
            sess.add_all(ServiceSchedule(service_id=sid, weekday=d, opens_at=o, closes_at=c,
                                         location_id=loc) for d, o, c, loc in wanted)
            changed.append("schedules")
    if changed:
        sess.flush()
    return changed


def create_service(sess: Session, user: User | None, data: dict[str, Any]) -> DirectoryService:
    """Add a service to the directory (admins and supervisors), confirmed now by its author.
    user None: the import command (no person acts)."""
    if user is not None:
        require(user, "directory:manage")
    provider = _provider(sess, data["provider_id"])
    _check_ages(data.get("min_age"), data.get("max_age"))
    now = utcnow()
    actor = user.id if user is not None else None
    service = DirectoryService(provider_id=provider.id, assured_at=data.get("assured_at") or now,
                               assured_by=actor, created_at=now, updated_at=now,
                               **{k: data[k] for k in SERVICE_FIELDS if data.get(k) is not None})
    sess.add(service)
    sess.flush()
    _set_children(sess, service, data)
    audit.record(sess, "referrals:directory_service:create", actor_id=actor,
                 object_type="directory_service", object_id=service.id,
                 provider_id=provider.id)
    logger.info("directory service created id=%s provider=%s", service.id, provider.id)
    return service


def update_service(sess: Session, user: User | None, service_id: int, data: dict[str, Any], *,
                   expected: Precondition | None) -> DirectoryService:
    """Change a service at the version the caller read (admins and supervisors); the lists
    given (languages, areas, location_ids, schedules) replace the service's. Setting the status
    to inactive takes it out of search."""
    if user is not None:
        service = load_service(sess, user, service_id, "directory:manage")
    else:
        service = sess.get(DirectoryService, service_id)
        if service is None:
            raise NotFound(_("No such service."))
    check_version(service.version, expected, _stale_message())
    _check_ages(data.get("min_age", service.min_age), data.get("max_age", service.max_age))
    changed = sorted(k for k in SERVICE_FIELDS if k in data and getattr(service, k) != data[k])
    for key in changed:
        setattr(service, key, data[key])
    changed += _set_children(sess, service, data)
    if not changed:
        return service
    bump(sess, service, expected, _stale_message())
    service.updated_at = utcnow()
    sess.flush()
    audit.record(sess, "referrals:directory_service:update",
                 actor_id=user.id if user is not None else None,
                 object_type="directory_service", object_id=service.id, fields=sorted(changed),
                 version=service.version)
    logger.info("directory service updated id=%s", service.id)
    return service


def confirm_service(sess: Session, user: User, service_id: int, *,
                    expected: Precondition | None = None, now: datetime | None = None
                    ) -> DirectoryService:
    """"Still correct": the entry is confirmed today by this user (no longer stale)."""
    service = load_service(sess, user, service_id, "directory:manage")
    check_version(service.version, expected, _stale_message())
    bump(sess, service, expected, _stale_message())
    service.assured_at = now or utcnow()
    service.assured_by = user.id
    sess.flush()
    audit.record(sess, "referrals:directory_service:confirm", actor_id=user.id,
                 object_type="directory_service", object_id=service.id, version=service.version)
    return service


# --- locations ----------------------------------------------------------------------------------

def list_locations(sess: Session, user: User, *, provider_id: int | None = None
                   ) -> list[DirectoryLocation]:
    """The locations this user may see (staff every one; partners none that is confidential)."""
    require(user, "directory:read")
    query = sa.select(DirectoryLocation).where(location_visible(user))
    if provider_id is not None:
        query = query.where(DirectoryLocation.provider_id == provider_id)
    return list(sess.scalars(query.order_by(DirectoryLocation.name, DirectoryLocation.id)))


def load_location(sess: Session, user: User, location_id: int,
                  permission: str = "directory:read") -> DirectoryLocation:
    """A location this user may see, or 404 (a confidential one reads as missing to a partner)."""
    require(user, permission)
    loc = sess.scalar(sa.select(DirectoryLocation).where(DirectoryLocation.id == location_id,
                                                         location_visible(user)))
    if loc is None:
        raise NotFound(_("No such location."))
    return loc


def create_location(sess: Session, user: User | None, data: dict[str, Any]) -> DirectoryLocation:
    """Add a location of a provider (admins and supervisors)."""
    if user is not None:
        require(user, "directory:manage")
    provider = _provider(sess, data["provider_id"])
    loc = DirectoryLocation(provider_id=provider.id, created_at=utcnow(),
                            **{k: data[k] for k in LOCATION_FIELDS if data.get(k) is not None})
    sess.add(loc)
    sess.flush()
    audit.record(sess, "referrals:directory_location:create",
                 actor_id=user.id if user is not None else None,
                 object_type="directory_location", object_id=loc.id, provider_id=provider.id)
    return loc


def update_location(sess: Session, user: User | None, location_id: int, data: dict[str, Any], *,
                    expected: Precondition | None) -> DirectoryLocation:
    """Change a location at the version the caller read (admins and supervisors)."""
    if user is not None:
        loc = load_location(sess, user, location_id, "directory:manage")
    else:
        loc = sess.get(DirectoryLocation, location_id)
        if loc is None:
            raise NotFound(_("No such location."))
    check_version(loc.version, expected, _stale_message())
    changed = sorted(k for k in LOCATION_FIELDS if k in data and getattr(loc, k) != data[k])
    if not changed:
        return loc
    for key in changed:
        setattr(loc, key, data[key])
    bump(sess, loc, expected, _stale_message())
    sess.flush()
    audit.record(sess, "referrals:directory_location:update",
                 actor_id=user.id if user is not None else None,
                 object_type="directory_location", object_id=loc.id, fields=changed,
                 version=loc.version)
    return loc


def service_locations(sess: Session, service_id: int) -> list[int]:
    return list(sess.scalars(sa.select(ServiceAtLocation.location_id).where(
        ServiceAtLocation.service_id == service_id).order_by(ServiceAtLocation.id)))


def edit_values(sess: Session, service: DirectoryService) -> dict[str, Any]:
    """A service's fields and children as the forms and the update schema take them."""
    values = {k: getattr(service, k) for k in SERVICE_FIELDS}
    values["provider_id"] = service.provider_id
    values["languages"] = list(sess.scalars(sa.select(ServiceLanguage.language).where(
        ServiceLanguage.service_id == service.id).order_by(ServiceLanguage.id)))
    values["areas"] = list(sess.scalars(sa.select(ServiceArea.name).where(
        ServiceArea.service_id == service.id).order_by(ServiceArea.id)))
    values["location_ids"] = service_locations(sess, service.id)
    values["schedules"] = [{"weekday": s.weekday, "opens_at": s.opens_at,
                            "closes_at": s.closes_at, "location_id": s.location_id}
                           for s in _schedules(sess, service.id)]
    values["version"] = service.version
    return values
