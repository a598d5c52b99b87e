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

from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, NotFound
from journey.core.i18n import _, _l
from journey.core.policy import require
from journey.core.schemas import like_pattern
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
