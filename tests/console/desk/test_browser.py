"""The desk in Chromium, end to end on the simulator: a resident calls, the dispatcher offers
the call, the agent's desk pops it without a reload, the agent answers, the caller hangs up,
and the agent wraps the call up before being available again. A failure keeps the desk's
and the phone's screenshot, HTML and console log (tests/browser.py)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from agent_console.simulator.calls import SimulatedCalls
from agent_console.simulator.http import CALLS
from hotline.config import Config
from ivr.dispatch.plugin import install
from models import Community
from models.staff import Agent
from tests.browser import Pages, log_in
from tests.simulator.test_browser import (  # noqa: F401  (fixtures)
    STATE_TIMEOUT_MS,
    call_as,
    page,
    server,
)

pytestmark = pytest.mark.browser


def until(condition: Callable[[], bool], step: Callable[[], object], timeout: float = 30) -> None:
    """Run ``step`` until ``condition`` holds (a dispatcher round, here)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        step()
        time.sleep(0.2)


@pytest.mark.parametrize("agent_hangs_up", [False, True], ids=["caller-hangs-up", "agent-hangs-up"])
def test_the_desk_pops_the_call_the_agent_answers_and_wraps_up(
    server: tuple[str, Flask],  # noqa: F811
    page: Any,  # noqa: F811
    pages: Pages,
    agent_hangs_up: bool,
) -> None:
    _, app = server
    config: Config = dataclasses.replace(app.config["HOTLINE"], wrap_up_seconds="0")
    app.config["HOTLINE"] = config
    with app.extensions["hotline.sessions"]() as session:
        agent = Agent(login="agent1", name="Agent One", extension="1001")
        agent.set_password("agent1-demo")
        agent.communities = list(session.query(Community))
        session.add(agent)
        session.commit()
    dispatcher = install(app, config).dispatcher

    desk = pages.open("desk")  # the simulator's server, like the phone
    log_in(desk, "agent1", "/console/desk/")
    desk.locator("#connection[data-online='1']").wait_for(timeout=STATE_TIMEOUT_MS)
    desk.locator("[data-presence=available]").click()
    desk.locator("#presence-state[data-state=available]").wait_for(timeout=STATE_TIMEOUT_MS)

    call_as(page, "王建国")
    page.locator(".key[data-key='2']").click()
    # Waiting (the wait URL offers a callback with a <Gather>, so not "queue" on the page).
    calls: SimulatedCalls = app.extensions[CALLS]
    until(lambda: bool(calls.waiting()), lambda: None)
    until(lambda: bool(dispatcher.run_once()), lambda: None)

    desk.locator("#pop .pop-card[data-call-id]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert desk.locator("#pop .resident-name").inner_text() == "王建国"
    assert desk.locator("#pop .caller-number").inner_text() == "+86 138****8000"
    desk.locator("#answer").click()
    desk.locator("#presence-state[data-state=on_call]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#phone[data-state=connected]").wait_for(timeout=STATE_TIMEOUT_MS)

    if agent_hangs_up:
        desk.locator("#hang-up").click()
    else:
        page.locator("#hangup").click()
    page.locator("#phone[data-state=ended]").wait_for(timeout=STATE_TIMEOUT_MS)
    until(lambda: desk.locator("#wrap-up-box").is_visible(), dispatcher.run_once)
    desk.locator("#wrap-up select[name=code]").select_option("resolved")
    desk.locator("#wrap-up textarea[name=notes]").fill("厨房漏水，已告知维修时间")
    desk.locator("#wrap-up button[type=submit]").click()
    desk.locator("#presence-state[data-state=available]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert desk.locator("#wrap-up-box").is_hidden()
    desk.locator(".recent tbody tr[data-call-id]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert desk.locator("#pop .pop-card").count() == 0  # the caller's file left the screen
    assert pages.errors() == {}
