"""Offices, employers and service providers: load through a schema, call one service, dump."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.organisations import office_calendar, services
from journey.organisations.office_calendar import (
    HolidayCreateSchema,
    HolidaySchema,
    OfficeCalendarSchema,
    WorkingDaysSchema,
)
from journey.organisations.schemas import (
    EmployerSchema,
    EmployerUpdateSchema,
    OfficeSchema,
    OfficeUpdateSchema,
    ServiceProviderSchema,
    ServiceProviderUpdateSchema,
)

blp = Blueprint("organisations", __name__, url_prefix="",
                description="Offices, employers and service providers.")


@blp.get("/offices", permission="offices:read")
@blp.response(200, OfficeSchema(many=True))
def list_offices():
    """Migrant resource centres."""
    return services.list_offices(db.session, current_user())


@blp.post("/offices", permission="offices:manage")
@blp.arguments(OfficeSchema)
@blp.response(201, OfficeSchema)
@blp.alt_response(409, description="The code is taken; existing_id names the office.")
def create_office(data):
    """Open an office (admins)."""
    return services.create_office(db.session, current_user(), data)


def _etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


_STALE = "The version you sent is stale (409 for the body's version, 412 for If-Match)."
_NEED_VERSION = "Send the version you read, in If-Match or the body."


@blp.patch("/offices/<id:office_id>", permission="offices:manage")
@blp.arguments(OfficeUpdateSchema)
@blp.response(200, OfficeSchema)
@blp.alt_response(404, description="No such office.")
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def update_office(data, office_id: int):
    """Change an office's name, country or time zone, at the version you read (admins)."""
    expected = precondition(data)
    office = services.update_office(db.session, current_user(), office_id, data,
                                    expected=expected)
    return office, _etag(office)


@blp.get("/employers", permission="organisations:read")
@blp.response(200, EmployerSchema(many=True))
def list_employers():
    """Employers taking part in programmes."""
    return services.list_employers(db.session, current_user())


@blp.post("/employers", permission="organisations:manage")
@blp.arguments(EmployerSchema)
@blp.response(201, EmployerSchema)
@blp.alt_response(409, description="The name is taken (ignoring case, width and spacing); "
                                    "existing_id names the employer.")
def create_employer(data):
    """Add an employer (admins)."""
    return services.create_employer(db.session, current_user(), data)


@blp.patch("/employers/<id:employer_id>", permission="organisations:manage")
@blp.arguments(EmployerUpdateSchema)
@blp.response(200, EmployerSchema)
@blp.alt_response(404, description="No such employer.")
@blp.alt_response(409, description="The version you sent is stale, or the name is taken "
                                    "(existing_id names the employer).")
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def update_employer(data, employer_id: int):
    """Change an employer, at the version you read (admins)."""
    expected = precondition(data)
    employer = services.update_employer(db.session, current_user(), employer_id, data,
                                        expected=expected)
    return employer, _etag(employer)


@blp.get("/service-providers", permission="organisations:read")
@blp.response(200, ServiceProviderSchema(many=True))
def list_providers():
    """Partner agencies that receive referrals."""
    return services.list_providers(db.session, current_user())


@blp.post("/service-providers", permission="organisations:manage")
@blp.arguments(ServiceProviderSchema)
@blp.response(201, ServiceProviderSchema)
@blp.alt_response(409, description="The name is taken (ignoring case, width and spacing); "
                                    "existing_id names the provider.")
def create_provider(data):
    """Add a service provider (admins)."""
    return services.create_provider(db.session, current_user(), data)


@blp.patch("/service-providers/<id:provider_id>", permission="organisations:manage")
@blp.arguments(ServiceProviderUpdateSchema)
@blp.response(200, ServiceProviderSchema)
@blp.alt_response(404, description="No such service provider.")
@blp.alt_response(409, description="The version you sent is stale, or the name is taken "
                                    "(existing_id names the provider).")
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def update_provider(data, provider_id: int):
    """Change a service provider, at the version you read (admins)."""
    expected = precondition(data)
    provider = services.update_provider(db.session, current_user(), provider_id, data,
                                        expected=expected)
    return provider, _etag(provider)


# --- an office's calendar: working days and public holidays (grievance deadlines count them) ---

@blp.get("/offices/<id:office_id>/working-days", permission="offices:read")
@blp.response(200, OfficeCalendarSchema)
def get_office_calendar(office_id: int):
    """The office's working week and its public holidays."""
    found = office_calendar.calendar(db.session, current_user(), office_id)
    return found, _etag(found["office"])


@blp.put("/offices/<id:office_id>/working-days", permission="offices:manage")
@blp.arguments(WorkingDaysSchema)
@blp.response(200, OfficeCalendarSchema)
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
@blp.alt_response(428, description=_NEED_VERSION)
def set_working_days(data, office_id: int):
    """Set the office's working week, at the office version you read (admins). Deadlines of
    grievances received from now on count these days."""
    expected = precondition(data)
    found = office_calendar.set_working_days(db.session, current_user(), office_id,
                                             data["working_days"], expected=expected)
    return found, _etag(found["office"])


@blp.get("/offices/<id:office_id>/holidays", permission="offices:read")
@blp.response(200, HolidaySchema(many=True))
def list_holidays(office_id: int):
    """The office's public holidays and closure days, in date order."""
    return office_calendar.calendar(db.session, current_user(), office_id)["holidays"]


@blp.post("/offices/<id:office_id>/holidays", permission="offices:manage")
@blp.arguments(HolidayCreateSchema)
@blp.response(201, HolidaySchema)
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
def add_holiday(data, office_id: int):
    """Add a public holiday (one per date; the version is optional) (admins)."""
    expected = precondition(data, required=False)
    return office_calendar.add_holiday(db.session, current_user(), office_id, data,
                                       expected=expected)


@blp.delete("/offices/<id:office_id>/holidays/<id:holiday_id>", permission="offices:manage")
@blp.response(204)
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description=_STALE)
def remove_holiday(office_id: int, holiday_id: int):
    """Remove a public holiday (If-Match optional) (admins)."""
    office_calendar.remove_holiday(db.session, current_user(), office_id, holiday_id,
                                   expected=precondition(required=False))
