"""Campaigns in Chromium: a supervisor creates a notice campaign from the form, starts it,
and watches its figures change without reloading the page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from models.outbound import AttemptOutcome, Campaign, CampaignStatus, JobStatus, OutboundJob
from tests.browser import Pages
from tests.console.surveys.conftest import Places, attempts

pytestmark = pytest.mark.browser
WAIT_MS = 15_000  # a few polling periods


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="surveys-test-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@pytest.fixture
def tab(served: str, pages: Pages) -> Any:
    return pages.open("campaign", base_url=served, locale="en")


def test_a_supervisor_starts_a_campaign_and_watches_it_progress(
    tab: Any, engine: Engine, places: Places
) -> None:
    tab.goto("/auth/login?next=/console/campaigns/new")
    tab.fill('input[name="login"]', "supervisor1")
    tab.fill('input[name="password"]', "supervisor1-demo")
    tab.click('button[type="submit"]')
    tab.wait_for_url("**/console/campaigns/new")
    tab.select_option('select[name="community"]', str(places.sh01))
    tab.fill('input[name="name"]', "Water cut")
    tab.fill('textarea[name="message"]', "No water tomorrow 9 to 12.")
    with tab.expect_navigation():
        tab.click("button.primary")
    assert tab.inner_text('[data-field="jobs"]') == "1"
    assert tab.inner_text('[data-field="status"]') == "Draft"

    with tab.expect_navigation():
        tab.click('form[action$="/start"] button')
    assert tab.inner_text('[data-field="status"]') == "Running"
    with Session(engine) as s:
        campaign = s.scalars(select(Campaign)).one()
        assert campaign.status is CampaignStatus.RUNNING
        job = s.scalars(select(OutboundJob).where(OutboundJob.campaign_id == campaign.id)).one()
        job.status = JobStatus.COMPLETED
        attempts(s, job, AttemptOutcome.NO_ANSWER, AttemptOutcome.COMPLETED)
        s.commit()

    tab.wait_for_function(
        "document.querySelector('[data-field=\"attempts\"]')?.textContent === '2'",
        timeout=WAIT_MS,
    )
    assert tab.inner_text('[data-field="completed_percent"]') == "100"  # a JSON number
    assert tab.inner_text('[data-field="failed_attempts"]') == "1"
    assert tab.inner_text('[data-status="completed"]') == "1"
    assert tab.get_attribute("[data-bar]", "style") == "width: 100%;"
