"""The wallboard in Chromium: it refreshes itself without a reload, and says when it cannot.

Debian's Chromium (``/usr/bin/chromium``) driven by the ``playwright`` package, against
the real app served over HTTP on a SQLite file; skipped locally when Chromium or
playwright is missing, failed under ``CI=true``. A failure keeps each page's screenshot,
HTML and console log (tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from agent_console import create_app
from agent_console.wallboard.http import CLOCK
from hotline.config import load_config
from models import Agent, AgentRole, Community
from models.db import make_engine
from tests import factories
from tests.browser import Pages, log_in
from tests.console.wallboard.builders import NOW, at, twilio_call
from tests.simulator.conftest import build_estate

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # a few refresh periods
SERVED: dict[str, Flask] = {}  # base URL → the app serving it


class Clock:
    """The wallboard's clock, which a test can stop (every refresh then fails)."""

    def __init__(self) -> None:
        self.broken = False

    def __call__(self) -> dt.datetime:
        if self.broken:
            raise RuntimeError("the database is out")
        return NOW


def _serve(
    tmp_path: Path, sqlite_template: Path, estate: Callable[[Engine], int]
) -> Iterator[tuple[str, Engine, Flask]]:
    """The app on a SQLite file with ``estate`` and a supervisor of it, on a free port."""
    database = tmp_path / "hotline.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    community_id = estate(engine)
    with Session(engine) as s:
        boss = Agent(login="supervisor1", name="Supervisor1", role=AgentRole.SUPERVISOR)
        boss.set_password("supervisor1-demo")
        boss.communities = [s.get_one(Community, community_id)]
        s.add(boss)
        s.commit()
    config = load_config(
        env={"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": url}
    )
    app: Flask = create_app(config=config)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="wallboard-test-server")
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    SERVED[base] = app
    try:
        yield base, engine, app
    finally:
        SERVED.pop(base, None)
        httpd.shutdown()
        thread.join()
        httpd.server_close()
        app.extensions["hotline.engine"].dispose()
        engine.dispose()


def _one_community(engine: Engine) -> int:
    with Session(engine) as s:
        community_id = factories.community(s).id
        s.commit()
        return community_id


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, Engine, Clock]]:
    """阳光花园 and its supervisor, the board's clock frozen at NOW (and breakable)."""
    for base, engine, app in _serve(tmp_path, sqlite_template, _one_community):
        clock = Clock()
        app.extensions[CLOCK] = clock
        app.logger.disabled = True  # the broken clock's tracebacks are expected
        yield base, engine, clock


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, Engine]]:
    """The simulator's estate (王建国 on 阳光花园's hotline) on the real clock."""
    for base, engine, _ in _serve(
        tmp_path, sqlite_template, lambda e: build_estate(e)["community"]
    ):
        yield base, engine


def _open_board(pages: Pages, base: str) -> Any:
    """A new tab on the wallboard, logged in as the supervisor."""
    tab = pages.open("board", base_url=base)
    log_in(tab, "supervisor1", "/console/wallboard/")
    return tab


@pytest.fixture
def board(server: tuple[str, Engine, Clock], pages: Pages) -> Any:
    """The wallboard open in a tab, logged in as the supervisor."""
    return _open_board(pages, server[0])


def _text(tab: Any, selector: str) -> Callable[[], str]:
    return lambda: str(tab.locator(selector).inner_text()).strip()


def test_the_board_shows_a_new_caller_without_a_reload(
    server: tuple[str, Engine, Clock], board: Any, pages: Pages
) -> None:
    _, engine, _ = server
    waiting = '[data-queue="repair"] [data-q="waiting"]'
    longest = '[data-queue="repair"] [data-q="longest_wait_text"]'
    assert _text(board, waiting)() == "0"
    assert "大屏监控" in board.title()
    loaded = board.evaluate("performance.timeOrigin")

    with Session(engine) as s:
        community_id = s.scalars(select(Community.id)).one()
        twilio_call(s, community_id, "repair", at(-95))
        s.commit()

    board.wait_for_function(
        "s => document.querySelector(s).textContent.trim() === '1'", arg=waiting, timeout=WAIT_MS
    )
    assert _text(board, longest)() == "1:35"
    assert board.evaluate("performance.timeOrigin") == loaded  # the same page: no reload
    assert board.locator(".stale-warning").is_hidden()
    assert pages.errors() == {}


def test_a_failing_refresh_shows_since_when_the_board_is_stale(
    server: tuple[str, Engine, Clock], board: Any, pages: Pages
) -> None:
    _, _, clock = server
    warning = board.locator(".stale-warning")
    assert warning.is_hidden()

    clock.broken = True
    warning.wait_for(state="visible", timeout=WAIT_MS)
    assert "10:00:00" in warning.inner_text()  # the last time the figures were right
    assert "stale" in (board.locator("body").get_attribute("class") or "")

    clock.broken = False
    warning.wait_for(state="hidden", timeout=WAIT_MS)
    assert pages.errors() == {}


def test_an_event_on_the_bus_refreshes_the_board_at_once(
    server: tuple[str, Engine, Clock], pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, engine, _ = server
    monkeypatch.setattr("agent_console.wallboard.http.REFRESH_SECONDS", 600)  # no poll soon
    tab = _open_board(pages, base)
    waiting = '[data-queue="repair"] [data-q="waiting"]'
    tab.wait_for_timeout(500)  # the page's EventSource connects
    with Session(engine) as s:
        twilio_call(s, s.scalars(select(Community.id)).one(), "repair", at(-20))
        s.commit()
    app = SERVED[base]
    app.extensions["hotline.bus"].publish("call.queue_joined", {"call_id": 1})

    tab.wait_for_function(
        "s => document.querySelector(s).textContent.trim() === '1'", arg=waiting, timeout=WAIT_MS
    )
    assert pages.errors() == {}


def test_a_resident_calling_from_the_simulator_shows_on_the_board_until_they_hang_up(
    live: tuple[str, Engine], pages: Pages
) -> None:
    base, _ = live
    board = _open_board(pages, base)
    phone = pages.watch("phone", board.context.new_page())
    phone.goto("/simulator/")
    phone.get_by_role("button", name="王建国").click()
    phone.locator("#call").click()
    phone.locator("#phone[data-state=gather]").wait_for(timeout=WAIT_MS)
    phone.locator(".key[data-key='2']").click()  # repair
    phone.locator("#phone[data-state=queue]").wait_for(timeout=WAIT_MS)

    waiting = '[data-queue="repair"] [data-q="waiting"]'
    shown = "([s, n]) => document.querySelector(s).textContent.trim() === n"
    board.wait_for_function(shown, arg=[waiting, "1"], timeout=WAIT_MS)
    board.wait_for_function(shown, arg=['[data-field="today.offered"]', "1"], timeout=WAIT_MS)

    phone.locator("#hangup").click()
    board.wait_for_function(shown, arg=[waiting, "0"], timeout=WAIT_MS)
    board.wait_for_function(shown, arg=['[data-field="today.abandoned"]', "1"], timeout=WAIT_MS)
    assert pages.errors() == {}
