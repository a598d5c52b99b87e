"""The data subject's rights: export, erasure, retention and the register of processing."""

from journey.core.domains import Category, Domain, Job, NavLink, PersonalData
from journey.core.i18n import _l
from journey.core.policy import Role
from journey.privacy import holds
from journey.privacy.cli import privacy_group
from journey.privacy.erasure_cli import erase_command, retention_command
from journey.privacy.erasure_pages import bp as erasure_pages_bp
from journey.privacy.erasure_routes import blp as erasure_blp
from journey.privacy.pages import bp as pages_bp
from journey.privacy.retention import retention_job
from journey.privacy.routes import blp

SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})

privacy_group.add_command(erase_command)
privacy_group.add_command(retention_command)

DOMAIN = Domain(
    name="privacy",
    nav_links=(NavLink("privacy_pages.processing_register", _l("Register of processing"),
                       "privacy:register", 95),),
    api_blueprints=(blp, erasure_blp),
    page_blueprints=(pages_bp, erasure_pages_bp),
    models=(holds.LegalHold,),
    commands=(privacy_group,),
    permissions={
        # The export holds the audit trail and sensitive fields, which caseworkers cannot read.
        "privacy:export": SUPERVISORS,
        "privacy:register": SUPERVISORS,
        # Erasure cannot be undone; a legal hold blocks it: both for an office's leads.
        "privacy:erase": SUPERVISORS,
        "privacy:hold": SUPERVISORS,
    },
    jobs=(Job("privacy_retention", retention_job, 86400),),
    erasure_vetoes=(holds.hold_veto,),
    personal_data=(
        PersonalData("legal_holds", (Category.CASE,), ("participant_id",), note="reason codes only"),
    ),
)
