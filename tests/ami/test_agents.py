"""Agents on Asterisk: app_queue's Agent* events pop the call up on that agent's desk and
move their presence; a pause on the desk reaches app_queue as ``QueuePause``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hotline.bus import InProcessBus
from hotline.config import Config
from ivr.ami.pause import PauseSync
from ivr.ami.settings import parse_ami_url
from models import AgentPresence, Call, PresenceState
from models.db import session_factory
from models.presence import set_presence
from models.staff import Agent
from tests.ami.peer import FakeAsterisk
from tests.ami.test_listener import AGENT, Hotline
from tests.ami.traffic import QueuedCall


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    with FakeAsterisk() as fake:
        yield fake


@pytest.fixture
def listening(engine: Engine, asterisk: FakeAsterisk, tmp_path: Path) -> Iterator[Hotline]:
    ours = Hotline(engine, asterisk, tmp_path / "spool")
    listener = ours.listen()
    asterisk.wait(lambda f: f.logins == 1)
    wait_for(lambda: listener.connected)
    yield ours
    ours.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def presence(engine: Engine, agent_id: int) -> AgentPresence | None:
    with Session(engine) as s:
        return s.scalars(
            select(AgentPresence).where(AgentPresence.agent_id == agent_id)
        ).one_or_none()


def test_agent_called_pops_the_call_on_that_agents_desk_then_connect_and_complete(
    listening: Hotline, engine: Engine
) -> None:
    call_id = listening.ivr_call()
    agent_id = listening.agent("8001")
    other = listening.agent("8002")
    desk = listening.bus.subscribe(f"agent.{agent_id}.*")
    elsewhere = listening.bus.subscribe(f"agent.{other}.*")
    call = QueuedCall(call_id=call_id, timestamps=True)
    listening.emit(call.join(), call.agent_called(AGENT))
    popped = desk.get(timeout=10)
    assert popped is not None and popped.topic == f"agent.{agent_id}.offered"
    assert popped.payload == {"agent_id": agent_id, "call_id": call_id}
    offered = presence(engine, agent_id)
    assert offered is not None and offered.state is PresenceState.OFFERED
    assert offered.call_id == call_id
    listening.emit(call.agent_connect(AGENT))
    connected = desk.get(timeout=10)
    assert connected is not None and connected.topic == f"agent.{agent_id}.connected"
    on_call = presence(engine, agent_id)
    assert on_call is not None and on_call.state is PresenceState.ON_CALL
    answered = listening.call(call_id)
    assert answered.agent_id == agent_id and answered.answered_at is not None
    listening.emit(call.agent_complete(AGENT))
    done = desk.get(timeout=10)
    assert done is not None and done.topic == f"agent.{agent_id}.presence"
    after = presence(engine, agent_id)
    assert after is not None and after.state is PresenceState.WRAP_UP
    assert elsewhere.get(timeout=0.3) is None  # nothing for the other agent


def test_no_answer_frees_the_agent_and_an_abandon_frees_whoever_was_ringing(
    listening: Hotline, engine: Engine
) -> None:
    call_id = listening.ivr_call()
    agent_id = listening.agent("8001")
    call = QueuedCall(call_id=call_id, timestamps=True)
    listening.emit(call.join(), call.agent_called(AGENT), call.ring_no_answer(AGENT))
    wait_for(
        lambda: (presence(engine, agent_id) or AgentPresence()).state is PresenceState.AVAILABLE
    )
    listening.emit(call.agent_called(AGENT))
    wait_for(lambda: (presence(engine, agent_id) or AgentPresence()).state is PresenceState.OFFERED)
    listening.emit(call.abandon())
    wait_for(
        lambda: (presence(engine, agent_id) or AgentPresence()).state is PresenceState.AVAILABLE
    )
    with Session(engine) as s:
        assert s.get_one(Call, call_id).answered_at is None


def add_agent(engine: Engine, extension: str, state: PresenceState, reason: str = "") -> int:
    with Session(engine) as s:
        agent = Agent(login=f"a{extension}", name="李娜", password_hash="-", extension=extension)
        s.add(agent)
        s.flush()
        set_presence(s, agent, state, reason or None)
        s.commit()
        return agent.id


def test_queue_pause_is_sent_when_an_agent_may_or_may_not_be_rung(
    engine: Engine, asterisk: FakeAsterisk
) -> None:
    asterisk.queue_members.add("PJSIP/1001")
    agent_id = add_agent(engine, "1001", PresenceState.PAUSED, "meal: 午饭")
    sync = PauseSync(
        settings=parse_ami_url(asterisk.url),
        sessions=session_factory(engine),
        bus=InProcessBus(),
    )
    assert sync.sync(agent_id) is True
    login, pause, logoff = asterisk.actions[-3:]
    assert login["Action"] == "Login" and login["Events"] == "off"
    assert {k: v for k, v in pause.items() if k != "ActionID"} == {
        "Action": "QueuePause",
        "Interface": "PJSIP/1001",
        "Paused": "true",
        "Reason": "meal: 午饭",
    }
    assert logoff["Action"] == "Logoff"
    count = len(asterisk.actions)
    assert sync.sync(agent_id) is None and len(asterisk.actions) == count  # unchanged
    with Session(engine) as s:
        set_presence(s, s.get_one(Agent, agent_id), PresenceState.AVAILABLE)
        s.commit()
    assert sync.sync(agent_id) is False
    unpause = [a for a in asterisk.actions if a["Action"] == "QueuePause"][-1]
    assert (unpause["Paused"], "Reason" in unpause) == ("false", False)


def test_queue_pause_refused_by_asterisk_is_tried_again_next_time(
    engine: Engine, asterisk: FakeAsterisk
) -> None:
    agent_id = add_agent(engine, "1002", PresenceState.OFFLINE)  # in no queue yet
    sync = PauseSync(
        settings=parse_ami_url(asterisk.url), sessions=session_factory(engine), bus=InProcessBus()
    )
    assert sync.sync(agent_id) is None
    asterisk.queue_members.add("PJSIP/1002")
    assert sync.sync(agent_id) is True


def test_a_pause_on_the_desk_reaches_app_queue(
    config: Config,
    make_app: Callable[[Config], Flask],
    engine: Engine,
    asterisk: FakeAsterisk,
) -> None:
    asterisk.queue_members.add("PJSIP/1001")
    app = make_app(dataclasses.replace(config, ami_url=asterisk.url))
    with Session(engine) as s:
        agent = Agent(login="li", name="李娜", extension="1001")
        agent.set_password("li-demo")
        s.add(agent)
        s.commit()
    sync = PauseSync(
        settings=parse_ami_url(asterisk.url),
        sessions=session_factory(engine),
        bus=app.extensions["hotline.bus"],
    )
    sync.start()
    try:
        client = app.test_client()
        from tests.console.conftest import log_in

        assert log_in(client, "li").status_code == 302
        from tests.console.desk.conftest import token

        response = client.post(
            "/console/desk/presence",
            json={"state": "paused", "reason": "training"},
            headers=token(client),
        )
        assert response.status_code == 200, response.json
        asterisk.wait(lambda f: any(a["Action"] == "QueuePause" for a in f.actions))
    finally:
        sync.stop()
    [pause] = [a for a in asterisk.actions if a["Action"] == "QueuePause"]
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == (
        "PJSIP/1001",
        "true",
        "training",
    )
