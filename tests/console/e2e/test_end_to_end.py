"""Issue 5 end to end, in Chromium on the live app: a resident calls from the simulator and
presses 2 (repair); the dispatcher offers the call to agent A, the longest available, whose
desk pops 王建国's card without a reload while B's desk stays idle; A answers, opens a work
order from the card and dispatches it to the plumbing team; the order's number is then on
the card's open work orders of the unit; A hangs up and wraps up; the supervisor's wallboard
(open all along, polling) shows A on the call, then the answered call and A available again.

The dispatcher runs all along: rounds that offer the call while the simulated caller is
still on the way to the queue fail (``not waiting``) and leave A at the head of the agents'
line, since a failed offer is not the agent's doing.

SQLite only, like the other live-server browser tests. A failure keeps every page's
screenshot, HTML and console log in test-artifacts/ (tests/browser.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import Pages, log_in
from tests.console.e2e.conftest import Centre
from tests.simulator.test_browser import call_as

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # the machine is small and shared: generous, but every wait has a condition
RESIDENT = "王建国"
UNIT = "3栋2单元1502"


def until(condition: Callable[[], bool], timeout: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)


def open_desk(page: Any, login: str) -> None:
    """``login``'s desk, live (its event stream open) and available."""
    log_in(page, login, "/console/desk/", WAIT_MS)
    page.locator("#connection[data-online='1']").wait_for(timeout=WAIT_MS)
    page.locator("[data-presence=available]").click()
    page.locator("#presence-state[data-state=available]").wait_for(timeout=WAIT_MS)


def agent_row(board: Any, name: str) -> Any:
    """The wallboard's row of the agent called ``name``."""
    return board.locator("tbody[data-list=agents] tr", has_text=name)


def dispatch_work_order(desk: Any, team: str) -> str:
    """From the card: a repair order for the caller's leak, dispatched to ``team``; its number.

    The form opens in a tab of its own: the desk stays live behind it.
    """
    with desk.context.expect_page() as opened:
        desk.locator("#pop a.new-work-order").click()
    form = opened.value
    try:
        return _fill_and_dispatch(form, team)
    finally:
        form.close()


def _fill_and_dispatch(desk: Any, team: str) -> str:
    desk.wait_for_url(re.compile(r"/console/work-orders/new\?"), timeout=WAIT_MS)
    expect(desk.locator("strong.resident")).to_have_text(RESIDENT)
    expect(desk.locator("strong.unit")).to_contain_text("1502")
    desk.locator("#wo-category").select_option("repair")
    desk.locator("#wo-subcategory").select_option("leak")
    desk.locator("textarea[name=description]").fill("厨房水槽下水管漏水，地面有积水")
    desk.locator("form.work-order-form button[type=submit]").click()
    desk.wait_for_url(re.compile(r"/console/work-orders/\d+$"), timeout=WAIT_MS)
    number = desk.locator("h1 .number").inner_text().strip()
    assert number
    assert desk.locator(".status-open").count() == 1
    assignee = desk.locator("select[name=assignee] option", has_text=team).first
    desk.locator("select[name=assignee]").select_option(assignee.get_attribute("value"))
    desk.locator("input[name=note]").first.fill("请今天下午上门")
    desk.locator("form[action$='/dispatch'] button[type=submit]").click()
    desk.locator(".status-dispatched").wait_for(timeout=WAIT_MS)
    expect(desk.locator("dd.assignee")).to_contain_text(team)
    return number


def test_a_call_pops_on_a_only_and_ends_as_a_dispatched_order_on_the_wallboard(
    pages: Pages, centre: Centre
) -> None:
    board = pages.open("supervisor")
    log_in(board, "supervisor1", "/console/wallboard/")
    expect(board.locator("[data-field='today.answered']")).to_have_text("0")

    centre.dispatcher.start()
    a, b = pages.open("agent_a"), pages.open("agent_b")
    open_desk(a, "agent1")  # available first: the longest available gets the call
    open_desk(b, "agent2")
    expect(agent_row(board, "Agent B")).to_have_class(
        re.compile("state-available"), timeout=WAIT_MS
    )

    phone = pages.open("phone")
    call_as(phone, RESIDENT)
    phone.locator(".key[data-key='2']").click()

    # The pop: on A's desk, without a reload; B's desk stays as it was.
    card = a.locator("#pop .pop-card[data-call-id]")
    card.wait_for(timeout=WAIT_MS)
    call_id = card.get_attribute("data-call-id")
    expect(a.locator("#pop .resident-name")).to_have_text(RESIDENT)
    expect(a.locator("#pop .address")).to_contain_text(UNIT)
    expect(a.locator("#pop .queue-repair")).to_have_count(1)
    expect(a.locator("#answer")).to_be_visible()
    expect(a.locator("#presence-state")).to_have_attribute("data-state", "offered")
    assert b.request.get("/console/desk/state").json()["call"] is None  # the server's view
    expect(b.locator("#pop .pop-card")).to_have_count(0)
    expect(b.locator("#offer")).to_be_hidden()
    expect(b.locator("#answer")).to_be_hidden()
    expect(b.locator("#presence-state")).to_have_attribute("data-state", "available")

    a.locator("#answer").click()
    a.locator("#presence-state[data-state=on_call]").wait_for(timeout=WAIT_MS)
    phone.locator("#phone[data-state=connected]").wait_for(timeout=WAIT_MS)
    expect(agent_row(board, "Agent A")).to_have_class(re.compile("state-on_call"), timeout=WAIT_MS)

    number = dispatch_work_order(a, "工程部水电组")

    # The desk, live all along: its card redrawn with the order among the unit's open ones.
    order = a.locator(f"#pop .pop-card[data-call-id='{call_id}'] .work-orders li", has_text=number)
    order.wait_for(timeout=WAIT_MS)
    expect(order.locator(".status")).to_have_text("已派工")

    a.locator("#hang-up").click()
    phone.locator("#phone[data-state=ended]").wait_for(timeout=WAIT_MS)
    a.locator("#wrap-up-box").wait_for(state="visible", timeout=WAIT_MS)
    a.locator("#wrap-up select[name=code]").select_option("resolved")
    a.locator("#wrap-up textarea[name=notes]").fill(f"报修漏水，已开工单 {number} 派工程部")
    a.locator("#wrap-up button[type=submit]").click()
    a.locator("#presence-state[data-state=available]").wait_for(timeout=WAIT_MS)
    expect(a.locator(f".recent tbody tr[data-call-id='{call_id}']")).to_have_count(1)

    # The supervisor's wallboard, refreshed by its own polling (no reload).
    expect(board.locator("[data-field='today.answered']")).to_have_text("1", timeout=WAIT_MS)
    expect(board.locator("[data-field='today.offered']")).to_have_text("1")
    expect(agent_row(board, "Agent A")).to_have_class(
        re.compile("state-available"), timeout=WAIT_MS
    )
    expect(b.locator("#pop .pop-card")).to_have_count(0)  # B never saw the caller
    assert pages.errors() == {}
