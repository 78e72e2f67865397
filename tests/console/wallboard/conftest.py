"""The console app with the wallboard's clock frozen at :data:`builders.NOW`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agent_console.wallboard.http import CLOCK
from tests.console.conftest import log_in
from tests.console.wallboard.builders import NOW


@pytest.fixture
def frozen(app: Flask) -> Flask:
    """The app whose wallboard reads the time from :data:`NOW`."""
    app.extensions[CLOCK] = lambda: NOW
    return app


@pytest.fixture
def as_agent(frozen: Flask) -> Callable[[str], FlaskClient]:
    """A new client logged in as ``login``."""

    def logged_in(login: str) -> FlaskClient:
        client = frozen.test_client()
        response = log_in(client, login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return logged_in


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for building test data (committed by the test)."""
    with Session(engine) as session:
        yield session
