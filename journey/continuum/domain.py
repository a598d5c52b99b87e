"""The migration continuum: stages, checklists, permits, and their timeline entries."""

from flask_babel import lazy_gettext as _l

from journey.continuum.cli import continuum_group, scan_job
from journey.continuum.models import ChecklistItem, EventKind, Permit
from journey.continuum.routes import blp
from journey.core.domains import Category, Domain, Job, PersonalData, TimelineKind
from journey.core.policy import STAFF, Role

_TITLES = {
    EventKind.STAGE_ENTERED: _l("Stage entered"),
    EventKind.STAGE_LEFT: _l("Stage left"),
    EventKind.GUARD_OVERRIDDEN: _l("Conditions overridden"),
    EventKind.CHECKLIST_UPDATED: _l("Checklist item updated"),
    EventKind.CHECKLIST_ITEM_DUE: _l("Checklist item due"),
    EventKind.CHECKLIST_ITEM_OVERDUE: _l("Checklist item overdue"),
    EventKind.PERMIT_RECORDED: _l("Permit recorded"),
    EventKind.PERMIT_UPDATED: _l("Permit updated"),
    EventKind.PERMIT_EXPIRING: _l("Permit expiring"),
}

DOMAIN = Domain(
    name="continuum",
    api_blueprints=(blp,),
    models=(ChecklistItem, Permit),
    commands=(continuum_group,),
    permissions={
        "continuum:transition": STAFF,
        "continuum:override": frozenset({Role.ADMIN, Role.SUPERVISOR}),
        "continuum:checklist": STAFF,
        "permits:read": STAFF,
        "permits:manage": STAFF,
    },
    jobs=(Job("continuum_scan", scan_job, 3600),),
    timeline_kinds=tuple(TimelineKind(kind.value, _TITLES[kind]) for kind in EventKind),
    personal_data=(
        PersonalData("checklist_items", (Category.CASE,), ("participant_id",),
                     erase_columns=("evidence_note",)),
        PersonalData("permits", (Category.SENSITIVE,), ("participant_id",),
                     note="immigration status and document numbers", erase_columns=("number",)),
    ),
)
