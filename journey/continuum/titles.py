"""How the continuum's stored codes read on the staff pages (checklist statuses, permits)."""

from __future__ import annotations

from journey.core.i18n import _l
from journey.core.i18n import code_title as title  # noqa: F401  (the pages' name for it)

ITEM_STATUS_TITLES = {
    "pending": _l("To do"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "not_applicable": _l("Not applicable"),
    "blocked": _l("Blocked"),
}
PERMIT_TYPE_TITLES = {
    "work_visa": _l("Work visa"),
    "work_permit": _l("Work permit"),
    "residence_permit": _l("Residence permit"),
    "job_search_visa": _l("Job-search visa"),
    "seasonal_work_visa": _l("Seasonal work visa"),
    "training_visa": _l("Training visa"),
    "other": _l("Other"),
}
PERMIT_STATUS_TITLES = {
    "planned": _l("Planned"),
    "applied": _l("Applied for"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
    "issued": _l("Issued"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
# The fields a transition may require, as the move form labels them.
FIELD_TITLES = {
    "reason": _l("Reason"),
    "employer_id": _l("Employer"),
    "arrival_date": _l("Arrival date"),
    "return_date": _l("Return date"),
    "destination_country": _l("Destination country (two-letter code, e.g. PT)"),
}


def choices(titles: dict) -> list[tuple[str, str]]:
    return [(code, str(t)) for code, t in titles.items()]
