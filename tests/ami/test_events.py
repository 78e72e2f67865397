"""AMI events as what they mean for our calls: the pure translation, no sockets."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.ami.events import ManagerEvent, activity
from tests.ami.traffic import Agent, Fields, QueuedCall

RECEIVED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def _event(fields: Fields) -> ManagerEvent:
    """What the connection hands over: plain headers, and variables per channel prefix."""
    headers: dict[str, str] = {}
    variables: dict[str, dict[str, str]] = {}
    for key, value in fields:
        if key.endswith("ChanVariable"):
            name, _, setting = value.partition("=")
            variables.setdefault(key.removesuffix("ChanVariable"), {})[name] = setting
        else:
            headers[key] = value
    return ManagerEvent(headers["Event"], headers, variables, RECEIVED)


def test_agent_connect_carries_the_caller_the_agent_and_the_wait() -> None:
    call = QueuedCall(call_id=12)
    what = activity(_event(call.agent_connect(Agent("8001", "李娜"), hold_time=12, ring_time=4)))
    assert what is not None
    assert (what.kind, what.topic) == ("agent.connected", "call.agent_connected")
    assert (what.call_id, what.uniqueid, what.linkedid) == (12, "1763877600.101", "1763877600.101")
    assert what.agent_endpoint == "8001"
    assert what.data == {
        "queue": "repair",
        "agent": "李娜",
        "interface": "PJSIP/8001",
        "agent_channel": "PJSIP/8001-00000066",
        "agent_uniqueid": "1763877600.103",
        "hold_time": 12,
        "ring_time": 4,
    }


def test_the_agents_empty_variable_does_not_hide_the_callers() -> None:
    what = activity(_event(QueuedCall(call_id=12).agent_called(Agent())))
    assert what is not None and what.call_id == 12


@pytest.mark.parametrize(
    ("fields", "kind", "data"),
    [
        (
            QueuedCall().join(position=2, count=3),
            "queue.joined",
            {"queue": "repair", "position": 2, "count": 3},
        ),
        (
            QueuedCall().abandon(position=1, original_position=2, hold_time=33),
            "queue.abandoned",
            {"queue": "repair", "position": 1, "original_position": 2, "hold_time": 33},
        ),
        (
            QueuedCall().leave(position=1, count=0),
            "queue.left",
            {"queue": "repair", "position": 1, "count": 0},
        ),
        (
            QueuedCall().hangup(cause=16),
            "call.hangup",
            {"cause": 16, "cause_txt": "Normal Clearing"},
        ),
    ],
)
def test_queue_events_carry_their_own_numbers(fields: Fields, kind: str, data: dict) -> None:
    what = activity(_event(fields))
    assert what is not None
    assert (what.kind, what.data) == (kind, data)


def test_agent_complete_says_who_ended_the_conversation() -> None:
    what = activity(_event(QueuedCall().agent_complete(Agent(), talk_time=95, reason="agent")))
    assert what is not None
    assert (what.data["talk_time"], what.data["reason"]) == (95, "agent")


def test_a_hangup_is_never_tied_by_linkedid_which_agents_channels_share() -> None:
    what = activity(_event(QueuedCall().hangup()))
    assert what is not None and what.linkedid == ""


def test_asterisks_timestamp_is_kept_to_the_microsecond() -> None:
    call = QueuedCall(timestamps=True, clock=1763877612.345678)
    what = activity(_event(call.join()))
    assert what is not None and what.stamped
    assert what.at == dt.datetime(2025, 11, 23, 6, 0, 12, 345678, tzinfo=dt.UTC)


def test_without_timestamps_the_time_received_is_used() -> None:
    what = activity(_event(QueuedCall().join()))
    assert what is not None
    assert (what.at, what.stamped) == (RECEIVED, False)


@pytest.mark.parametrize("value", ["", "abc", "-3", "12 "])
def test_a_call_id_variable_that_is_not_a_number_is_no_call_id(value: str) -> None:
    fields = [
        (k, f"HOTLINE_CALL_ID={value}" if k == "ChanVariable" else v)
        for k, v in QueuedCall(call_id=1).join()
    ]
    what = activity(_event(fields))
    assert what is not None
    assert what.call_id == (12 if value == "12 " else None)


@pytest.mark.parametrize(
    ("interface", "endpoint"),
    [("PJSIP/8001", "8001"), ("SIP/8002", "8002"), ("Local/8003@agents/n", "8003"), ("", "")],
)
def test_the_agents_extension_is_read_from_the_queue_member_interface(
    interface: str, endpoint: str
) -> None:
    fields = [
        (k, interface if k == "Interface" else v) for k, v in QueuedCall().agent_called(Agent())
    ]
    what = activity(_event(fields))
    assert what is not None and what.agent_endpoint == endpoint


def test_events_we_do_not_follow_mean_nothing() -> None:
    event = ManagerEvent("Newexten", {"Event": "Newexten", "Uniqueid": "1.1"}, {}, RECEIVED)
    assert activity(event) is None
