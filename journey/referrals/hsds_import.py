"""Importing Open Referral HSDS 3.0 JSON into the directory (`journey directory import FILE`):
providers matched by name, locations and services by provider and name, so importing twice
changes nothing; each record is saved on its own, and a refused one is reported with its fields.
The export is journey.referrals.hsds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.errors import ProblemError, flatten_messages
from journey.core.versions import bump
from journey.organisations.models import ServiceProvider, organisation_key
from journey.organisations.schemas import ServiceProviderSchema
from journey.referrals import directory, directory_admin
from journey.referrals.directory_schemas import (
    DirectoryLocationCreateSchema,
    DirectoryServiceCreateSchema,
)
from journey.referrals.hsds import _KIND_BY_CATEGORY, DAYS, TAXONOMY
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    ServiceStatus,
)

logger = logging.getLogger(__name__)



class HsdsFileError(Exception):
    """The file is not HSDS JSON this import reads (not per record: the whole file)."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.created} services created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.errors)} refused")


def records_of(data: Any) -> list[Any]:
    """The service records of a parsed file: an array, or an object holding one."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("services", "contents", "items"):
            if isinstance(data.get(key), list):
                return data[key]
        if "name" in data and "organization" in data:
            return [data]
    raise HsdsFileError("Expected an array of HSDS services, or an object with them under "
                        "\"services\" or \"contents\".")


class RecordError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def _codes(record: dict[str, Any]) -> dict[str, str | None]:
    """The journey attributes of a record: code -> value."""
    found = {}
    for attr in record.get("attributes") or []:
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if isinstance(term, dict) and term.get("taxonomy") == TAXONOMY and term.get("code"):
            found[str(term["code"])] = attr.get("value")
    return found


def _time(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RecordError(where, "opening times are HH:MM")
    return value[:5]


def _schedules_in(items: Any, where: str, location_id: int | None) -> list[dict[str, Any]]:
    out = []
    for n, item in enumerate(items or []):
        if not isinstance(item, dict):
            raise RecordError(f"{where}.{n}", "a schedule is an object")
        if not item.get("opens_at") or not item.get("closes_at"):
            continue  # a schedule without weekly hours (a description only): nothing to keep
        days = [d.strip().upper() for d in str(item.get("byday") or "").split(",") if d.strip()]
        if not days or any(d not in DAYS for d in days):
            raise RecordError(f"{where}.{n}.byday", "byday lists days as MO,TU,...,SU")
        for day in days:
            out.append({"weekday": DAYS.index(day) + 1,
                        "opens_at": _time(item["opens_at"], f"{where}.{n}.opens_at"),
                        "closes_at": _time(item["closes_at"], f"{where}.{n}.closes_at"),
                        "location_id": location_id})
    return out


def _load(schema: ma.Schema, raw: dict[str, Any], prefix: str) -> dict[str, Any]:
    try:
        return schema.load(raw)
    except ma.ValidationError as err:
        first = flatten_messages(err.messages)[0]
        raise RecordError(f"{prefix}{first['field']}", str(first["message"])) from err


def _provider(sess: Session, org: Any, country: str | None, kind: str) -> ServiceProvider:
    if not isinstance(org, dict) or not isinstance(org.get("name"), str):
        raise RecordError("organization.name", "every service needs its organization's name")
    provider = sess.scalar(sa.select(ServiceProvider).where(
        ServiceProvider.name_key == organisation_key(org["name"])))
    phones = org.get("phones") or []
    values = {"description": org.get("description") or None, "email": org.get("email"),
              "website": org.get("website"),
              "phone": (phones[0].get("number") if phones and isinstance(phones[0], dict)
                        else None)}
    if provider is None:
        if not country:
            raise RecordError("organization", "a new organization needs a country: give the "
                                              "service a location with an address")
        raw = {"name": org["name"], "country": country, "kind": kind,
               **{k: v for k, v in values.items() if v}}
        data = _load(ServiceProviderSchema(), raw, "organization.")
        from journey.core.db import utcnow

        provider = ServiceProvider(**data, created_at=utcnow())
        sess.add(provider)
        sess.flush()
        return provider
    changed = sorted(k for k, v in values.items() if v and getattr(provider, k) != v)
    if changed:
        data = _load(ServiceProviderSchema(partial=True),
                     {k: values[k] for k in changed}, "organization.")
        for key in changed:
            setattr(provider, key, data[key])
        bump(sess, provider, None, "")
        sess.flush()
        audit.record(sess, "organisations:service_provider:update", actor_id=None,
                     object_type="service_provider", object_id=provider.id, fields=changed,
                     version=provider.version)
    return provider


def _location_in(sess: Session, provider: ServiceProvider, sal: dict[str, Any], n: int
                 ) -> tuple[int, list[dict[str, Any]]]:
    where = f"service_at_locations.{n}"
    loc = sal.get("location")
    if not isinstance(loc, dict) or not loc.get("name"):
        raise RecordError(f"{where}.location.name", "each location needs a name")
    codes = _codes(loc)
    address = next((a for a in loc.get("addresses") or [] if isinstance(a, dict)), {})
    raw = {"provider_id": provider.id, "name": loc["name"],
           "address": address.get("address_1") or None, "city": address.get("city") or None,
           "region": address.get("region") or address.get("state_province") or None,
           "postal_code": address.get("postal_code") or None,
           "country": address.get("country") or codes.get("country") or provider.country,
           "latitude": loc.get("latitude"), "longitude": loc.get("longitude"),
           "confidential": str(codes.get("confidential", "false")).lower() == "true"}
    data = _load(DirectoryLocationCreateSchema(), raw, f"{where}.location.")
    existing = sess.scalar(sa.select(DirectoryLocation).where(
        DirectoryLocation.provider_id == provider.id, DirectoryLocation.name == data["name"])
        .order_by(DirectoryLocation.id).limit(1))
    if existing is None:
        existing = directory_admin.create_location(sess, None, data)
    else:
        values = {k: data.get(k) for k in directory.LOCATION_FIELDS}
        values["confidential"] = bool(values["confidential"])
        directory_admin.update_location(sess, None, existing.id, values, expected=None)
    return existing.id, _schedules_in(sal.get("schedules"), f"{where}.schedules", existing.id)


def _number(codes: dict[str, Any], name: str) -> int | None:
    value = codes.get(name)
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise RecordError(f"attributes.{name}", "a whole number") from None


def _wait(record: dict[str, Any], codes: dict[str, Any]) -> int | None:
    if "waiting_days" in codes:
        return _number(codes, "waiting_days")
    text = record.get("wait_time")
    if isinstance(text, str) and text.split() and text.split()[0].isdigit():
        return int(text.split()[0])
    return None


def _service_input(record: dict[str, Any], provider: ServiceProvider, location_ids: list[int],
                   schedules: list[dict[str, Any]]) -> dict[str, Any]:
    codes = _codes(record)
    costs = [c for c in record.get("cost_options") or [] if isinstance(c, dict)]
    free = "free_of_charge" in codes or any(c.get("amount") == 0 for c in costs)
    docs = [d.get("document") for d in record.get("required_documents") or []
            if isinstance(d, dict) and d.get("document")]
    phones = [p.get("number") for p in record.get("phones") or [] if isinstance(p, dict)]
    raw = {
        "provider_id": provider.id, "name": record.get("name"),
        "description": record.get("description") or None,
        "status": record.get("status") or ServiceStatus.ACTIVE.value,
        "url": record.get("url") or None, "email": record.get("email") or None,
        "phone": phones[0] if phones else None,
        "min_age": record.get("minimum_age"), "max_age": record.get("maximum_age"),
        "eligible_sex": codes.get("eligible_sex") or "any",
        "eligible_statuses": [v for k, v in codes.items() if k.startswith("eligible_status_")],
        "eligibility_note": record.get("eligibility_description") or None,
        "free_of_charge": free,
        "fees_description": record.get("fees_description") or None,
        "application_process": record.get("application_process") or None,
        "documents_required": "; ".join(docs) or None,
        "capacity": _number(codes, "capacity"), "waiting_days": _wait(record, codes),
        "response_days": _number(codes, "response_days"),
        "completion_days": _number(codes, "completion_days"),
        "languages": [lang.get("code") for lang in record.get("languages") or []
                      if isinstance(lang, dict) and lang.get("code")],
        "areas": [a.get("name") for a in record.get("service_areas") or []
                  if isinstance(a, dict) and a.get("name")],
        "location_ids": location_ids,
        "schedules": [{**s, "location_id": s["location_id"]} for s in schedules],
    }
    for name in (*directory.CATEGORIES, "women_only", "sogiesc_safe"):
        raw[name] = name in codes
    for key in ("min_age", "max_age"):
        if isinstance(raw[key], float) and raw[key].is_integer():
            raw[key] = int(raw[key])
    return raw


def _one(sess: Session, record: Any, country: str | None) -> str:
    """Create or update one service record; 'created', 'updated' or 'unchanged'."""
    if not isinstance(record, dict):
        raise RecordError("", "a service record is an object")
    if not isinstance(record.get("name"), str) or not record["name"].strip():
        raise RecordError("name", "every service needs a name")
    codes = _codes(record)
    category = next((c for c in directory.CATEGORIES if c in codes), None)
    sals = [s for s in record.get("service_at_locations") or [] if isinstance(s, dict)]
    first_country = next((a.get("country") for s in sals
                          for a in (s.get("location") or {}).get("addresses") or []
                          if isinstance(a, dict) and a.get("country")), None)
    provider = _provider(sess, record.get("organization"), first_country or country,
                         _KIND_BY_CATEGORY.get(category or "", "other"))
    location_ids, schedules = [], _schedules_in(record.get("schedules"), "schedules", None)
    for n, sal in enumerate(sals):
        loc_id, at = _location_in(sess, provider, sal, n)
        location_ids.append(loc_id)
        schedules += at
    data = _load(DirectoryServiceCreateSchema(), _service_input(record, provider, location_ids,
                                                                schedules), "")
    existing = sess.scalar(sa.select(DirectoryService).where(
        DirectoryService.provider_id == provider.id, DirectoryService.name == data["name"])
        .order_by(DirectoryService.id).limit(1))
    assured = _assured(record.get("assured_date"))
    if existing is None:
        directory_admin.create_service(sess, None, {**data, "assured_at": assured})
        return "created"
    before = existing.version
    data.pop("provider_id")
    directory_admin.update_service(sess, None, existing.id, data, expected=None)
    if assured is not None and assured > existing.assured_at:
        existing.assured_at = assured
        sess.flush()
    return "updated" if existing.version != before else "unchanged"


def _assured(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        day = datetime.fromisoformat(value[:10])
    except ValueError:
        return None
    return day.replace(tzinfo=UTC)


def import_services(sess: Session, data: Any, *, country: str | None = None) -> ImportResult:
    """Import HSDS service records (already parsed JSON); never commits. Each record is saved
    in a savepoint: a refused one is rolled back alone and reported (record index, name,
    field, message)."""
    result = ImportResult()
    for n, record in enumerate(records_of(data)):
        name = record.get("name") if isinstance(record, dict) else None
        try:
            with sess.begin_nested():
                outcome = _one(sess, record, country)
        except RecordError as err:
            result.errors.append({"record": n, "name": name, "field": err.field,
                                  "message": err.message})
            continue
        except ProblemError as err:
            first = err.errors[0] if err.errors else {"field": "", "message": str(err.detail)}
            result.errors.append({"record": n, "name": name, "field": first["field"],
                                  "message": str(first["message"])})
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
    logger.info("directory import: %s", result.summary())
    return result
