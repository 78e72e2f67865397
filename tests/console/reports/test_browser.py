"""The monthly analysis in Chromium: the charts draw, and on paper only the report is left.

Debian's Chromium driven by the ``playwright`` package against the real app served over
HTTP on a SQLite file; skipped locally when either is missing, failed under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from agent_console import create_app
from agent_console.reports.http import CLOCK
from hotline.config import load_config
from models import Agent, AgentRole
from models.db import make_engine
from tests import factories
from tests.browser import Pages, log_in
from tests.console.wallboard.builders import asterisk_call

pytestmark = pytest.mark.browser
NOW = dt.datetime(2026, 12, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def base_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The app with 阳光花园, three calls on 1 December and its supervisor, on a free port."""
    database = tmp_path / "hotline.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    with Session(engine) as s:
        community = factories.community(s)
        for minutes, wait in ((1, 5), (20, 50), (40, 15)):
            joined = dt.datetime(2026, 12, 1, 2, minutes, tzinfo=dt.UTC)
            asterisk_call(s, community.id, "repair", joined, answered_after=wait)
        boss = Agent(login="supervisor1", name="Supervisor1", role=AgentRole.SUPERVISOR)
        boss.set_password("supervisor1-demo")
        boss.communities = [community]
        s.add(boss)
        s.commit()
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": url}
    app = create_app(config=load_config(env=env))
    app.extensions[CLOCK] = lambda: NOW
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="reports-test-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()
        app.extensions["hotline.engine"].dispose()
        engine.dispose()


def test_the_charts_draw_and_print_without_the_consoles_controls(
    base_url: str, pages: Pages
) -> None:
    page = pages.open("report", base_url=base_url)
    log_in(page, "supervisor1", "/console/reports/monthly?month=2026-12")

    trend = page.locator("svg.chart.line").first.bounding_box()
    assert trend is not None and trend["width"] > 300 and trend["height"] > 80
    cell = page.locator("svg.heat rect", has_text="周二 10:00: 3")
    assert cell.count() == 1 and float(cell.get_attribute("fill-opacity") or 0) == 1.0
    assert page.locator("header.topbar").is_visible()
    assert page.locator(".report-tools").is_visible()

    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator(".report-tools").is_visible()
    assert page.locator("table[data-table=targets]").is_visible()
    assert page.locator("svg.chart.heat").is_visible()
    assert page.pdf(format="A4")[:4] == b"%PDF"
    assert pages.errors() == {}
