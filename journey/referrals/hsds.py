"""The directory as Open Referral HSDS 3.0 JSON: export (the API and `journey directory export`)
and import (`journey directory import FILE`).

An export is an array of HSDS `service` objects, each with its nested organization,
service_at_locations (each with its location, address and schedules), schedules, languages,
service_areas, phones, cost_options and required_documents. What HSDS 3.0 has no field for
(categories, flags, structured eligibility, capacity, deadlines, a confidential location) is
carried as `attributes` whose taxonomy term's `taxonomy` is "journey" and `code` names the
column. Ids are UUIDs derived from journey's ids (stable for one installation).

An import reads the same shape (an array of services, or an object with them under "services"
or "contents"). Providers are matched by name (organisation_key), locations by provider and
name, services by provider and name: importing the same file twice leaves the same rows. Each
record is checked through the API's schemas and saved on its own (a savepoint): a bad record is
reported with its fields and skipped, the others are saved.
"""

from __future__ import annotations

import uuid
from datetime import UTC, time
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.policy import require
from journey.organisations.models import ServiceProvider
from journey.referrals import directory
from journey.referrals.access import location_visible, sees_confidential
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
    ServiceStatus,
)

_NS = uuid.UUID("5b0f1d1e-7c2a-4d1e-9a57-6a6f75726e65")
TAXONOMY = "journey"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_KIND_BY_CATEGORY = {"legal_aid": "legal", "health": "health", "housing": "housing",
                     "financial": "financial", "training": "training",
                     "psychosocial": "psychosocial", "employment": "job_centre"}
# Integer columns carried as attributes (HSDS 3.0 has no field for them).
_NUMBER_ATTRIBUTES = ("capacity", "waiting_days", "response_days", "completion_days")


class HsdsServiceSchema(ma.Schema):
    """An HSDS 3.0 `service` object (https://docs.openreferral.org), as exported: the members
    of the HSDS schema, documented there."""

    class Meta:
        unknown = ma.INCLUDE  # documented as an open object: HSDS defines its members

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        return obj  # already HSDS JSON: built by journey.referrals.hsds.export


def uid(kind: str, key: Any) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """HSDS types its fields (a string is never null): absent rather than null."""
    return {k: v for k, v in obj.items() if v is not None}


def _term(code: str, name: str) -> dict[str, Any]:
    return {"id": uid("term", code), "code": code, "name": name, "description": name,
            "taxonomy": TAXONOMY}


def _attribute(owner: str, entity: str, code: str, value: Any = None) -> dict[str, Any]:
    term = _term(code, code.replace("_", " "))
    return _clean({"id": uid("attribute", f"{owner}:{code}"), "link_id": owner,
                   "link_type": entity, "link_entity": entity, "taxonomy_term_id": term["id"],
                   "value": None if value is None else str(value), "taxonomy_term": term})


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def _schedule(s: ServiceSchedule, service_uid: str, sal_uid: str | None) -> dict[str, Any]:
    return _clean({"id": uid("schedule", s.id), "service_id": service_uid,
                   "location_id": uid("location", s.location_id) if s.location_id else None,
                   "service_at_location_id": sal_uid, "freq": "WEEKLY", "wkst": "MO",
                   "byday": DAYS[s.weekday - 1], "opens_at": _hhmm(s.opens_at),
                   "closes_at": _hhmm(s.closes_at)})


def _organization(p: ServiceProvider) -> dict[str, Any]:
    org = _clean({"id": uid("organization", p.id), "name": p.name,
                  "description": p.description or "", "email": p.email,
                  "website": p.website})
    if p.phone:
        org["phones"] = [{"id": uid("organization-phone", p.id), "number": p.phone,
                          "organization_id": org["id"]}]
    return org


def _location(loc: DirectoryLocation) -> dict[str, Any]:
    lid = uid("location", loc.id)
    out = _clean({"id": lid, "location_type": "physical",
                  "organization_id": uid("organization", loc.provider_id), "name": loc.name,
                  "latitude": loc.latitude, "longitude": loc.longitude})
    if loc.address or loc.city:
        out["addresses"] = [{
            "id": uid("address", loc.id), "location_id": lid, "address_1": loc.address or "",
            "city": loc.city or "", "region": loc.region or "",
            "state_province": loc.region or "", "postal_code": loc.postal_code or "",
            "country": loc.country, "address_type": "physical"}]
    else:
        out["addresses"] = []
    # The country has to travel even without a street address.
    out["attributes"] = [_attribute(lid, "location", "country", loc.country)]
    if loc.confidential:
        out["attributes"].append(_attribute(lid, "location", "confidential", "true"))
    return out


def export(sess: Session, user: User | None) -> list[dict[str, Any]]:
    """The directory as HSDS 3.0 service objects. Staff (and the command line: user None) get
    every service and location; anyone else active services and no confidential location."""
    if user is not None:
        require(user, "directory:read")
    staff = user is None or sees_confidential(user)
    query = sa.select(DirectoryService).order_by(DirectoryService.name, DirectoryService.id)
    if not staff:
        query = query.where(DirectoryService.status == ServiceStatus.ACTIVE.value)
    services = list(sess.scalars(query))
    ids = [s.id for s in services]
    providers = {p.id: p for p in sess.scalars(sa.select(ServiceProvider).where(
        ServiceProvider.id.in_({s.provider_id for s in services})))} if services else {}
    langs: dict[int, list[str]] = {}
    areas: dict[int, list[ServiceArea]] = {}
    places: dict[int, list[DirectoryLocation]] = {}
    times: dict[int, list[ServiceSchedule]] = {}
    if ids:
        for sid, code in sess.execute(sa.select(ServiceLanguage.service_id,
                                                ServiceLanguage.language)
                                      .where(ServiceLanguage.service_id.in_(ids))
                                      .order_by(ServiceLanguage.id)):
            langs.setdefault(sid, []).append(code)
        for a in sess.scalars(sa.select(ServiceArea).where(ServiceArea.service_id.in_(ids))
                              .order_by(ServiceArea.id)):
            areas.setdefault(a.service_id, []).append(a)
        visible = None if user is None else location_visible(user)
        query = (sa.select(ServiceAtLocation.service_id, DirectoryLocation)
                 .join(DirectoryLocation, DirectoryLocation.id == ServiceAtLocation.location_id)
                 .where(ServiceAtLocation.service_id.in_(ids))
                 .order_by(DirectoryLocation.name, DirectoryLocation.id))
        if visible is not None:
            query = query.where(visible)
        for sid, loc in sess.execute(query):
            places.setdefault(sid, []).append(loc)
        for s in sess.scalars(sa.select(ServiceSchedule).where(
                ServiceSchedule.service_id.in_(ids)).order_by(
                ServiceSchedule.weekday, ServiceSchedule.opens_at, ServiceSchedule.id)):
            times.setdefault(s.service_id, []).append(s)
    from journey.referrals.directory import language_title as language_name

    out = []
    for s in services:
        sid = uid("service", s.id)
        locs = places.get(s.id, [])
        shown = {loc.id for loc in locs}
        record = _clean({
            "id": sid, "organization_id": uid("organization", s.provider_id), "name": s.name,
            "description": s.description, "url": s.url, "email": s.email, "status": s.status,
            "application_process": s.application_process,
            "fees_description": s.fees_description,
            "wait_time": None if s.waiting_days is None else f"{s.waiting_days} days",
            "eligibility_description": s.eligibility_note, "minimum_age": s.min_age,
            "maximum_age": s.max_age, "assured_date": s.assured_at.date().isoformat(),
            "last_modified": s.updated_at.astimezone(UTC).isoformat(),
        })
        record["organization"] = _organization(providers[s.provider_id])
        record["phones"] = ([{"id": uid("service-phone", s.id), "service_id": sid,
                              "number": s.phone}] if s.phone else [])
        record["schedules"] = [_schedule(t, sid, None) for t in times.get(s.id, [])
                               if t.location_id is None]
        record["service_areas"] = [{"id": uid("area", a.id), "service_id": sid, "name": a.name}
                                   for a in areas.get(s.id, [])]
        record["languages"] = [{"id": uid("language", f"{s.id}:{code}"), "service_id": sid,
                                "code": code, "name": language_name(code)}
                               for code in langs.get(s.id, [])]
        record["service_at_locations"] = []
        for loc in locs:
            sal = uid("service_at_location", f"{s.id}:{loc.id}")
            record["service_at_locations"].append({
                "id": sal, "service_id": sid, "location_id": uid("location", loc.id),
                "location": _location(loc),
                "schedules": [_schedule(t, sid, sal) for t in times.get(s.id, [])
                              if t.location_id == loc.id and loc.id in shown]})
        record["cost_options"] = [_clean({
            "id": uid("cost", s.id), "service_id": sid,
            "option": "Free of charge" if s.free_of_charge else "Fees apply",
            "amount": 0 if s.free_of_charge else None,
            "amount_description": s.fees_description})]
        record["required_documents"] = ([{"id": uid("document", s.id), "service_id": sid,
                                          "document": s.documents_required}]
                                        if s.documents_required else [])
        attrs = [_attribute(sid, "service", c) for c in directory.categories_of(s)]
        attrs += [_attribute(sid, "service", f) for f in directory.flags_of(s)]
        attrs.append(_attribute(sid, "service", "eligible_sex", s.eligible_sex))
        attrs += [_attribute(sid, "service", f"eligible_status_{st}", st)
                  for st in s.eligible_statuses or []]
        attrs += [_attribute(sid, "service", name, getattr(s, name))
                  for name in _NUMBER_ATTRIBUTES if getattr(s, name) is not None]
        record["attributes"] = attrs
        out.append(record)
    return out
