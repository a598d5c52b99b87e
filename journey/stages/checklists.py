"""Checklist items per stage, as data (IOM Box 27, lines 1284-1333, plus intake to matching).

A programme adapts them through its ``checklist_config``::

    {"disabled": ["financial_support"],
     "renamed": {"housing": "Employer-provided housing inspected"},
     "added": [{"stage": "arrival", "key": "sim_card", "title": "Local SIM card",
                "required": false, "due_days": 2,
                "reminder": "Get a local SIM card at the airport"}]}

An item has two names: its title, the caseworker's task ("Visa and work permit application"),
and its reminder, what the migrant reads in an SMS: something they can do or expect, in their
own language ("Bring your passport to the centre for the visa application"). A programme's own
item without a reminder is announced by a generic phrase and its title.
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
    # What the migrant reads about it (lazy string, or a programme's plain text).
    reminder: Any = None

    def reminder_text(self) -> Any:
        """The item as the migrant is reminded of it: its reminder, else a phrase and its title."""
        if self.reminder:
            return self.reminder
        return _l("Your next step: %(title)s", title=self.title)


# What the migrant reads about each default item: something to do or to expect, never the
# caseworker's task name (those are the titles below).
REMINDERS: dict[str, Any] = {
    "aspirations": _l("Tell your caseworker what work you hope to find and what you expect"),
    "consent_explained":
        _l("Your caseworker will explain how your data is used and ask for your consent"),
    "screening_interview": _l("Come to the centre for your screening interview"),
    "documents_checked": _l("Bring your passport and ID documents to the centre to be checked"),
    "training_completed": _l("Finish your training to receive your certificate"),
    "language_course": _l("Attend your language course"),
    "employer_interview": _l("Your interview with the employer is coming up"),
    "contract_offered":
        _l("Read your work contract before you sign it. Ask for it in your language"),
    "recruitment_procedures": _l("Complete your recruitment papers with the centre"),
    "visa_application": _l("Bring your passport to the centre for the visa application"),
    # COMPLAINT: the SMS keyword of journey.grievances.sms (a translation names its own word).
    "orientation": _l("Attend the rights orientation. To complain, text COMPLAINT and your "
                      "message"),
    "skills_recognition": _l("Bring your certificates so your skills can be recognised"),
    "financial_support": _l("Ask the centre about loans or funding for your move"),
    "border_entry": _l("Keep your passport and visa with you when you enter the country"),
    "entry_requirements": _l("Show your entry documents to the centre"),
    "welcome_package": _l("Collect your welcome package from the information centre"),
    "administrative_help": _l("The centre can help you with local paperwork"),
    "job_start": _l("Tell the centre when you start work"),
    "essential_services":
        _l("Ask the centre where to find health care, transport and other services"),
    "post_arrival_registration": _l("Register with the local authorities"),
    "housing": _l("Tell the centre if your housing is not as promised"),
    "health_services": _l("Register with a doctor or health centre"),
    "public_services": _l("Ask the centre which public services you can use"),
    "finance_support": _l("Open a bank account and choose how to send money home"),
    "family_reunification": _l("Ask the centre how your family could join you"),
    "soft_landing": _l("Ask the centre about taxes, banking and schools"),
    "social_security_portability": _l("Ask how to keep your social security rights when you move"),
    "skills_recognition_onward":
        _l("Bring your certificates so your skills are recognised in the new country"),
    "pre_return_orientation": _l("Come to the information session before you return"),
    "finance_credit": _l("Ask the centre about loans and help to start a business"),
    "job_placement": _l("The centre will help you find work at home"),
    "skills_verification": _l("Bring your certificates so your skills can be checked"),
}


def _items(stage: Stage, *rows: tuple) -> list[ItemDefinition]:
    return [ItemDefinition(stage, *row, reminder=REMINDERS[row[0]]) for row in rows]


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
    items = [ItemDefinition(d.stage, d.key, renamed.get(d.key, d.title), d.required, d.due_days,
                            d.reminder) for d in items]
    for extra in config.get("added", []):
        if extra["stage"] == stage.value and extra["key"] not in disabled:
            items.append(_added(extra))
    return items


def _added(extra: dict[str, Any]) -> ItemDefinition:
    return ItemDefinition(Stage(extra["stage"]), extra["key"], extra["title"],
                          extra.get("required", True), extra.get("due_days"),
                          extra.get("reminder") or None)


def definition(key: str, config: dict[str, Any] | None) -> ItemDefinition | None:
    """The item of this key, default or the programme's own, after the programme's changes."""
    config = config or {}
    for extra in config.get("added", []):
        if extra.get("key") == key:
            return _added(extra)
    for d in DEFAULT_CHECKLISTS:
        if d.key == key:
            return ItemDefinition(d.stage, d.key, config.get("renamed", {}).get(key, d.title),
                                  d.required, d.due_days, d.reminder)
    return None


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
