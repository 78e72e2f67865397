"""A whole survey call in Chromium: the dialer's call rings the simulator's phone, the
resident answers the questions on its keypad, and the answers are kept."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from agent_console.simulator.http import OUTBOUND
from ivr.outbound import OutboundCall, Purpose
from ivr.outbound.recording import RecordingProvider
from models.outbound import AttemptOutcome, JobStatus
from tests.simulator import test_browser as simulator
from tests.simulator.test_browser import STATE_TIMEOUT_MS, press
from tests.surveys.outbound_estate import attempt_of, job_of, placed_call, response_of

pytestmark = pytest.mark.browser

# The simulator's browser tests' fixtures: the live app, a page on it.
server, page = simulator.server, simulator.page


def ring_survey(app: Flask) -> Any:
    """The dialer's call for a placed survey attempt, ringing the simulator."""
    engine: Engine = app.extensions["hotline.engine"]
    placed = placed_call(engine)
    recorder = RecordingProvider()
    app.extensions[OUTBOUND] = recorder
    recorder.place(
        OutboundCall(
            to="+8613800138000",
            purpose=Purpose.SURVEY,
            answer_path="/twilio/outbound/answer",
            status_path="/twilio/outbound/status",
            correlation_id=placed.correlation_id,
        )
    )
    return engine, placed


def test_a_survey_call_rings_the_simulator_and_is_answered_on_its_keypad(
    page: Any, server: tuple[str, Flask]
) -> None:
    engine, placed = ring_survey(server[1])
    page.goto("/simulator/")
    page.locator("#phone[data-state=ringing]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#ring-answer").click()
    for turn, key in enumerate(["5", "4", "5", "1"], start=1):
        press(page, key, turn=turn)
    page.locator("#phone[data-state=record]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#record-silent").click()
    page.locator("#phone[data-state=ended]").wait_for(timeout=STATE_TIMEOUT_MS)
    words = page.locator("#transcript").inner_text()
    assert "回访您11月20日的漏水维修" in words and "感谢您的评价" in words

    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (5, 4, 5, True)
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED
    assert job_of(engine, placed).status is JobStatus.COMPLETED


def test_hanging_up_on_the_simulator_keeps_the_answers_so_far(
    page: Any, server: tuple[str, Flask]
) -> None:
    engine, placed = ring_survey(server[1])
    page.goto("/simulator/")
    page.locator("#phone[data-state=ringing]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#ring-answer").click()
    press(page, "2", turn=1)
    page.locator("#phone[data-state=gather][data-gathers='2']").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#hangup").click()
    page.locator("#phone[data-state=ended]").wait_for(timeout=STATE_TIMEOUT_MS)

    answers = response_of(engine, placed)
    assert answers is not None and answers.timeliness == 2 and answers.skill is None
    for _ in range(50):  # the status callback is sent as the call ends
        if attempt_of(engine, placed).outcome is not AttemptOutcome.PLACED:
            break
        page.wait_for_timeout(100)
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL
