"""Whatever a caller (or a confused adapter) sends, the flow ends the call properly."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flow import (
    PROMPTS,
    Close,
    Closed,
    Digits,
    LogEvent,
    LookupResult,
    NoInput,
    Record,
    RecordingDone,
    Route,
    Speech,
    State,
    Transfer,
    actions,
)
from ivr.flow.events import Hangup
from ivr.flow.script import Transcript, drive, resume

from .scenarios import (
    AFTER_HOURS,
    AFTER_HOURS_NO_ON_CALL,
    DIRECTORY,
    ENGLISH,
    KNOWN,
    MANY_UNITS,
    MULTI_UNIT,
    OVERDUE,
    REACH,
    SENIOR,
    UNKNOWN,
    WITH_ORDER,
    reach,
)

CONTEXTS = [
    KNOWN,
    UNKNOWN,
    MULTI_UNIT,
    MANY_UNITS,
    WITH_ORDER,
    OVERDUE,
    ENGLISH,
    SENIOR,
    AFTER_HOURS,
    AFTER_HOURS_NO_ON_CALL,
]
PHRASES = [
    "漏水",
    "我要报修",
    "咨询",
    "投诉",
    "转人工",
    "留言",
    "嗯",
    "repair",
    "fire",
    "hello",
    "3栋",
    "１５０２",
]

keys = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "0", "9", "*", "#", "", "3", "1502"]),
    st.text(alphabet="0123456789*#", max_size=7),
).map(Digits)
speech = st.one_of(st.sampled_from(PHRASES), st.text(max_size=12)).map(Speech)
recordings = st.builds(
    RecordingDone,
    ref=st.sampled_from(["", "rec-1"]),
    seconds=st.floats(min_value=0, max_value=300, allow_nan=False),
)
lookups = st.builds(
    LookupResult,
    kind=st.sampled_from(["unit", "resident"]),
    data=st.one_of(
        st.just({}),
        st.fixed_dictionaries(
            {"unit_id": st.one_of(st.none(), st.integers(1, 999)), "address": st.text(max_size=8)}
        ),
    ),
)
# Keys weigh most, so calls get deep; hang-ups are rarer than other events.
event = st.one_of(
    keys, keys, keys, speech, st.just(NoInput()), recordings, lookups, st.just(Hangup())
)
scripts = st.lists(event, max_size=30)

ENDINGS = (Route, Transfer, actions.Hangup)


def _hung_up(step):
    return step.actions[0].data.get("event") == {"event": "hangup"}


def check_call(transcript):
    """Exactly one Close, last in its step, with endings matching its disposition."""
    [close] = transcript.of(Close)
    closing = next(i for i, step in enumerate(transcript.steps) if close in step.actions)
    last = transcript.steps[closing].actions
    assert last[-1] == close
    for i, step in enumerate(transcript.steps):
        assert isinstance(step.actions[0], LogEvent)
        if i != closing:
            assert not [a for a in step.actions if isinstance(a, ENDINGS)]
        if i > closing:
            assert all(isinstance(a, LogEvent) for a in step.actions)
    endings = [type(a) for a in last if isinstance(a, ENDINGS)]
    expected = {
        "queued": [Route],
        "sent_to_on_call": [Transfer],
        "message_left": [actions.Hangup],
        "abandoned": [],
        "self_served": [],
        # Linked to an incident: hung up on politely, unless the caller hung up first.
        "incident_linked": [] if _hung_up(transcript.steps[closing]) else [actions.Hangup],
    }[close.disposition]
    assert endings == expected
    if close.disposition == "message_left":
        assert transcript.of(Record)
    assert isinstance(transcript.state, Closed)
    assert transcript.state.disposition == close.disposition


@settings(max_examples=400, deadline=None, database=None)
@given(ctx=st.sampled_from(CONTEXTS), script=scripts, answer_lookups=st.booleans())
def test_given_any_events_then_never_raises_and_ends_in_exactly_one_close(
    ctx, script, answer_lookups
):
    lookup = DIRECTORY if answer_lookups else None
    transcript = drive(ctx, [*script, Hangup()], lookup=lookup, through_json=True)
    check_call(transcript)
    assert set(transcript.prompts) <= PROMPTS
    for route in transcript.of(Route):
        assert isinstance(route.priority, int)
    for action in transcript.actions:
        json.dumps(actions.to_dict(action))
    assert drive(ctx, [*script, Hangup()], lookup=lookup).steps == transcript.steps


@settings(max_examples=200, deadline=None, database=None)
@given(ctx=st.sampled_from(CONTEXTS), script=scripts)
def test_given_any_events_then_every_state_round_trips_through_json(ctx, script):
    for step in drive(ctx, script).steps:
        assert State.from_json(step.state.to_json()) == step.state


@settings(max_examples=400, deadline=None, database=None)
@given(name=st.sampled_from(sorted(REACH)), script=scripts, answer_lookups=st.booleans())
def test_given_any_waiting_state_when_any_events_then_ends_in_exactly_one_close(
    name, script, answer_lookups
):
    place = REACH[name]
    lookup = DIRECTORY if answer_lookups else None
    before = drive(place.ctx, place.script)
    after = resume(reach(name), [*script, Hangup()], lookup=lookup, through_json=True)
    check_call(Transcript(before.steps + after.steps))
    assert set(after.prompts) <= PROMPTS
