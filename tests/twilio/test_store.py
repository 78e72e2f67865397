"""The stored state of a Twilio call: the flow state's own dictionary, made faster."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flow import Digits, NoInput, Speech, State
from ivr.flow.script import drive
from ivr.twilio.store import StoredCall, state_dict
from tests.flow.scenarios import (
    AFTER_HOURS,
    DIRECTORY,
    ENGLISH,
    KNOWN,
    MANY_UNITS,
    MULTI_UNIT,
    OVERDUE,
    SENIOR,
    UNKNOWN,
    WITH_ORDER,
)

CONTEXTS = [KNOWN, UNKNOWN, MULTI_UNIT, MANY_UNITS, WITH_ORDER, OVERDUE, ENGLISH, SENIOR]
EVENTS = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "0", "9", "*", "3", "1502", "21502"]).map(Digits),
    st.sampled_from(["漏水", "投诉", "转人工", "repair", "嗯"]).map(Speech),
    st.just(NoInput()),
)


@settings(max_examples=200, deadline=None, database=None)
@given(ctx=st.sampled_from([*CONTEXTS, AFTER_HOURS]), script=st.lists(EVENTS, max_size=12))
def test_given_any_state_of_the_flow_then_its_dict_is_the_flows_own(ctx, script) -> None:
    for step in drive(ctx, script, lookup=DIRECTORY).steps:
        made = state_dict(step.state)
        assert made == step.state.to_dict()
        assert json.dumps(made, sort_keys=True) == json.dumps(step.state.to_dict(), sort_keys=True)
        assert State.from_dict(made) == step.state


def test_given_a_stored_call_then_it_reads_back_equal() -> None:
    state = drive(MULTI_UNIT, [Digits("2")], lookup=DIRECTORY).state
    stored = StoredCall(state=state, seq=2, twiml="<Response/>", queue="repair")
    data = json.loads(json.dumps(stored.to_dict()))
    assert data["adapter"] == "twilio" and data["state"] == state.to_dict()
    assert StoredCall.from_dict(data) == stored


@settings(max_examples=100, deadline=None, database=None)
@given(ctx=st.sampled_from(CONTEXTS), script=st.lists(EVENTS, min_size=1, max_size=6))
def test_given_a_call_read_back_then_the_next_state_stores_as_the_flows_own(ctx, script) -> None:
    """The context read with a stored call is written back as it was read, not worked out
    again: what is stored is still the flow's own dictionary."""
    steps = drive(ctx, script, lookup=DIRECTORY).steps
    first, *later = steps
    data = json.loads(json.dumps(StoredCall(state=first.state).to_dict()))
    read = StoredCall.from_dict(data).state
    for step in later:
        # As the next webhook has it: the flow moved on, keeping the context it was given.
        call = dataclasses.replace(step.state.call, ctx=read.call.ctx)
        moved = dataclasses.replace(step.state, call=call)
        made = state_dict(moved)
        assert json.dumps(made, sort_keys=True) == json.dumps(moved.to_dict(), sort_keys=True)
        assert made["call"]["ctx"] is data["state"]["call"]["ctx"]  # not worked out again
