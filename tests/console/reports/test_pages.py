"""The report pages: who sees which communities, masked numbers, audit, charts, files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from agent_console.reports.http import CLOCK
from models import AuditLog
from tests.console.conftest import log_in
from tests.console.wallboard.builders import asterisk_call

NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 on 2 December in Shanghai
AsAgent = Callable[[str], FlaskClient]


@pytest.fixture
def as_agent(app: Flask) -> AsAgent:
    app.extensions[CLOCK] = lambda: NOW

    def logged_in(login: str) -> FlaskClient:
        client = app.test_client()
        assert log_in(client, login).status_code == 302
        return client

    return logged_in


@pytest.fixture
def abandoned(engine: Engine, estate: dict[str, int]) -> dict[str, int]:
    """Yesterday (1 December) one abandoned caller in SH01 and one in SH02."""
    found = {}
    with Session(engine) as s:
        for code, number in (("SH01", "+8613800138000"), ("SH02", "+8613900139000")):
            call = asterisk_call(s, estate[code], "repair", NOW - dt.timedelta(days=1),
                                 abandoned_after=45)  # fmt: skip
            call.caller_e164 = number
            found[code] = call.id
        s.commit()
    return found


def test_an_agent_sees_yesterday_of_their_communities_with_numbers_masked(
    as_agent: AsAgent, abandoned: dict[str, int], engine: Engine
) -> None:
    page = as_agent("agent1").get("/console/reports/daily")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-12-01" in html and "+86 138****8000" in html
    assert "13800138000" not in html and "139****9000" not in html  # SH02 is not theirs
    with Session(engine) as s:
        rows = s.scalars(select(AuditLog)).all()
    assert [(a.action, a.subject_id) for a in rows] == [("view", "daily:2026-12-01")]


def test_a_supervisor_sees_whole_numbers_and_each_is_audited(
    as_agent: AsAgent, abandoned: dict[str, int], engine: Engine
) -> None:
    html = (
        as_agent("supervisor1").get("/console/reports/daily?date=2026-12-01").get_data(as_text=True)
    )

    assert "+8613800138000" in html and "+8613900139000" in html
    with Session(engine) as s:
        unmasked = s.scalars(select(AuditLog.subject_id).where(AuditLog.action == "unmask")).all()
    assert sorted(unmasked) == sorted(str(i) for i in abandoned.values())


def test_another_communitys_report_is_not_found(as_agent: AsAgent, estate: dict[str, int]) -> None:
    client = as_agent("agent1")
    assert client.get(f"/console/reports/daily?community={estate['SH02']}").status_code == 404
    assert client.get(f"/console/reports/monthly?community={estate['SH01']}").status_code == 200
    assert client.get("/console/reports/monthly?community=x").status_code == 404
    assert client.get("/console/reports/monthly?month=2026-13").status_code == 400
    assert client.application.test_client().get("/console/reports/daily").status_code == 302


def test_the_monthly_page_draws_its_charts_and_files_read_back(
    as_agent: AsAgent, abandoned: dict[str, int], estate: dict[str, int]
) -> None:
    client = as_agent("supervisor1")

    html = client.get("/console/reports/monthly?month=2026-12").get_data(as_text=True)
    assert html.count("<svg") == 3 and "<polyline" in html and "<rect" in html
    assert "Tue 09:00: 2" not in html  # the page speaks Chinese by default
    assert "周二 09:00: 2" in html  # 1 December 09:00 in Shanghai: both callers
    assert "@media print" not in html and "reports.css" in html
    csv_text = client.get("/console/reports/monthly.csv?month=2026-12").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert rows[0] == ["目标达成"] and rows[2][:3] == ["呼入来电", "2", "0"]
    xlsx = client.get(f"/console/reports/daily.xlsx?date=2026-12-01&community={estate['SH01']}")
    assert xlsx.headers["Content-Disposition"].endswith('morning-review-2026-12-01.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.data))["abandoned"]
    assert list(sheet.iter_rows(min_row=3, values_only=True)) == [
        ("SH01", "2026-12-01 09:59", "报修", "+8613800138000", 45.0)
    ]


def test_the_help_page_defines_every_figure(as_agent: AsAgent) -> None:
    client = as_agent("agent1")
    client.get("/auth/language/en")
    html = client.get("/console/reports/help", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    for words in ("Service level (20 s)", "Rework", "Repeat complaints", "Callback rate",
                  "exactly at the deadline", "reports.orders.repairs"):  # fmt: skip
        assert words in html


def test_the_reports_link_is_in_the_navigation(as_agent: AsAgent) -> None:
    html = as_agent("agent1").get("/console/reports/help").get_data(as_text=True)
    assert 'href="/console/reports/daily"' in html and "报表" in html
