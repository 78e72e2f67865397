import json

import pytest

from ivr.flow import actions, events
from ivr.flow.actions import (
    Close,
    Gather,
    LogEvent,
    Lookup,
    Record,
    Route,
    Say,
    Transfer,
)
from ivr.flow.context import EN, ZH, CallContext, ResidentRef, UnitRef
from ivr.flow.events import Digits, LookupResult, NoInput, RecordingDone, Speech
from ivr.flow.script import sample_context, sample_resident

from .scenarios import MANY_UNITS, OVERDUE, UNKNOWN


@pytest.mark.parametrize("ctx", [UNKNOWN, OVERDUE, MANY_UNITS], ids=["unknown", "order", "many"])
def test_given_a_context_when_round_tripped_through_json_then_equal(ctx):
    assert CallContext.from_json(ctx.to_json()) == ctx
    assert CallContext.from_dict(json.loads(json.dumps(ctx.to_dict()))) == ctx


def test_given_residents_sharing_units_when_listing_units_then_each_once_in_order():
    shared = UnitRef(unit_id=7, address="1栋101")
    ctx = sample_context(
        residents=[
            ResidentRef(resident_id=1, name="甲", units=[shared]),
            ResidentRef(resident_id=2, name="乙", units=[UnitRef(8, "1栋102"), shared]),
        ]
    )
    assert [unit.unit_id for unit in ctx.units()] == [7, 8]
    assert ctx.resident_for(8) == 2
    assert ctx.resident_for(999) == 1


def test_given_several_residents_with_different_languages_then_the_primarys_is_used():
    ctx = sample_context(
        residents=[sample_resident(language=EN), sample_resident(resident_id=2, language=ZH)]
    )
    assert ctx.language == EN


def test_given_unknown_caller_then_mandarin_and_no_units_or_resident():
    assert UNKNOWN.language == ZH
    assert UNKNOWN.units() == []
    assert UNKNOWN.resident_for(101) is None


def test_given_a_number_flagged_known_with_no_residents_then_treated_as_unknown():
    ctx = sample_context(caller_known=True, residents=[])
    assert not ctx.known


@pytest.mark.parametrize(
    "event",
    [
        Digits("12#"),
        Speech("我家漏水了"),
        NoInput(),
        events.Hangup(),
        RecordingDone(ref="rec-1", seconds=3.5),
        LookupResult(kind="unit", data={"unit_id": 1, "address": "3栋1502"}),
    ],
    ids=lambda event: type(event).__name__,
)
def test_given_an_event_when_round_tripped_through_json_then_equal(event):
    data = json.loads(json.dumps(events.to_dict(event)))
    assert events.from_dict(data) == event


@pytest.mark.parametrize(
    "action",
    [
        Say("menu.main", {"n": 1}, EN),
        Gather(
            prompts=[Say("id.confirm", {"address": "3栋1502"})],
            max_digits=1,
            timeout_s=6.0,
            speech=True,
            hints=["漏水"],
            language=ZH,
            finish_on_key="#",
        ),
        Record(prompt="after_hours.record", max_seconds=120, purpose="after_hours_message"),
        Lookup(kind="unit", params={"building": "3", "room": "1502"}),
        LogEvent(kind="call.started", data={"known": True}),
        Route(queue="repair", priority=20, resident_id=1, unit_id=101),
        Transfer(number="+8613800000000", reason="emergency"),
        Close(disposition="queued", step="main_menu"),
        actions.Hangup(),
    ],
    ids=lambda action: type(action).__name__,
)
def test_given_an_action_when_round_tripped_through_json_then_equal(action):
    data = json.loads(json.dumps(actions.to_dict(action)))
    assert actions.from_dict(data) == action
    assert data["action"]
