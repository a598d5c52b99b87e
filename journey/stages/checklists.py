"""Checklist items per stage, as data (IOM Box 27, lines 1284-1333, plus intake to matching).

A programme adapts them through its ``checklist_config``::

    {"disabled": ["financial_support"],
     "renamed": {"housing": "Employer-provided housing inspected"},
     "added": [{"stage": "arrival", "key": "sim_card", "title": "Local SIM card",
                "required": false, "due_days": 2}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journey.core.i18n import _, _l
from journey.stages import Stage


@dataclass(frozen=True)
class ItemDefinition:
    stage: Stage
    key: str
    title: Any  # lazy string for defaults, plain text for a programme's own items
    required: bool = True
    due_days: int | None = None  # due this many days after the stage is entered


def _items(stage: Stage, *rows: tuple) -> list[ItemDefinition]:
    return [ItemDefinition(stage, *row) for row in rows]


DEFAULT_CHECKLISTS: tuple[ItemDefinition, ...] = tuple(
    _items(Stage.INTAKE,
           ("aspirations", _l("Aspirations and expectations recorded"), True, 7),
           ("consent_explained", _l("Consent explained and recorded"), True, 0))
    + _items(Stage.PRESELECTION,
             ("screening_interview", _l("Screening interview"), True, 14),
             ("documents_checked", _l("Identity documents checked"), True, 14))
    + _items(Stage.TRAINING,
             ("training_completed", _l("Training completed and certified"), True, 120),
             ("language_course", _l("Language course"), False, 120))
    + _items(Stage.MATCHED,
             ("employer_interview", _l("Employer interview"), True, 14),
             ("contract_offered", _l("Employment contract offered in a language the worker reads"),
              True, 21))
    + _items(Stage.PRE_DEPARTURE,
             ("recruitment_procedures", _l("Recruitment procedures complete"), True, 14),
             ("visa_application", _l("Visa and work permit application"), True, 30),
             ("orientation", _l("Pre-departure orientation, including rights and grievance "
                                "mechanisms"), True, 30),
             ("skills_recognition", _l("Skills and certificates recognition"), False, 45),
             ("financial_support", _l("Access to financial support or funding"), False, 30))
    + _items(Stage.ARRIVAL,
             ("border_entry", _l("Border entry completed"), True, 1),
             ("entry_requirements", _l("Entry requirements verified"), True, 3),
             ("welcome_package", _l("Welcome package from the information centre"), True, 3),
             ("administrative_help", _l("Help with administrative procedures"), True, 14),
             ("job_start", _l("Job placement confirmed"), True, 7),
             ("essential_services", _l("Access to essential services and service providers"),
              False, 14))
    + _items(Stage.STAY,
             ("post_arrival_registration", _l("Post-arrival registration"), True, 14),
             ("housing", _l("Housing"), True, 7),
             ("health_services", _l("Registered with health services"), True, 30),
             ("public_services", _l("Access to public services"), False, 60),
             ("finance_support", _l("Bank account and remittance options"), True, 30),
             ("family_reunification", _l("Family reunification information"), False, None),
             ("soft_landing", _l("Soft landing: taxes, bank account, education"), False, 60))
    + _items(Stage.ONWARD,
             ("social_security_portability", _l("Portability of social security benefits"),
              True, 30),
             ("skills_recognition_onward", _l("Recognition of skills and certificates"), False, 60))
    + _items(Stage.RETURN,
             ("pre_return_orientation", _l("Pre-return orientation and information"), True, 14))
    + _items(Stage.REINTEGRATION,
             ("finance_credit", _l("Finance assistance and access to credit"), False, 60),
             ("job_placement", _l("Job placement"), True, 90),
             ("skills_verification", _l("Verification of skills and certificates"), True, 60))
)


def definitions_for(stage: Stage | str, config: dict[str, Any] | None) -> list[ItemDefinition]:
    """The items a participant entering this stage gets, after the programme's changes."""
    stage = Stage(stage)
    config = config or {}
    disabled = set(config.get("disabled", []))
    renamed = config.get("renamed", {})
    items = [d for d in DEFAULT_CHECKLISTS if d.stage == stage and d.key not in disabled]
    items = [ItemDefinition(d.stage, d.key, renamed.get(d.key, d.title), d.required, d.due_days)
             for d in items]
    for extra in config.get("added", []):
        if extra["stage"] == stage.value and extra["key"] not in disabled:
            items.append(ItemDefinition(stage, extra["key"], extra["title"],
                                        extra.get("required", True), extra.get("due_days")))
    return items


def validate_config(config: dict[str, Any]) -> list[dict[str, str]]:
    """Field errors in a programme's checklist configuration."""
    errors = []
    known = {d.key for d in DEFAULT_CHECKLISTS}
    for key in config.get("disabled", []):
        if key not in known:
            errors.append({"field": "checklist_config.disabled", "code": "unknown-item",
                           "message": _("No default checklist item '%(key)s'.", key=key)})
    for key in config.get("renamed", {}):
        if key not in known:
            errors.append({"field": "checklist_config.renamed", "code": "unknown-item",
                           "message": _("No default checklist item '%(key)s'.", key=key)})
    for extra in config.get("added", []):
        if extra.get("key") in known:
            errors.append({"field": "checklist_config.added", "code": "duplicate-item",
                           "message": _("'%(key)s' is already a default item.", key=extra["key"])})
    return errors
