"""Referrals (issue #16): the service directory and closed-loop referrals, as a domain.

Partner users (role partner, pointing at a service provider) see the referrals sent to their
provider and only the fields shared with them (journey.referrals.access, .disclosure). Staff make
referrals from a participant's record or a grievance; admins and supervisors keep the directory.
"""

from flask import Flask

from journey.consent.models import Purpose
from journey.consent.services import on_withdrawal
from journey.core.domains import Category, Domain, Job, NavLink, PersonalData, TimelineKind
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.referrals import notify, partner_notify, scan, services
from journey.referrals.cli import directory_group
from journey.referrals.directory_pages import bp as directory_pages_bp
from journey.referrals.directory_routes import blp as directory_blp
from journey.referrals.link_pages import bp as link_pages_bp
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    Referral,
    ReferralEvent,
    ReferralLink,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceSchedule,
)
from journey.referrals.pages import bp as pages_bp
from journey.referrals.pages import grievance_panel, referrals_section
from journey.referrals.partner_pages import bp as partner_pages_bp
from journey.referrals.report_pages import bp as report_pages_bp
from journey.referrals.report_routes import blp as report_blp
from journey.referrals.routes import blp as referrals_blp
from journey.referrals.states import EVENT_TITLES, ReferralEventKind

_PARTNER = frozenset({Role.PARTNER})
_STAFF_AND_PARTNER = STAFF | _PARTNER
_SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})

# What each helper module adds to the domain, one tuple per kind, so adding one is one line.
_JOBS: tuple = (
    Job("referral_deadline_scan", scan.scan_job, scan.SCAN_SECONDS),  # deadlines
)
_TEMPLATES: tuple = (
    *notify.TEMPLATES,  # deadlines: the migrant's notice, the caseworker's emails
    *partner_notify.TEMPLATES,  # partner: new referral, reminder, outcome link
)
_SECTIONS: tuple = (
    referrals_section,  # staff
)
_NAV: tuple = (
    NavLink("directory_pages.services", _l("Directory"), "directory:read", 35),  # directory
    # staff: referrals:create, so partners (who read referrals on their own pages) do not see it
    NavLink("referral_pages.referrals", _l("Referrals"), "referrals:create", 42),
    # The partner's own pages.
    NavLink("partner_portal.home", _l("Overview"), "partners:own", 10),
    NavLink("partner_portal.referrals", _l("Our referrals"), "partners:own", 12),
    NavLink("referral_report_pages.report", _l("Referral figures"), "referrals:report", 44),
)
_KEYWORDS: tuple = ()


def _init_app(app: Flask) -> None:
    # Withdrawing consent to share with service providers withdraws the open referrals.
    on_withdrawal(app, Purpose.SHARE_PROVIDERS, services.withdraw_on_consent)
    # The grievance page lists the referrals made from it (journey.grievances.pages._panels).
    app.extensions.setdefault("grievance_panels", []).append(
        ("referrals/staff/_grievance_panel.html", grievance_panel))


DOMAIN = Domain(
    name="referrals",
    models=(DirectoryService, DirectoryLocation, ServiceAtLocation, ServiceLanguage, ServiceArea,
            ServiceSchedule, Referral, ReferralEvent, ReferralLink),
    api_blueprints=(directory_blp, referrals_blp, report_blp),
    page_blueprints=(directory_pages_bp, pages_bp, partner_pages_bp, link_pages_bp,
                     report_pages_bp),
    commands=(directory_group,),
    permissions={
        # The directory: staff and partners search it (partners never see a confidential
        # location); admins and supervisors keep it.
        "directory:read": _STAFF_AND_PARTNER,
        "directory:manage": _SUPERVISORS,
        "referrals:read": _STAFF_AND_PARTNER,
        # Draft a referral and change a draft.
        "referrals:create": STAFF,
        # Send a referral, or withdraw it.
        "referrals:send": STAFF,
        # The partner's steps: accept, decline, progress, outcome. Staff may record what a
        # partner without an account told them by phone.
        "referrals:respond": _STAFF_AND_PARTNER,
        # Email a partner without an account a signed link.
        "referrals:link": STAFF,
        # Closed-loop figures.
        "referrals:report": STAFF,
        # A partner user's own pages.
        "partners:own": _PARTNER,
    },
    jobs=_JOBS,
    keywords=_KEYWORDS,
    templates=_TEMPLATES,
    record_sections=_SECTIONS,
    nav_links=_NAV,
    timeline_kinds=tuple(TimelineKind(f"referral_{k.value}", EVENT_TITLES[k])
                         for k in ReferralEventKind if k != ReferralEventKind.REMINDED),
    timeline_providers=(services.timeline_entries,),
    init_app=_init_app,
    personal_data=(
        PersonalData("referrals", (Category.CASE,), ("participant_id",),
                     note="to which service a participant was referred, why (encrypted), which "
                          "fields were shared, and the outcome",
                     read=("referrals:read",), recipients=("partner",),
                     legal_basis="consent", erase_columns=("reason",)),
        PersonalData("referral_events", (Category.CASE,),
                     ("referral_id", "referrals.participant_id"),
                     note="each step of a referral with its reason; the note is encrypted",
                     read=("referrals:read",), recipients=("partner",),
                     legal_basis="consent", erase_columns=("note",)),
        PersonalData("referral_links", (Category.CASE,),
                     ("referral_id", "referrals.participant_id"),
                     note="signed links emailed to a partner about a referral: to which "
                          "address, when, whether used",
                     read=("referrals:read",), recipients=("partner",),
                     legal_basis="consent"),
    ),
)
