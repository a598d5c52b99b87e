"""The stages of the migration continuum (IOM Box 27, with the branches real journeys take)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journey.core.i18n import _l
from journey.stages import STAGE_TITLES, Stage

__all__ = ["STAGE_TITLES", "Stage", "Transition", "TRANSITIONS", "TRANSITIONS_BY_EVENT"]


INITIAL_STAGE = Stage.INTAKE
FINAL_STAGES = frozenset({Stage.CLOSED})
# Stages from which nothing moves on but a documented re-entry.
REENTRY_EVENTS = frozenset({"rehire"})
# A participant abroad: the stages in the destination country.
ABROAD = frozenset({Stage.ARRIVAL, Stage.STAY, Stage.ONWARD})
PREVIOUS = "@previous"  # a transition's target resolved from history (withdrawal reversed)

_ACTIVE = tuple(s for s in Stage if s not in (Stage.CLOSED, Stage.WITHDRAWN))


@dataclass(frozen=True)
class Transition:
    """One row of the table: an event moves a participant from some stages to one stage."""

    event: str
    sources: tuple[Stage, ...]
    target: Stage | str
    title: Any
    guards: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # fields the request must carry
    urgent: bool = False  # notifications for it ignore quiet hours


# The whole continuum, as data (IOM Box 27 and the branches real journeys take; domain.md).
TRANSITIONS: tuple[Transition, ...] = (
    Transition("preselect", (Stage.INTAKE,), Stage.PRESELECTION, _l("Pre-select"),
               guards=("consent_case_management",)),
    Transition("start_training", (Stage.PRESELECTION,), Stage.TRAINING, _l("Start training"),
               guards=("stage_items_done",)),
    Transition("match", (Stage.TRAINING,), Stage.MATCHED, _l("Selected by an employer"),
               guards=("stage_items_done",), required=("employer_id",)),
    Transition("prepare_departure", (Stage.MATCHED,), Stage.PRE_DEPARTURE,
               _l("Start pre-departure"), guards=("stage_items_done",)),
    Transition("depart", (Stage.PRE_DEPARTURE,), Stage.ARRIVAL, _l("Arrived in the destination"),
               guards=("permit_granted", "orientation_done", "stage_items_done",
                       "no_fees_paid_by_migrant"),
               required=("arrival_date",)),
    Transition("settle", (Stage.ARRIVAL,), Stage.STAY, _l("Start stay and integration"),
               guards=("stage_items_done",)),
    Transition("renew_permit", (Stage.STAY,), Stage.STAY, _l("Permit renewed"),
               guards=("permit_granted",)),
    Transition("change_employer", (Stage.STAY,), Stage.STAY, _l("Changed employer"),
               guards=("permit_allows_employer_change",), required=("employer_id",)),
    Transition("move_onward", (Stage.STAY,), Stage.ONWARD, _l("Onward migration"),
               required=("destination_country",)),
    Transition("arrive_onward", (Stage.ONWARD,), Stage.ARRIVAL, _l("Arrived in another country"),
               guards=("permit_granted",), required=("arrival_date",)),
    Transition("prepare_return", (Stage.STAY, Stage.ARRIVAL), Stage.RETURN,
               _l("Preparing to return")),
    Transition("return_home", (Stage.RETURN,), Stage.REINTEGRATION, _l("Returned home"),
               required=("return_date",)),
    Transition("emergency_return", (Stage.ARRIVAL, Stage.STAY, Stage.ONWARD), Stage.REINTEGRATION,
               _l("Emergency return"), required=("reason", "return_date"), urgent=True),
    Transition("block_travel", (Stage.TRAINING, Stage.MATCHED, Stage.PRE_DEPARTURE),
               Stage.TRAVEL_BLOCKED, _l("Could not travel"), required=("reason",)),
    Transition("resume_travel", (Stage.TRAVEL_BLOCKED,), Stage.MATCHED, _l("Travel possible again"),
               required=("employer_id",)),
    Transition("join_local_track", (Stage.PRESELECTION, Stage.TRAINING, Stage.TRAVEL_BLOCKED),
               Stage.LOCAL_TRACK, _l("Local labour market track")),
    Transition("withdraw", _ACTIVE, Stage.WITHDRAWN, _l("Withdrew"), required=("reason",)),
    Transition("reinstate", (Stage.WITHDRAWN,), PREVIOUS, _l("Changed their mind"),
               required=("reason",)),
    Transition("close",
               (Stage.REINTEGRATION, Stage.LOCAL_TRACK, Stage.TRAVEL_BLOCKED, Stage.WITHDRAWN),
               Stage.CLOSED, _l("Closed")),
    # Circular re-entry: the same worker hired again (IOM seed line 586, OECD line 693).
    Transition("rehire", (Stage.REINTEGRATION, Stage.CLOSED), Stage.MATCHED, _l("Hired again"),
               required=("employer_id",)),
)
TRANSITIONS_BY_EVENT = {t.event: t for t in TRANSITIONS}
