"""Employers (issue #15): tables, permissions, personal data, pages and jobs.

Employer users hold the employer rows of this table and nothing of grievances: they see their own
vacancies, the candidates presented to them (only what journey.passports.disclosure allows), their
placements and the onboarding steps waiting for them (journey.employers.access).
"""

from flask import Flask

from journey.consent.models import Purpose
from journey.consent.services import on_withdrawal
from journey.core.domains import Category, Domain, Job, Keyword, NavLink, PersonalData, TimelineKind
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.employers import candidates, retention
from journey.employers import notify as onboarding_notify
from journey.employers import sms as onboarding_sms
from journey.employers.models import (
    Candidacy,
    CandidacyStep,
    EmployerContact,
    EmployerPaysCommitment,
    OnboardingLink,
    OnboardingStep,
    Placement,
    Recruiter,
    RetentionCheck,
    Vacancy,
)
from journey.employers.placement_pages import bp as placement_pages_bp
from journey.employers.placement_pages import placement_section
from journey.employers.placement_routes import blp as placement_blp
from journey.employers.portal import bp as portal_bp
from journey.employers.registry_pages import bp as registry_pages_bp
from journey.employers.registry_routes import blp as registry_blp
from journey.employers.routes import blp as vacancies_blp
from journey.employers.staff_pages import bp as staff_pages_bp
from journey.employers.staff_pages import candidacies_section

_EMPLOYER = frozenset({Role.EMPLOYER})
_STAFF_AND_EMPLOYER = STAFF | _EMPLOYER
_ADMINS = frozenset({Role.ADMIN})
_SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})

# What each helper module adds to the domain (jobs, keywords, templates, sections, nav links) is
# collected here, one tuple per module, so adding one is one line.
_JOBS: tuple = (
    Job("retention_reminders", retention.remind_job, retention.REMIND_SECONDS),  # onboarding
)
_KEYWORDS: tuple = (
    # CONTEST (and its words in every shipped language) contests the latest confirmed step.
    Keyword(onboarding_sms.ACTION, onboarding_sms.WORDS, onboarding_sms.handle, takes_text=True),
)
_TEMPLATES: tuple = (
    *onboarding_notify.TEMPLATES,  # onboarding: step confirmed, signed link, retention due
)
_SECTIONS: tuple = (
    candidacies_section,  # selection: the person's candidacies, "present to a vacancy"
    placement_section,  # onboarding: the active placement and its steps
)
# An arrival (the continuum's stage_entered into arrival) opens the retention checks.
_TIMELINE_HANDLERS: tuple = (retention.on_entry,)
_NAV: tuple = (
    NavLink("vacancy_pages.vacancies_list", _l("Vacancies"), "candidates:present", 30),
    NavLink("employer_registry_pages.employers", _l("Employers"), "employers:read", 45),
    NavLink("employer_registry_pages.recruiters_list", _l("Recruiters"), "recruiters:read", 46),
    NavLink("placement_pages.placements", _l("Placements"), "placements:manage", 47),  # onboarding
    # The employer's own pages (journey.employers.portal); their home is the brand link.
    NavLink("employer_portal.vacancies", _l("Vacancies"), "employers:own", 10),
    NavLink("employer_portal.onboarding", _l("Onboarding"), "employers:own", 12),
    NavLink("employer_portal.placements", _l("Placements"), "employers:own", 14),
    NavLink("employer_portal.employer_pays", _l("Employer Pays"), "employers:own", 16),
)


def _init_app(app: Flask) -> None:
    # Withdrawing consent to share with employers withdraws the person's active candidacies.
    on_withdrawal(app, Purpose.SHARE_EMPLOYERS, candidates.withdraw_on_consent)


DOMAIN = Domain(
    name="employers",
    models=(EmployerContact, EmployerPaysCommitment, Recruiter, Vacancy, Candidacy,
            CandidacyStep, Placement, OnboardingStep, OnboardingLink, RetentionCheck),
    api_blueprints=(registry_blp, vacancies_blp, placement_blp),
    # Staff pages (registry, vacancies, placements), the employer's own pages, and the signed
    # onboarding link (no login) on placement_pages.
    page_blueprints=(registry_pages_bp, staff_pages_bp, placement_pages_bp, portal_bp),
    permissions={
        # Employer records, their contact people and Employer Pays commitments.
        "employers:read": STAFF,
        "employers:manage": _ADMINS,
        "employers:verify": _ADMINS,
        # An employer user's own employer: its record, its pages.
        "employers:own": _EMPLOYER,
        "recruiters:read": STAFF,
        "recruiters:manage": _SUPERVISORS,
        "vacancies:read": _STAFF_AND_EMPLOYER,
        # Employers draft their vacancies (staff may draft for them); staff publish.
        "vacancies:draft": _STAFF_AND_EMPLOYER,
        "vacancies:publish": STAFF,
        "candidates:present": STAFF,
        "candidates:read": _STAFF_AND_EMPLOYER,
        # The employer decides; staff may record a decision an employer without an account gave.
        "candidates:decide": _STAFF_AND_EMPLOYER,
        "placements:read": _STAFF_AND_EMPLOYER,
        "placements:manage": STAFF,
        "onboarding:confirm": _STAFF_AND_EMPLOYER,
        "onboarding:send_link": STAFF,
        "onboarding:contest": STAFF,
        "retention:record": _STAFF_AND_EMPLOYER,
    },
    jobs=_JOBS,
    keywords=_KEYWORDS,
    templates=_TEMPLATES,
    record_sections=_SECTIONS,
    timeline_handlers=_TIMELINE_HANDLERS,
    nav_links=_NAV,
    # The selection's steps (journey.employers.candidates.timeline_entries), from their table.
    timeline_kinds=(TimelineKind("candidacy_presented", _l("Presented to an employer")),
                    TimelineKind("candidacy_shortlisted", _l("Shortlisted by an employer")),
                    TimelineKind("candidacy_interviewed", _l("Interviewed by an employer")),
                    TimelineKind("candidacy_selected", _l("Selected by an employer")),
                    TimelineKind("candidacy_rejected", _l("Not selected by an employer")),
                    TimelineKind("candidacy_withdrawn", _l("Candidacy withdrawn"))),
    timeline_providers=(candidates.timeline_entries,),
    init_app=_init_app,
    personal_data=(
        PersonalData("candidacies", (Category.CASE,), ("participant_id",),
                     note="which vacancy a participant was presented to, and where the "
                          "employer's selection stands",
                     read=("candidates:read",), recipients=("employer",),
                     legal_basis="consent"),
        PersonalData("candidacy_steps", (Category.CASE,),
                     ("candidacy_id", "candidacies.participant_id"),
                     note="each selection step with its reason; the note is encrypted",
                     read=("candidates:read",), recipients=("employer",),
                     legal_basis="consent", erase_columns=("note",)),
        PersonalData("placements", (Category.CASE,), ("participant_id",),
                     note="employer, vacancy, recruiter and contract dates",
                     read=("placements:read",), recipients=("employer",),
                     legal_basis="contract"),
        PersonalData("onboarding_steps", (Category.CASE,),
                     ("placement_id", "placements.participant_id"),
                     note="what the employer confirmed, and contests; the note is encrypted",
                     read=("placements:read",), recipients=("employer",),
                     legal_basis="contract", erase_columns=("note",)),
        PersonalData("retention_checks", (Category.CASE,),
                     ("placement_id", "placements.participant_id"),
                     note="whether the worker stayed 3, 6 and 12 months",
                     read=("placements:read",), recipients=("employer",),
                     legal_basis="contract"),
        PersonalData("employer_contacts", (Category.IDENTITY, Category.CONTACT),
                     ("employer_id",), subject="staff",
                     note="employers' contact people: name, role, email, phone",
                     read=("employers:read",), legal_basis="contract"),
        PersonalData("employer_pays_commitments", (Category.IDENTITY,), ("employer_id",),
                     subject="staff", note="who signed the commitment for the employer",
                     read=("employers:read",), legal_basis="contract"),
    ),
)
