"""What the survey tests over FastAGI share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ivr.agi.server import FastAGIServer
from ivr.agi.service import queue_for_inquiry
from ivr.agi.survey import SurveyScript
from models.db import session_factory
from tests.surveys.outbound_estate import NOW


@pytest.fixture
def survey_agi(engine: Engine) -> Iterator[FastAGIServer]:
    """The FastAGI server with the survey script, at the outbound estate's fixed time."""
    script = SurveyScript(sessions=session_factory(engine), clock=lambda: NOW)
    server = FastAGIServer(
        ("127.0.0.1", 0),
        scripts={"survey": script},
        unknown_script=queue_for_inquiry,
        read_timeout=10,
    )
    server.start()
    yield server
    server.shutdown()
    server.server_close()
