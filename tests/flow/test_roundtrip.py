import json

import pytest

from ivr.flow import PROMPTS, State, actions
from ivr.flow.script import drive

from .scenarios import DIRECTORY, REACH, SCENARIOS, reach


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_given_a_call_when_state_kept_as_json_between_steps_then_identical_call(name):
    ctx, script = SCENARIOS[name]
    in_memory = drive(ctx, script, lookup=DIRECTORY)
    via_json = drive(ctx, script, lookup=DIRECTORY, through_json=True)
    assert via_json.steps == in_memory.steps
    for step in in_memory.steps:
        assert State.from_json(step.state.to_json()) == step.state
        assert State.from_dict(json.loads(json.dumps(step.state.to_dict()))) == step.state


@pytest.mark.parametrize("name", sorted(REACH))
def test_given_any_waiting_state_when_stored_as_json_then_restored_equal(name):
    state = reach(name)
    assert State.from_json(state.to_json()) == state
    assert json.loads(state.to_json())["state"] == name


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_given_a_call_then_every_action_is_json(name):
    ctx, script = SCENARIOS[name]
    for action in drive(ctx, script, lookup=DIRECTORY).actions:
        assert actions.from_dict(json.loads(json.dumps(actions.to_dict(action)))) == action


def test_given_every_scenario_then_prompts_played_are_exactly_the_catalogue():
    played = {
        prompt
        for ctx, script in SCENARIOS.values()
        for prompt in drive(ctx, script, lookup=DIRECTORY).prompts
    }
    assert played <= PROMPTS, played - PROMPTS
    assert PROMPTS <= played, PROMPTS - played
