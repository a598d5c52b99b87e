"""The service directory API: search and read (staff and partners), keep services and locations
(admins and supervisors), and export as Open Referral HSDS 3.0 JSON. Load through a schema, call
one service, dump."""

from __future__ import annotations

import math

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.pagination import with_total
from journey.core.versions import precondition
from journey.referrals import directory, directory_admin, hsds
from journey.referrals.directory_schemas import (
    ConfirmSchema,
    DirectoryLocationCreateSchema,
    DirectoryLocationQuerySchema,
    DirectoryLocationSchema,
    DirectoryLocationUpdateSchema,
    DirectorySearchSchema,
    DirectoryServiceCreateSchema,
    DirectoryServicePageSchema,
    DirectoryServiceSchema,
    DirectoryServiceUpdateSchema,
)

blp = Blueprint("directory", __name__, url_prefix="",
                description="The service directory (Open Referral HSDS): services, locations.")

_STALE = "The version you sent is stale (409 for the body's version, 412 for If-Match)."
_NEED_VERSION = "Send the version you read, in If-Match or the body."


def _etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


def _described(service):
    return directory.describe(db.session, current_user(), service)


@blp.get("/directory/services", permission="directory:read")
@blp.arguments(DirectorySearchSchema, location="query")
@blp.response(200, DirectoryServicePageSchema)
def search_services(args):
    """Search the directory by name or description (q), category, flag, language (ISO 639-1),
    place (a service area, or a location's city or region; case and accents ignored) and stale;
    by name. Partners see active services only, and never a confidential location."""
    rows, total = directory.search(db.session, current_user(), **args)
    page = {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"],
            "pages": math.ceil(total / args["per_page"]) if total else 0}
    return with_total(page)


@blp.post("/directory/services", permission="directory:manage")
@blp.arguments(DirectoryServiceCreateSchema)
@blp.response(201, DirectoryServiceSchema)
@blp.alt_response(422, description="Invalid fields, an unknown provider or a location of "
                                    "another provider.")
def create_service(data):
    """Add a service (admins and supervisors); it counts as confirmed today."""
    service = directory_admin.create_service(db.session, current_user(), data)
    return _described(service), _etag(service)


@blp.get("/directory/services/<id:service_id>", permission="directory:read")
@blp.response(200, DirectoryServiceSchema)
@blp.alt_response(404, description="No such service (for a partner: none that is active).")
def read_service(service_id: int):
    """One service with its opening hours, the locations you may see, languages, areas, flags
    and whether it is stale."""
    found = directory.read_service(db.session, current_user(), service_id)
    return found, _etag(found["service"])


@blp.patch("/directory/services/<id:service_id>", permission="directory:manage")
@blp.arguments(DirectoryServiceUpdateSchema)
@blp.response(200, DirectoryServiceSchema)
@blp.alt_response(404, description="No such service.")
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
@blp.alt_response(422, description="Invalid fields, or a location of another provider.")
@blp.alt_response(428, description=_NEED_VERSION)
def update_service(data, service_id: int):
    """Change a service at the version you read (admins and supervisors). The lists you send
    (languages, areas, location_ids, schedules) replace the service's; status inactive takes
    it out of search."""
    expected = precondition(data)
    service = directory_admin.update_service(db.session, current_user(), service_id, data,
                                       expected=expected)
    return _described(service), _etag(service)


@blp.post("/directory/services/<id:service_id>/confirm", permission="directory:manage")
@blp.arguments(ConfirmSchema)
@blp.response(200, DirectoryServiceSchema)
@blp.alt_response(404, description="No such service.")
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
def confirm_service(data, service_id: int):
    """The entry is still correct: confirmed today by you, no longer stale (admins and
    supervisors). The version is optional."""
    expected = precondition(data, required=False)
    service = directory_admin.confirm_service(db.session, current_user(), service_id,
                                        expected=expected)
    return _described(service), _etag(service)


@blp.get("/directory/locations", permission="directory:read")
@blp.arguments(DirectoryLocationQuerySchema, location="query")
@blp.response(200, DirectoryLocationSchema(many=True))
def list_locations(args):
    """Locations by name (?provider_id= keeps one provider's); partners never see a
    confidential one."""
    return directory_admin.list_locations(db.session, current_user(), **args)


@blp.post("/directory/locations", permission="directory:manage")
@blp.arguments(DirectoryLocationCreateSchema)
@blp.response(201, DirectoryLocationSchema)
@blp.alt_response(422, description="Invalid fields or an unknown provider.")
def create_location(data):
    """Add a location of a provider (admins and supervisors)."""
    loc = directory_admin.create_location(db.session, current_user(), data)
    return loc, _etag(loc)


@blp.patch("/directory/locations/<id:location_id>", permission="directory:manage")
@blp.arguments(DirectoryLocationUpdateSchema)
@blp.response(200, DirectoryLocationSchema)
@blp.alt_response(404, description="No such location.")
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def update_location(data, location_id: int):
    """Change a location at the version you read (admins and supervisors)."""
    expected = precondition(data)
    loc = directory_admin.update_location(db.session, current_user(), location_id, data,
                                    expected=expected)
    return loc, _etag(loc)


@blp.get("/directory/export", permission="directory:read")
@blp.response(200, hsds.HsdsServiceSchema(many=True))
def export_services():
    """Every active service as Open Referral HSDS 3.0 JSON: an array of `service` objects with
    their organization, service_at_locations (location, address), schedules, languages,
    service_areas, cost_options and required_documents. Confidential locations for staff only."""
    return hsds.export(db.session, current_user())
