import pytest

from ivr.flow import (
    DISPOSITIONS,
    Close,
    Closed,
    Digits,
    LogEvent,
    Route,
    Speech,
    fallback_route,
    handle,
    state_names,
)
from ivr.flow.events import Hangup
from ivr.flow.script import drive

from .scenarios import DIRECTORY, KNOWN, REACH, SCENARIOS, SENIOR, reach


def test_given_the_reach_scripts_then_every_waiting_state_is_covered():
    assert set(REACH) == set(state_names()) - {"closed"}


@pytest.mark.parametrize("name", sorted(REACH))
def test_given_any_state_when_caller_hangs_up_then_abandoned_at_that_step(name):
    # Only after hearing a work order's status is a hang-up the caller served.
    # Hanging up on an incident's notice links the call to the incident.
    endings = {"work_order_status": "self_served", "incident_notice": "incident_linked"}
    disposition = endings.get(name, "abandoned")
    linked = [LogEvent("call.incident", {"incident_ids": [7], "unit_id": 101})]
    step = handle(reach(name), Hangup())
    assert step.actions == [
        LogEvent("ivr.step", {"step": name, "event": {"event": "hangup"}, "next": "closed"}),
        *(linked if name == "incident_notice" else []),
        Close(disposition, name),
    ]
    assert step.state == Closed(call=reach(name).call, disposition=disposition, step=name)


@pytest.mark.parametrize(
    "event", [Digits("1"), Speech("漏水"), Hangup()], ids=["digits", "emergency", "hangup"]
)
def test_given_a_closed_call_when_more_events_arrive_then_only_logged(event):
    closed = drive(KNOWN, [Digits("3")]).state
    step = handle(closed, event)
    assert step.state == closed
    assert all(isinstance(action, LogEvent) for action in step.actions)
    assert len(step.actions) == 1


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("self_service_offer", "inquiry"),
        ("work_order_status", "inquiry"),
        ("main_menu", "inquiry"),
        ("unit_picker", "repair"),
        ("enter_building", "repair"),
        ("enter_room", "complaint"),
        ("await_unit", "repair"),
        ("confirm_unit", "repair"),
        ("after_hours_offer", "repair"),
        ("record_message", "inquiry"),
    ],
)
def test_given_any_state_when_adapter_fails_then_fallback_route_keeps_the_callers_choice(
    name, queue
):
    assert reach(name).call.service == REACH[name].service
    route = fallback_route(reach(name))
    assert route.queue == queue
    assert isinstance(route.priority, int)


def test_given_fallback_route_then_carries_known_resident_unit_and_priority():
    assert fallback_route(reach("main_menu")) == Route("inquiry", 10, resident_id=1, unit_id=101)
    senior_menu = drive(SENIOR, []).state
    assert fallback_route(senior_menu) == Route("inquiry", 20, resident_id=1, unit_id=101)


@pytest.mark.parametrize(
    ("script", "queue"),
    [
        ([Digits("1")], "emergency"),
        ([Speech("着火了")], "emergency"),
        ([Digits("4")], "complaint"),
        ([Hangup()], "inquiry"),
    ],
)
def test_given_a_closed_call_then_fallback_route_is_where_it_went(script, queue):
    assert fallback_route(drive(KNOWN, script).state).queue == queue


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_given_any_call_then_every_step_logs_and_exactly_one_close_ends_it(name):
    ctx, script = SCENARIOS[name]
    transcript = drive(ctx, script, lookup=DIRECTORY)
    assert all(isinstance(step.actions[0], LogEvent) for step in transcript.steps)
    [close] = transcript.of(Close)
    assert close.disposition in DISPOSITIONS
    closing = next(step for step in transcript.steps if close in step.actions)
    assert closing.actions[-1] == close
    assert isinstance(transcript.state, Closed) and transcript.state.disposition == (
        close.disposition
    )
