"""The simulator's page in Chromium against the real app served over HTTP.

Chromium is Debian's (``/usr/bin/chromium``), driven by the ``playwright``
package's own driver; ``playwright install`` is never needed. Locally a
missing Chromium or playwright skips these tests; under ``CI=true`` it fails
them. A failing test leaves a screenshot and the page's HTML in
``test-artifacts/`` (or ``$HOTLINE_TEST_ARTIFACTS``): see :mod:`tests.browser`.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from agent_console import create_app
from agent_console.simulator.calls import NoSuchCall, SimulatedCalls
from agent_console.simulator.http import CALLS, OUTBOUND
from hotline.config import load_config
from ivr.outbound import OutboundCall, Purpose
from ivr.outbound.recording import RecordingProvider
from models import Call, Community
from models.db import make_engine
from tests.browser import Pages
from tests.simulator.conftest import build_estate

pytestmark = pytest.mark.browser

STATE_TIMEOUT_MS = 30_000


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, Flask]]:
    """The real app on a migrated SQLite file with a small estate, served on a free port."""
    database = tmp_path / "hotline.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    build_estate(engine)
    engine.dispose()
    config = load_config(
        env={"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": url}
    )
    app = create_app(config=config)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="simulator-test-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()
        app.extensions["hotline.engine"].dispose()


@pytest.fixture
def page(server: tuple[str, Flask], pages: Pages) -> Any:
    """The simulator's phone: a page on the server (saved if the test fails)."""
    pages.base_url = server[0]
    return pages.open("phone")


def call_as(page: Any, name: str) -> None:
    """Open the simulator, pick ``name`` from the demo residents, and call the hotline."""
    page.goto("/simulator/")
    page.get_by_role("button", name=name).click()
    page.locator("#call").click()
    page.locator("#phone[data-state=gather]").wait_for(timeout=STATE_TIMEOUT_MS)


def test_given_a_known_resident_when_pressing_2_then_waiting_in_the_repair_queue(
    page: Any, server: tuple[str, Flask]
) -> None:
    call_as(page, "王建国")
    assert "阳光花园物业服务中心" in page.locator("#transcript").inner_text()
    page.locator(".key[data-key='2']").click()
    page.locator("#phone[data-state=queue]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert page.locator("#queue-name").inner_text() == "repair"
    page.locator("#queue-position").filter(has_text="1").wait_for(timeout=STATE_TIMEOUT_MS)
    calls: SimulatedCalls = server[1].extensions[CALLS]
    [waiting] = calls.waiting()
    assert (waiting.queue, waiting.form["From"]) == ("repair", "+8613800138000")


def test_given_speech_about_a_leak_then_waiting_in_the_emergency_queue(page: Any) -> None:
    call_as(page, "王建国")
    page.locator("#speech").fill("我家厨房漏水了")
    page.locator("#speech-form button[type=submit]").click()
    page.locator("#phone[data-state=queue]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert page.locator("#queue-name").inner_text() == "emergency"
    assert "我家厨房漏水了" in page.locator("#transcript").inner_text()


def test_when_an_agent_answers_then_connected_and_hanging_up_ends_the_call(
    page: Any, server: tuple[str, Flask]
) -> None:
    call_as(page, "王建国")
    page.locator(".key[data-key='2']").click()
    page.locator("#phone[data-state=queue]").wait_for(timeout=STATE_TIMEOUT_MS)
    calls: SimulatedCalls = server[1].extensions[CALLS]
    [waiting] = calls.waiting()
    calls.answer(waiting.sid, "agent1")
    page.locator("#phone[data-state=connected]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#hangup").click()
    page.locator("#phone[data-state=ended]").wait_for(timeout=STATE_TIMEOUT_MS)
    deadline = time.monotonic() + STATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:  # the status callback makes the simulator forget it
        try:
            calls.get(waiting.sid)
        except NoSuchCall:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the status callback never reached the webhooks")
    with server[1].extensions["hotline.sessions"]() as session:
        ended = session.scalar(select(Call.ended_at).where(Call.provider_call_id == waiting.sid))
    assert ended is not None


def test_when_the_hotline_calls_back_then_the_idle_phone_rings_and_answers(
    page: Any, server: tuple[str, Flask]
) -> None:
    recorder = RecordingProvider()
    server[1].extensions[OUTBOUND] = recorder
    # The callback's own answer webhook belongs to the callback issue; /twilio/voice stands in.
    call = OutboundCall(
        to="+8613800138000",
        purpose=Purpose.CALLBACK,
        answer_path="/twilio/voice",
        correlation_id="cb-7",
    )
    recorder.place(call)
    page.goto("/simulator/")
    page.locator("#phone[data-state=ringing]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert "+86 138****8000" in page.locator("#ring").inner_text()
    page.locator("#ring-answer").click()
    page.locator("#phone[data-state=gather]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert recorder.pending() == []


def close_the_centre(app: Flask) -> None:
    """After hours: no weekday is a working day."""
    with app.extensions["hotline.sessions"]() as session:
        for community in session.scalars(select(Community)):
            community.business_days = ""
        session.commit()


def press(page: Any, key: str, turn: int) -> None:
    """Press ``key`` at the ``turn``-th gather of the call."""
    page.locator(f"#phone[data-state=gather][data-gathers='{turn}']").wait_for(
        timeout=STATE_TIMEOUT_MS
    )
    page.locator(f".key[data-key='{key}']").click()


def test_given_after_hours_emergency_then_on_call_dialled_then_emergency_queue_if_unanswered(
    page: Any, server: tuple[str, Flask]
) -> None:
    close_the_centre(server[1])
    call_as(page, "王建国")
    press(page, "1", turn=1)
    press(page, "0", turn=2)  # what kind: any other key goes on at once
    page.locator("#phone[data-state=dial]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert page.locator("#dial-number").inner_text() == "+8613700000000"
    page.locator("button[data-dial=no-answer]").click()
    page.locator("#phone[data-state=queue]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert page.locator("#queue-name").inner_text() == "emergency"


def test_given_after_hours_message_then_recorded_and_the_call_ends(
    page: Any, server: tuple[str, Flask]
) -> None:
    close_the_centre(server[1])
    call_as(page, "王建国")
    press(page, "3", turn=1)
    press(page, "1", turn=2)
    page.locator("#phone[data-state=record]").wait_for(timeout=STATE_TIMEOUT_MS)
    page.locator("#message").fill("3栋1502，厨房水管漏水，请明天上午来修。")
    page.locator("#record-done").click()
    page.locator("#phone[data-state=ended]").wait_for(timeout=STATE_TIMEOUT_MS)
    assert "感谢您的留言" in page.locator("#transcript").inner_text()
    with server[1].extensions["hotline.sessions"]() as session:
        assert session.scalar(select(Call.disposition)) == "message_left"
