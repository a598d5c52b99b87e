"""The stages of the migration continuum and their checklists, as data.

The vocabulary several domains share: a participant records the stage they are in, a programme
adapts the checklists, the continuum moves participants between stages (its transition table is
journey.continuum.stages). Depends on nothing but journey.core, so every domain may use it.
"""

from __future__ import annotations

import enum

from journey.core.i18n import _l


class Stage(enum.StrEnum):
    INTAKE = "intake"
    PRESELECTION = "preselection"
    TRAINING = "training"
    MATCHED = "matched"
    PRE_DEPARTURE = "pre_departure"
    ARRIVAL = "arrival"
    STAY = "stay"
    ONWARD = "onward"
    RETURN = "return"
    REINTEGRATION = "reintegration"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    TRAVEL_BLOCKED = "travel_blocked"
    LOCAL_TRACK = "local_track"

    @property
    def title(self) -> str:
        return str(STAGE_TITLES[self])


STAGE_TITLES = {
    Stage.INTAKE: _l("Intake"),
    Stage.PRESELECTION: _l("Pre-selection"),
    Stage.TRAINING: _l("Training"),
    Stage.MATCHED: _l("Selected by an employer"),
    Stage.PRE_DEPARTURE: _l("Pre-departure"),
    Stage.ARRIVAL: _l("Arrival"),
    Stage.STAY: _l("Stay and integration"),
    Stage.ONWARD: _l("Onward migration"),
    Stage.RETURN: _l("Preparing to return"),
    Stage.REINTEGRATION: _l("Return and reintegration"),
    Stage.CLOSED: _l("Closed"),
    Stage.WITHDRAWN: _l("Withdrawn"),
    Stage.TRAVEL_BLOCKED: _l("Could not travel"),
    Stage.LOCAL_TRACK: _l("Local labour market track"),
}
