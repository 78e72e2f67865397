"""The Twilio app with a dispatcher's webhooks installed, agents, and Twilio's REST stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ivr.dispatch.connect import TwilioConnector
from ivr.dispatch.services import Dispatcher
from ivr.dispatch.webhooks import EXTENSION, DispatchWebhooks
from ivr.outbound.recording import RecordingProvider
from models import Agent, Community, PresenceState
from models.db import session_factory
from models.presence import set_presence
from tests.dispatch.twilio_rest import DispatchStandIn
from tests.outbound.conftest import twilio_spec  # noqa: F401  (a fixture)
from tests.twilio.conftest import app as twilio_app  # noqa: F401  (a fixture)
from tests.twilio.conftest import estate, spool, twilio  # noqa: F401  (fixtures)
from tests.twilio.peer import ACCOUNT, TOKEN

PUBLIC = "https://hotline.example.com"


@pytest.fixture
def sessions(engine: Engine) -> Callable[[], Session]:
    factory: Callable[[], Session] = session_factory(engine)
    return factory


@pytest.fixture
def app(twilio_app: Flask, sessions: Callable[[], Session]) -> Flask:  # noqa: F811
    """The Twilio webhooks, with a dispatcher running: the callback is offered."""
    twilio_app.extensions[EXTENSION] = DispatchWebhooks(sessions)
    return twilio_app


@pytest.fixture
def agent(sessions: Callable[[], Session]) -> Callable[..., int]:
    """Add an agent serving the given communities, in a presence state; its id."""

    def add(
        login: str,
        communities: list[int],
        state: PresenceState = PresenceState.AVAILABLE,
        *,
        identity: str | None = None,
        extension: str | None = None,
        since: Any = None,
    ) -> int:
        with sessions() as s:
            a = Agent(login=login, name=login, password_hash="-", identity=identity,
                      extension=extension)  # fmt: skip
            a.communities = [s.get_one(Community, c) for c in communities]
            s.add(a)
            s.flush()
            set_presence(s, a, state, "lunch" if state is PresenceState.PAUSED else None, now=since)
            s.commit()
            return a.id

    return add


@pytest.fixture
def standin(twilio_spec: dict[str, Any]) -> Iterator[DispatchStandIn]:  # noqa: F811
    with DispatchStandIn(twilio_spec, account_sid=ACCOUNT, auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def connector(standin: DispatchStandIn) -> Iterator[TwilioConnector]:
    twilio_connector = TwilioConnector(
        account_sid=ACCOUNT, auth_token=TOKEN, api_base_url=standin.base_url
    )
    yield twilio_connector
    twilio_connector.close()


@pytest.fixture
def rings() -> RecordingProvider:
    return RecordingProvider()


@pytest.fixture
def dispatcher(
    sessions: Callable[[], Session], connector: TwilioConnector, rings: RecordingProvider
) -> Dispatcher:
    return Dispatcher(sessions=sessions, connector=connector, provider=rings, base_url=PUBLIC)
