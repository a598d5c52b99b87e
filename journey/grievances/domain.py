"""Grievances (issue #14): tables, permissions, timeline kinds, personal data, the erasure veto.

Employer and partner users hold none of these permissions: no grievance, and nothing naming a
complainant, ever reaches them (journey.grievances.access).
"""

import sqlalchemy as sa

from journey.core.domains import (
    Category,
    Domain,
    Job,
    Keyword,
    NavLink,
    PersonalData,
    TimelineKind,
)
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.grievances import cost_breaches, notify, sla, sms, triage_pages  # noqa: F401  (its pages on pages_bp)
from journey.grievances.email_intake import bp as email_bp
from journey.grievances.glass import BREAK_GLASS
from journey.grievances.glass_pages import bp as glass_pages_bp
from journey.grievances.glass_routes import blp as glass_blp
from journey.grievances.models import (
    DONE_STATES,
    AccessGrant,
    Escalation,
    FocalPoint,
    Grievance,
    GrievanceEntry,
)
from journey.grievances.page_forms import grievances_section
from journey.grievances.pages import bp as pages_bp
from journey.grievances.public import bp as public_bp
from journey.grievances.routes import blp
from journey.grievances.services import TimelineKind as Kind

_SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})


def _open_grievance(sess, participant):
    """Erasure waits while a grievance of the person is open (it may still need the record)."""
    still_open = sess.scalar(sa.select(sa.exists().where(
        Grievance.participant_id == participant.id,
        Grievance.state.not_in([s.value for s in DONE_STATES]))))
    return "open-grievance" if still_open else None


def _entries_of(participant):
    t = GrievanceEntry.__table__
    return t.c.grievance_id.in_(sa.select(Grievance.id).where(
        Grievance.participant_id == participant.id))


DOMAIN = Domain(
    name="grievances",
    models=(Grievance, GrievanceEntry, FocalPoint, AccessGrant, Escalation),
    # The grievances; confidentiality (focal points, break-the-glass) and the patterns.
    api_blueprints=(blp, glass_blp),
    # The email webhook, the anonymous complaint form and the tracking-code status page (no
    # login), and the staff pages.
    page_blueprints=(pages_bp, glass_pages_bp, email_bp, public_bp),
    # Complaint patterns and focal points are linked from the grievances list.
    nav_links=(NavLink("grievance_pages.grievances", _l("Grievances"), "grievances:read", 40),),
    permissions={
        "grievances:read": STAFF,
        "grievances:create": STAFF,
        "grievances:manage": STAFF,
        # Opening a restricted grievance one is not a focal point or assignee of.
        "grievances:break_glass": _SUPERVISORS,
        # Naming an office's focal points; counts by employer and recruiter for reports.
        "grievances:focal_points": _SUPERVISORS,
        "grievances:report": _SUPERVISORS,
    },
    timeline_kinds=(TimelineKind(Kind.LOGGED, _l("Grievance logged")),
                    TimelineKind(Kind.RESOLVED, _l("Grievance resolved"))),
    erasure_vetoes=(_open_grievance,),
    # COMPLAINT (and its words in every shipped language) opens a grievance by SMS.
    keywords=(Keyword(sms.ACTION, sms.WORDS, sms.handle, takes_text=True),),
    # The SLA scan: marks every open grievance and escalates each breach once (sla.py).
    jobs=(Job("grievance_sla_scan", sla.scan_job, sla.SCAN_SECONDS),),
    # The resolution with how to appeal; staff emails of a break-the-glass and an escalation
    # (reference, deadline and link only).
    templates=(notify.RESOLVED_TEMPLATE, BREAK_GLASS, *sla.TEMPLATES.values()),
    record_sections=(grievances_section,),
    personal_data=(
        PersonalData("grievances", (Category.CASE, Category.SENSITIVE, Category.CONTACT),
                     ("participant_id",),
                     note="description, outcome wanted, whom it is against, resolution and a "
                          "non-participant's contact are encrypted; restricted ones are masked "
                          "for all but focal points and the assignee",
                     read=("grievances:read",), legal_basis="legal_obligation",
                     erase_columns=("contact_phone", "contact_email", "against_name",
                                    "description", "desired_outcome", "resolution_summary"),
                     retain_from="closed_at"),
        PersonalData("grievance_entries", (Category.CASE, Category.SENSITIVE),
                     ("grievance_id", "grievances.participant_id"),
                     note="notes and public replies, encrypted", where=_entries_of,
                     read=("grievances:read",), legal_basis="legal_obligation",
                     erase_columns=("body",)),
        PersonalData("grievance_access_grants", (Category.CASE,),
                     ("grievance_id", "grievances.participant_id"), subject="staff",
                     note="who broke the glass on which grievance, and why (encrypted)",
                     read=("grievances:break_glass",), legal_basis="legal_obligation"),
        PersonalData("grievance_focal_points", (Category.IDENTITY,), ("user_id",),
                     subject="staff", read=("grievances:read",), legal_basis="contract"),
        PersonalData("grievance_escalations", (Category.CASE,), ("user_id",), subject="staff",
                     note="which breach was brought to which staff member", read=("grievances:read",),
                     legal_basis="legal_obligation"),
    ),
    # The cost ledger opens grievances of Employer Pays breaches through this desk.
    init_app=cost_breaches.init_app,
)
