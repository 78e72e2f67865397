"""A declared incident's notice, heard before the menu by the callers it affects."""

from dataclasses import replace

import pytest

from ivr.flow import (
    Close,
    Digits,
    Gather,
    LogEvent,
    NoInput,
    Route,
    Say,
    Speech,
    actions,
    handle,
    start,
)
from ivr.flow.context import IncidentRef
from ivr.flow.events import Hangup
from ivr.flow.script import drive

from .scenarios import BURST_MAIN, ENGLISH, IN_INCIDENT, IN_INCIDENT_WITH_ORDER, KNOWN, ORDER

LINKED = LogEvent("call.incident", {"incident_ids": [7], "unit_id": 101})


def test_given_an_affected_caller_then_the_status_is_heard_before_any_menu():
    step = start(IN_INCIDENT)
    [gather] = [a for a in step.actions if isinstance(a, Gather)]
    assert step.state.name == "incident_notice"
    assert gather.prompts == [
        Say("incident.status", {"message": BURST_MAIN.message, "incident": 7}),
        Say("incident.menu"),
    ]


def test_given_an_english_caller_then_the_english_status_is_heard():
    ctx = replace(IN_INCIDENT, residents=ENGLISH.residents)
    [gather] = [a for a in start(ctx).actions if isinstance(a, Gather)]
    assert gather.prompts[0] == Say(
        "incident.status", {"message": BURST_MAIN.message_en, "incident": 7}, "en"
    )


def test_given_no_incident_then_straight_to_the_menu():
    assert start(KNOWN).state.name == "main_menu"


def test_given_the_notice_when_silence_then_linked_thanked_and_hung_up():
    step = drive(IN_INCIDENT, [NoInput()]).steps[-1]
    assert step.actions[1:] == [
        LINKED,
        Say("incident.linked"),
        actions.Hangup(),
        Close("incident_linked", "incident_notice"),
    ]


def test_given_the_notice_when_caller_hangs_up_then_the_call_is_still_linked():
    transcript = drive(IN_INCIDENT, [Hangup()])
    assert LINKED in transcript.actions
    assert transcript.close == Close("incident_linked", "incident_notice")


def test_given_the_notice_when_1_then_bypassed_to_the_usual_menus_without_a_link():
    transcript = drive(IN_INCIDENT_WITH_ORDER, [Digits("1")])
    assert transcript.state.name == "self_service_offer"
    assert LogEvent("call.incident_bypassed", {"unit_id": 101}) in transcript.actions
    assert LINKED not in transcript.actions
    repair = drive(IN_INCIDENT, [Digits("1"), Digits("2")])
    assert repair.of(Route) == [Route("repair", 20, 1, 101)]
    assert LINKED not in repair.actions


@pytest.mark.parametrize("answer", [Digits("0"), Speech("转人工")])
def test_given_the_notice_when_0_or_agent_asked_then_linked_and_queued(answer):
    transcript = drive(IN_INCIDENT, [answer])
    assert LINKED in transcript.actions
    assert transcript.of(Route) == [Route("inquiry", 10, 1, 101)]
    assert transcript.close == Close("queued", "incident_notice")


def test_given_the_notice_when_emergency_words_then_emergency_at_once_not_linked():
    transcript = drive(IN_INCIDENT, [Speech("家里水浸了")])
    assert transcript.of(Route)[0].queue == "emergency"
    assert LINKED not in transcript.actions


def test_given_the_notice_then_offered_order_still_reached_after_bypass():
    transcript = drive(IN_INCIDENT_WITH_ORDER, [Digits("1"), Digits("1")])
    assert "wo.status" in transcript.prompts
    assert ORDER.number in str(transcript.actions)


def test_given_several_incidents_then_each_status_is_heard_and_all_linked():
    second = IncidentRef(incident_id=8, message="2号电梯停用")
    ctx = replace(IN_INCIDENT, incidents=[BURST_MAIN, second])
    transcript = drive(ctx, [NoInput()])
    assert transcript.prompts.count("incident.status") == 2
    assert LogEvent("call.incident", {"incident_ids": [7, 8], "unit_id": 101}) in transcript.actions


def test_given_the_notice_when_star_then_heard_again():
    step = handle(start(IN_INCIDENT).state, Digits("*"))
    assert step.state.name == "incident_notice"
    [gather] = [a for a in step.actions if isinstance(a, Gather)]
    assert gather.prompts[0].prompt == "incident.status"
