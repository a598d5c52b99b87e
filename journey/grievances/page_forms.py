"""What the grievance pages show beside their forms: the choices of each select, titles, dates in
the office's own calendar, and the rows of a list or a record section (journey.grievances.pages
holds the routes).

Nothing here decides who sees what: lists come from journey.grievances.queries (masked rows
already blanked), single records from queries.read, and the forms go through the same schemas
and services as the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.domains import Section
from journey.core.i18n import _l, code_title, language_choices
from journey.core.policy import OFFICE_ROLES, Role, allowed
from journey.grievances import against, queries
from journey.grievances.models import (
    AGAINST_TITLES,
    CATEGORY_TITLES,
    CHANNEL_TITLES,
    CONFIDENTIALITY_TITLES,
    DECISION_TITLES,
    RESTRICTED_BY_DEFAULT,
    SEVERITY_TITLES,
    SLA_TITLES,
    STATE_TITLES,
)
from journey.grievances.states import TRANSITIONS_BY_EVENT
from journey.organisations.models import Employer, Office
from journey.participants.assignment import assignable_users

PAGE_SIZE = 25
# The intake form's fields, as GrievanceCreateSchema names them.
INTAKE_FIELDS = ("category", "severity", "confidentiality", "against_kind", "against_employer_id",
                 "against_recruiter_id", "against_name", "description", "desired_outcome",
                 "assignee_id", "language",
                 "contact_phone", "contact_email", "office_id")
INTAKE_INTS = ("against_employer_id", "against_recruiter_id", "assignee_id", "office_id")
INTAKE_NULLABLE = ("confidentiality", "against_kind", "against_employer_id",
                   "against_recruiter_id", "against_name",
                   "desired_outcome", "assignee_id", "language", "contact_phone",
                   "contact_email", "office_id")
STEP_FIELDS = ("note", "decision", "resolution_summary", "pause_clock", "version", "state")
# The entries of a grievance's history, in words.
ENTRY_TITLES = {
    "note": _l("Internal note"),
    "public_reply": _l("Public reply (sent to the complainant)"),
    "assigned": _l("Assignment changed"),
    "clock_paused": _l("Resolution clock paused"),
    "clock_resumed": _l("Resolution clock started again"),
    "escalated": _l("Escalated (deadline breached)"),
    "break_glass": _l("Opened with a reason (break the glass)"),
}
TITLES = {"category": CATEGORY_TITLES, "severity": SEVERITY_TITLES, "state": STATE_TITLES,
          "confidentiality": CONFIDENTIALITY_TITLES, "channel": CHANNEL_TITLES,
          "against_kind": AGAINST_TITLES, "decision": DECISION_TITLES, "sla_status": SLA_TITLES}


def title(kind: str, code: str | None) -> str:
    """A stored code's title in the reader's language (``title('state', 'in_review')``)."""
    return code_title(TITLES[kind], code)


def event_title(event: str | None) -> str:
    if event == "receive":
        return _("Received")
    t = TRANSITIONS_BY_EVENT.get(event or "")
    return str(t.title) if t else (event or "")


def choices(kind: str) -> list[tuple[str, str]]:
    return [(code.value, str(text)) for code, text in TITLES[kind].items()]


def employer_choices(sess: Session) -> list[tuple[int, str]]:
    return [tuple(row) for row in sess.execute(
        sa.select(Employer.id, Employer.name).order_by(Employer.name, Employer.id))]


def office_choices(sess: Session) -> list[tuple[int, str]]:
    return [tuple(row) for row in sess.execute(
        sa.select(Office.id, Office.name).order_by(Office.name, Office.id))]


def staff_choices(sess: Session, user: User, office_id: int | None = None
                  ) -> list[tuple[int, str]]:
    """Whom a grievance may be given to: the caseworkers and supervisors of its office (an
    admin, who has no office, picks among every office's, each named with its office)."""
    office_id = office_id or user.office_id
    if office_id is not None:
        return [(u.id, u.full_name) for u in assignable_users(sess, office_id)]
    offices = dict(office_choices(sess))
    rows = sess.execute(sa.select(User.id, User.full_name, User.office_id).where(
        User.is_active.is_(True), User.office_id.is_not(None),
        User.role.in_([r.value for r in OFFICE_ROLES])).order_by(User.full_name, User.id))
    return [(uid, f"{name} ({offices.get(oid, '')})") for uid, name, oid in rows]


def may_choose_office(user: User) -> bool:
    return Role(user.role) not in OFFICE_ROLES


def intake_context(sess: Session, user: User) -> dict[str, Any]:
    """The intake form's choices and what its defaults mean."""
    restricted = ", ".join(title("category", c.value) for c in sorted(RESTRICTED_BY_DEFAULT))
    return {
        "categories": choices("category"), "severities": choices("severity"),
        "confidentialities": choices("confidentiality"), "against_kinds": choices("against_kind"),
        "employers": employer_choices(sess), "recruiters": against.recruiter_choices(sess),
        "staff": staff_choices(sess, user),
        "languages": language_choices(),
        "offices": office_choices(sess) if may_choose_office(user) else [],
        "confidentiality_hint": _(
            "If you leave it empty: restricted for %(categories)s, standard for everything "
            "else. Restricted: only the office's focal points and the assignee see who "
            "complained and what they said.", categories=restricted),
    }


def intake_defaults(user: User, participant: Any = None) -> dict[str, Any]:
    """A new form: medium severity, and given to the person logging it when they may hold it
    (a restricted grievance is hidden from its own author otherwise)."""
    return {"severity": "medium",
            "assignee_id": user.id if Role(user.role) in OFFICE_ROLES else "",
            "language": participant.language if participant is not None else ""}


# -- dates in the office's calendar ------------------------------------------------------------

def office_zones(sess: Session, office_ids: set[int]) -> dict[int, str]:
    if not office_ids:
        return {}
    return dict(sess.execute(sa.select(Office.id, Office.timezone)
                             .where(Office.id.in_(sorted(office_ids)))).all())


def local_date(moment: datetime | None, zone: str | None) -> date | None:
    """The day a moment falls on in the office's time zone (a deadline is the office's day)."""
    if moment is None:
        return None
    try:
        return moment.astimezone(ZoneInfo(zone or "UTC")).date()
    except (KeyError, ValueError):
        return moment.date()


# -- lists and the record section --------------------------------------------------------------

def names(sess: Session, model: Any, ids: set[int], column: str = "name") -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(sess.execute(sa.select(model.id, getattr(model, column))
                             .where(model.id.in_(sorted(ids)))).all())


def list_rows(sess: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's rows, with titles, the office's local deadlines and whom it is against."""
    zones = office_zones(sess, {i["office_id"] for i in items})
    employers = names(sess, Employer, {i["against_employer_id"] for i in items})
    recruiters = against.recruiter_names(sess, {i["against_recruiter_id"] for i in items})
    assignees = names(sess, User, {i["assignee_id"] for i in items}, "full_name")
    rows = []
    for item in items:
        zone = zones.get(item["office_id"])
        against_whom = ""
        if not item["masked"] and item["against_kind"]:
            against_whom = (employers.get(item["against_employer_id"])
                            or recruiters.get(item["against_recruiter_id"])
                            or title("against_kind", item["against_kind"]))
        rows.append({**item, "against": against_whom, "assignee": assignees.get(item["assignee_id"]),
                     "ack_due": local_date(item["ack_due_at"], zone),
                     "resolve_due": local_date(item["resolve_due_at"], zone),
                     "received": local_date(item["received_at"], zone)})
    return rows


def grievances_section(sess: Session, user: User, participant: Any) -> Section | None:
    """The record page's "Grievances": this person's grievances the user sees in full."""
    if not allowed(user, "grievances:read"):
        return None
    found = queries.listing(sess, user, participant_id=participant.id, limit=PAGE_SIZE)
    return Section("grievances", _l("Grievances"), "grievances/_section.html",
                   {"rows": list_rows(sess, found["items"]), "total": found["total"],
                    "can_create": allowed(user, "grievances:create"), "title": title},
                   order=70)
