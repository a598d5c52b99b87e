"""A grievance's states and the one table of transitions between them, with guards.

received -> acknowledged -> in review <-> waiting for information -> resolved (with a decision)
-> closed; a resolved grievance may be appealed within the appeal window, which opens a new,
linked grievance (the appeal) and leaves this one ``appealed`` until the appeal is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journey.core.i18n import _l
from journey.grievances.models import State

INITIAL_STATE = State.RECEIVED
FINAL_STATES = frozenset({State.CLOSED})


@dataclass(frozen=True)
class Transition:
    event: str
    sources: tuple[State, ...]
    target: State
    title: Any
    guards: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # fields the request must carry
    public: bool = False  # the complainant is told (acknowledgement, resolution)


TRANSITIONS: tuple[Transition, ...] = (
    # The centre takes it up (the receipt with the tracking code went out at intake).
    Transition("acknowledge", (State.RECEIVED,), State.ACKNOWLEDGED, _l("Acknowledge")),
    Transition("start_review", (State.ACKNOWLEDGED,), State.IN_REVIEW, _l("Start the review")),
    # With pause_clock the resolution deadline stands still until the information comes.
    Transition("request_information", (State.IN_REVIEW,), State.WAITING,
               _l("Wait for information"), required=("note",)),
    Transition("information_received", (State.WAITING,), State.IN_REVIEW,
               _l("Information received")),
    Transition("resolve", (State.ACKNOWLEDGED, State.IN_REVIEW, State.WAITING), State.RESOLVED,
               _l("Resolve"), required=("decision", "resolution_summary"), public=True),
    Transition("reopen", (State.RESOLVED,), State.IN_REVIEW, _l("Reopen"), required=("note",)),
    Transition("appeal", (State.RESOLVED,), State.APPEALED, _l("Appeal"),
               guards=("within_appeal_window", "not_an_appeal"), required=("note",)),
    Transition("close", (State.RESOLVED, State.APPEALED), State.CLOSED, _l("Close"),
               guards=("appeal_closed",)),
)
TRANSITIONS_BY_EVENT = {t.event: t for t in TRANSITIONS}


def available_events(state: State | str) -> list[str]:
    state = State(state)
    return [t.event for t in TRANSITIONS if state in t.sources]
