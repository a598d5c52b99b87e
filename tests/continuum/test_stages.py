"""The transition table: its graph, and every (stage, event) pair through the one service."""

from __future__ import annotations

import pytest

from journey.continuum import services
from journey.continuum.stages import (
    FINAL_STAGES,
    INITIAL_STAGE,
    PREVIOUS,
    REENTRY_EVENTS,
    TRANSITIONS,
    TRANSITIONS_BY_EVENT,
    Stage,
)
from journey.core.errors import ProblemError
from journey.core.versions import Precondition
from tests.continuum.conftest import TODAY


def _edges():
    for t in TRANSITIONS:
        for src in t.sources:
            # A reinstatement returns to the stage left; any active stage is possible.
            targets = [s for s in Stage if s not in (Stage.WITHDRAWN, Stage.CLOSED)] \
                if t.target == PREVIOUS else [Stage(t.target)]
            for dst in targets:
                yield src, dst, t.event


def test_one_initial_stage_from_which_every_stage_is_reachable():
    # Reinstatement returns to whatever stage was left, intake included; it is not an entry.
    has_incoming = {Stage(t.target) for t in TRANSITIONS if t.target != PREVIOUS
                    and any(Stage(t.target) != s for s in t.sources)}
    roots = [s for s in Stage if s not in has_incoming]
    assert roots == [INITIAL_STAGE]
    reached, frontier = {INITIAL_STAGE}, [INITIAL_STAGE]
    while frontier:
        stage = frontier.pop()
        for src, dst, _e in _edges():
            if src == stage and dst not in reached:
                reached.add(dst)
                frontier.append(dst)
    assert reached == set(Stage)


def test_no_dead_ends_and_final_stages_only_left_by_documented_reentry():
    for stage in Stage:
        leaving = {e for src, dst, e in _edges() if src == stage and dst != stage}
        assert leaving, f"{stage} is a dead end"
        if stage in FINAL_STAGES:
            assert leaving <= REENTRY_EVENTS, f"{stage} is final but left by {leaving}"


def test_every_event_and_stage_has_a_translatable_title():
    assert all(str(s.title) for s in Stage)
    assert all(str(t.title) for t in TRANSITIONS)
    assert len(TRANSITIONS_BY_EVENT) == len(TRANSITIONS)


PAIRS = [(stage, event) for stage in Stage for event in TRANSITIONS_BY_EVENT]


@pytest.mark.parametrize("stage, event", PAIRS, ids=[f"{s.value}-{e}" for s, e in PAIRS])
def test_every_stage_event_pair(app, db_session, journey_kit, stage, event):
    p = journey_kit.participant(stage)
    t = TRANSITIONS_BY_EVENT[event]
    with app.test_request_context():
        if stage not in t.sources:
            with pytest.raises(ProblemError) as refused:
                services.apply_transition(db_session, journey_kit.caseworker, p, event,
                                          journey_kit.data(), expected=Precondition(body=p.version),
                                          today=TODAY)
            assert refused.value.code == "event-not-allowed"
            assert refused.value.extra["allowed_events"] == services.available_events(stage)
            assert p.stage == stage.value
            return
        before = p.version
        services.apply_transition(db_session, journey_kit.caseworker, p, event, journey_kit.data(),
                                  expected=Precondition(body=before), today=TODAY)
    expected = Stage.TRAINING if t.target == PREVIOUS else Stage(t.target)
    assert p.stage == expected.value
    assert p.version == before + 1
    if event == "rehire":
        assert p.cycle == 2
