"""The service directory: services and locations kept by admins and supervisors, searched by
staff and partners. The services never commit.

A search is two queries for the page (its ids in order with the total, then those services with
their providers) and one batched query per kind of child (languages, service areas, locations):
never one query per service. A
confidential location (a shelter) is shown to staff only (journey.referrals.access): a partner
or the public page sees a service whose only locations are confidential without any location,
and is told the caseworker gives the address. Matching by place reads only the locations the
user may see, so a search cannot reveal where a confidential location is either.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, NotFound
from journey.core.i18n import _, _l
from journey.core.policy import require
from journey.core.schemas import like_pattern
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import ServiceProvider
from journey.referrals.access import load_service, location_visible, sees_confidential
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
    ServiceStatus,
)

logger = logging.getLogger(__name__)

# HSDS taxonomy terms kept as boolean columns of DirectoryService.
CATEGORIES = ("legal_aid", "health", "housing", "employment", "training", "psychosocial",
              "financial")
CATEGORY_TITLES = {
    "legal_aid": _l("Legal aid"), "health": _l("Health"), "housing": _l("Housing"),
    "employment": _l("Employment"), "training": _l("Training"),
    "psychosocial": _l("Psychosocial support"), "financial": _l("Financial"),
}
FLAGS = ("women_only", "sogiesc_safe", "free_of_charge")
FLAG_TITLES = {
    "women_only": _l("Women only"),
    "sogiesc_safe": _l("Safe for people of diverse SOGIESC"),
    "free_of_charge": _l("Free of charge"),
}
# Migration statuses a service may be restricted to (DirectoryService.eligible_statuses).
STATUSES = ("prospective_migrant", "migrant_worker", "returnee", "undocumented",
            "asylum_seeker", "refugee", "trafficking_survivor")
STATUS_TITLES = {
    "prospective_migrant": _l("Preparing to migrate"), "migrant_worker": _l("Migrant worker"),
    "returnee": _l("Returnee"), "undocumented": _l("Without papers"),
    "asylum_seeker": _l("Asylum seeker"), "refugee": _l("Refugee"),
    "trafficking_survivor": _l("Survivor of trafficking"),
}
SERVICE_STATUS_TITLES = {
    ServiceStatus.ACTIVE.value: _l("Active"), ServiceStatus.INACTIVE.value: _l("Inactive"),
    ServiceStatus.DEFUNCT.value: _l("Defunct"),
    ServiceStatus.TEMPORARILY_CLOSED.value: _l("Temporarily closed"),
}
SEX_TITLES = {"any": _l("Anyone"), "female": _l("Women"), "male": _l("Men")}

# The service's own columns a create or an update may set (children are separate keys).
SERVICE_FIELDS = (
    "name", "description", "status", "url", "email", "phone", "min_age", "max_age",
    "eligible_sex", "eligible_statuses", "eligibility_note", "free_of_charge",
    "fees_description", "application_process", "documents_required", "capacity",
    "waiting_days", *CATEGORIES, "women_only", "sogiesc_safe", "response_days",
    "completion_days")
CHILDREN = ("languages", "areas", "location_ids", "schedules")
LOCATION_FIELDS = ("name", "address", "city", "region", "postal_code", "country", "latitude",
                   "longitude", "confidential")


def place_key(text: str) -> str:
    """A place name folded for search: case, width and accents ignored ("Setúbal", "SETUBAL"
    and "setubal" are one key), whitespace collapsed. Folded in Python, since SQLite's lower()
    knows ASCII only and neither database strips accents without an extension."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)
                   and unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", text).split())[:200]


def normal_language(text: str) -> str | None:
    """An ISO 639-1 code (or one of journey's languages, like fil), lower-cased, from a tag
    ("pt-PT" -> "pt"); None when it is not one."""
    import pycountry

    from journey.config import SUPPORTED_LANGUAGES

    code = text.strip().replace("_", "-").split("-")[0].lower()
    if code in SUPPORTED_LANGUAGES:
        return code
    if len(code) == 2 and code.isascii() and pycountry.languages.get(alpha_2=code):
        return code
    return None


def language_title(code: str) -> str:
    """A language's name in the reader's language ("pt" -> "Portuguese", "português")."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    try:
        return Locale.parse(code).get_display_name(get_locale() or "en") or code
    except (ValueError, UnknownLocaleError):
        return code


def _stale_message() -> str:
    return _("Someone changed this directory entry since you read it; reload and try again.")


def stale_before(now: datetime | None = None) -> datetime:
    """Entries confirmed before this moment are stale (DIRECTORY_STALE_DAYS, 180 by default)."""
    return (now or utcnow()) - timedelta(days=current_app.config["DIRECTORY_STALE_DAYS"])


def is_stale(service: DirectoryService, now: datetime | None = None) -> bool:
    return service.assured_at < stale_before(now)


def _invalid(field: str, message: str, code: str = "invalid") -> InvalidInput:
    return InvalidInput(errors=[{"field": field, "code": code, "message": message}])


# --- search -------------------------------------------------------------------------------------

def _place_condition(sess: Session, user: User | None, key: str) -> sa.ColumnElement[bool]:
    """Services covering the place: a service area, or a location (that this user may see) in
    that city or region. The cities and regions are few: their distinct values are folded here
    and matched back by their exact text, so the index of the page query stays usable."""
    area = sa.exists().where(ServiceArea.service_id == DirectoryService.id,
                             ServiceArea.name_key.like(like_pattern(key), escape="\\"))
    cities, regions = set(), set()
    for city, region in sess.execute(sa.select(DirectoryLocation.city, DirectoryLocation.region)
                                     .where(location_visible(user)).distinct()):
        if city and key in place_key(city):
            cities.add(city)
        if region and key in place_key(region):
            regions.add(region)
    if not cities and not regions:
        return area
    located = sa.exists().where(
        ServiceAtLocation.service_id == DirectoryService.id,
        DirectoryLocation.id == ServiceAtLocation.location_id, location_visible(user),
        sa.or_(DirectoryLocation.city.in_(sorted(cities)),
               DirectoryLocation.region.in_(sorted(regions))))
    return sa.or_(area, located)


def search_query(sess: Session, user: User | None, *, q: str | None = None,
                 category: str | None = None, flag: str | None = None,
                 language: str | None = None, place: str | None = None,
                 stale: bool | None = None, status: str | None = ServiceStatus.ACTIVE.value,
                 now: datetime | None = None) -> sa.Select:
    """The services matching the filters, with their providers (unordered, not paged)."""
    query = (sa.select(DirectoryService, ServiceProvider)
             .join(ServiceProvider, ServiceProvider.id == DirectoryService.provider_id))
    if not sees_confidential(user):
        status = ServiceStatus.ACTIVE.value  # partners and the public: active services only
    if status:
        query = query.where(DirectoryService.status == status)
    if category:
        if category not in CATEGORIES:
            raise _invalid("category", _("Choose a category from the list."))
        query = query.where(getattr(DirectoryService, category).is_(True))
    if flag:
        if flag not in FLAGS:
            raise _invalid("flag", _("Choose a flag from the list."))
        query = query.where(getattr(DirectoryService, flag).is_(True))
    if language:
        query = query.where(sa.exists().where(ServiceLanguage.service_id == DirectoryService.id,
                                              ServiceLanguage.language == language))
    if place and (key := place_key(place)):
        query = query.where(_place_condition(sess, user, key))
    if q and q.strip():
        pattern = like_pattern(q.strip())
        query = query.where(sa.or_(DirectoryService.name.ilike(pattern, escape="\\"),
                                   DirectoryService.description.ilike(pattern, escape="\\"),
                                   ServiceProvider.name.ilike(pattern, escape="\\")))
    if stale is not None:
        cut = stale_before(now)
        query = query.where(DirectoryService.assured_at < cut if stale
                            else DirectoryService.assured_at >= cut)
    return query


def _children(sess: Session, user: User | None, ids: list[int]) -> dict[str, dict[int, list]]:
    """Languages, service areas and the locations this user may see, for many services at once
    (three queries), and for each service whether a location was held back."""
    langs: dict[int, list] = defaultdict(list)
    areas: dict[int, list] = defaultdict(list)
    places: dict[int, list] = defaultdict(list)
    hidden: dict[int, list] = defaultdict(list)
    if not ids:
        return {"languages": langs, "areas": areas, "locations": places, "hidden": hidden}
    for sid, code in sess.execute(sa.select(ServiceLanguage.service_id, ServiceLanguage.language)
                                  .where(ServiceLanguage.service_id.in_(ids))
                                  .order_by(ServiceLanguage.service_id, ServiceLanguage.id)):
        langs[sid].append(code)
    for sid, name in sess.execute(sa.select(ServiceArea.service_id, ServiceArea.name)
                                  .where(ServiceArea.service_id.in_(ids))
                                  .order_by(ServiceArea.service_id, ServiceArea.id)):
        areas[sid].append(name)
    show = sees_confidential(user)
    for sid, loc in sess.execute(
            sa.select(ServiceAtLocation.service_id, DirectoryLocation)
            .join(DirectoryLocation, DirectoryLocation.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.service_id.in_(ids))
            .order_by(ServiceAtLocation.service_id, DirectoryLocation.name, DirectoryLocation.id)):
        if loc.confidential and not show:
            hidden[sid].append(loc.id)  # counted, never shown
        else:
            places[sid].append(loc)
    return {"languages": langs, "areas": areas, "locations": places, "hidden": hidden}


def categories_of(service: DirectoryService) -> list[str]:
    return [c for c in CATEGORIES if getattr(service, c)]


def flags_of(service: DirectoryService) -> list[str]:
    return [f for f in FLAGS if getattr(service, f)]


def _row(service: DirectoryService, provider: ServiceProvider, kids: dict, cut: datetime
         ) -> dict[str, Any]:
    sid = service.id
    return {"service": service, "provider": provider,
            "languages": kids["languages"].get(sid, []), "areas": kids["areas"].get(sid, []),
            "locations": kids["locations"].get(sid, []),
            # Only confidential locations, and this user may not see them: the caseworker
            # gives the address.
            "address_withheld": bool(kids["hidden"].get(sid)) and not kids["locations"].get(sid),
            "categories": categories_of(service), "flags": flags_of(service),
            "stale": service.assured_at < cut}


def search(sess: Session, user: User, *, q: str | None = None, category: str | None = None,
           flag: str | None = None, language: str | None = None, place: str | None = None,
           stale: bool | None = None, status: str | None = ServiceStatus.ACTIVE.value,
           page: int = 1, per_page: int = 25, now: datetime | None = None
           ) -> tuple[list[dict[str, Any]], int]:
    """One page of directory services by name (filters: category, flag, language, place, text,
    stale, status), each with its provider, languages, areas, the locations this user may see
    and its stale flag; and the total."""
    require(user, "directory:read")
    return _search(sess, user, q=q, category=category, flag=flag, language=language,
                   place=place, stale=stale, status=status, page=page, per_page=per_page,
                   now=now)


def public_search(sess: Session, *, page: int = 1, per_page: int = 50, **filters: Any
                  ) -> tuple[list[dict[str, Any]], int]:
    """The public page's search: active services, never a confidential location."""
    return _search(sess, None, page=page, per_page=per_page, **filters)


def _search(sess: Session, user: User | None, *, page: int, per_page: int,
            now: datetime | None = None, **filters: Any) -> tuple[list[dict[str, Any]], int]:
    query = search_query(sess, user, now=now, **filters)
    offset = (page - 1) * per_page
    # The total rides on the page's own rows (a window count): the matches are all read once
    # for the sort anyway, so a second pass to count them would double the work.
    # The page's ids first (sorting every match carries the id and the name, not every column
    # of the service and its provider), then those rows.
    picked = sess.execute(query.with_only_columns(
        DirectoryService.id, sa.func.count().over().label("total"))
        .order_by(DirectoryService.name, DirectoryService.id)
        .limit(per_page).offset(offset)).all()
    by_id = {s.id: (s, p) for s, p in sess.execute(
        sa.select(DirectoryService, ServiceProvider)
        .join(ServiceProvider, ServiceProvider.id == DirectoryService.provider_id)
        .where(DirectoryService.id.in_([i for i, _t in picked])))} if picked else {}
    found = [(*by_id[i], t) for i, t in picked]
    if found:
        total = found[0][2]
    elif page == 1:
        total = 0
    else:  # past the last page: count the matches alone
        total = sess.scalar(sa.select(sa.func.count()).select_from(
            query.with_only_columns(DirectoryService.id).order_by(None).subquery()))
    kids = _children(sess, user, [s.id for s, _p, _t in found])
    cut = stale_before(now)
    return [_row(s, p, kids, cut) for s, p, _t in found], total


# --- one service --------------------------------------------------------------------------------

def _schedules(sess: Session, service_id: int) -> list[ServiceSchedule]:
    return list(sess.scalars(sa.select(ServiceSchedule).where(
        ServiceSchedule.service_id == service_id).order_by(
        ServiceSchedule.weekday, ServiceSchedule.opens_at, ServiceSchedule.id)))


def hours(schedules: list[ServiceSchedule], visible: set[int]
          ) -> dict[int, list[tuple[time, time, int | None]]]:
    """Opening hours per ISO weekday (1 = Monday): (opens, closes, location id or None). The
    hours of a location the user may not see are kept, without the location."""
    out: dict[int, list] = {d: [] for d in range(1, 8)}
    for s in schedules:
        loc = s.location_id if s.location_id in visible else None
        out[s.weekday].append((s.opens_at, s.closes_at, loc))
    return out


def describe(sess: Session, user: User | None, service: DirectoryService,
             now: datetime | None = None) -> dict[str, Any]:
    """One service as a page or the API shows it: provider, the locations this user may see,
    opening hours per weekday, languages, areas, categories, flags and whether it is stale."""
    if user is not None:
        require(user, "directory:read")
    provider = sess.get(ServiceProvider, service.provider_id)
    kids = _children(sess, user, [service.id])
    row = _row(service, provider, kids, stale_before(now))
    schedules = _schedules(sess, service.id)
    visible = {loc.id for loc in row["locations"]}
    row["schedules"] = [s for s in schedules if s.location_id is None or s.location_id in visible]
    row["hidden_schedules"] = [s for s in schedules
                               if s.location_id is not None and s.location_id not in visible]
    row["hours"] = hours(schedules, visible)
    return row


def read_service(sess: Session, user: User, service_id: int) -> dict[str, Any]:
    """A service described for this user (partners: active services only, else 404)."""
    service = load_service(sess, user, service_id, "directory:read")
    if not sees_confidential(user) and service.status != ServiceStatus.ACTIVE.value:
        raise NotFound(_("No such service."))
    return describe(sess, user, service)


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
