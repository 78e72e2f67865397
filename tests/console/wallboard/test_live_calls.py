"""The wallboard over calls recorded by the real adapters: Twilio's webhooks, Asterisk's AMI.

Here the calls are not hand-built rows: Twilio's requests (signed, as Twilio sends
them) go through the webhooks, and Asterisk's AMI events through the call tracker;
the figures must read what those wrote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agent_console.wallboard import services
from hotline.bus import InProcessBus
from hotline.config import Config
from ivr.ami.events import ManagerEvent
from ivr.ami.tracker import CallTracker
from ivr.dispatch.webhooks import EXTENSION, DispatchWebhooks
from models import Call, Direction, ResidentRole, utcnow
from models.db import session_factory
from tests import factories
from tests.ami.traffic import Agent as QueueMember
from tests.ami.traffic import QueuedCall
from tests.console.wallboard.builders import NOW
from tests.dispatch.helpers import press_while_waiting
from tests.twilio.peer import ACCOUNT, HOTLINE, KNOWN, TOKEN, Twilio

REPAIR_KEY = "2"  # the main menu: 1 emergency, 2 repair, 3 inquiry, 4 complaint


@pytest.fixture
def line(engine: Engine) -> int:
    """阳光花园, open all day, with its hotline number and 王建国 on file."""
    with Session(engine) as s:
        c = factories.community(s, opens_at=dt.time(0, 0), closes_at=dt.time(0, 0))
        factories.hotline_number(s, c, HOTLINE)
        unit = factories.unit(s, c, "3", "1502", entrance="2")
        factories.resident(s, "王建国", units=[(unit, ResidentRole.OWNER)], phones=[(KNOWN, True)])
        s.commit()
        return c.id


@pytest.fixture
def twilio(make_app: Callable[[Config], Flask], config: Config, engine: Engine) -> Twilio:
    """Twilio, calling the web app with the test account; a dispatcher offers callbacks."""
    account = {"twilio_auth_token": TOKEN, "twilio_account_sid": ACCOUNT}
    app = make_app(dataclasses.replace(config, **account))
    app.extensions[EXTENSION] = DispatchWebhooks(session_factory(engine))
    return Twilio(app, app.test_client())


def board(engine: Engine, community_id: int, now: dt.datetime | None = None) -> services.Figures:
    with Session(engine) as s:
        return services.figures(s, [community_id], now or utcnow())


def repair(figures: services.Figures) -> services.QueueNow:
    return {q.queue: q for q in figures.queues}["repair"]


def test_a_twilio_caller_waits_then_gives_up_after_45_seconds(
    twilio: Twilio, engine: Engine, line: int
) -> None:
    phone = twilio.call(KNOWN).press(REPAIR_KEY)
    assert phone.enqueued == "repair"

    waiting = board(engine, line)
    assert (repair(waiting).waiting, waiting.today.waiting) == (1, 1)
    assert repair(waiting).longest_wait is not None and repair(waiting).longest_wait < 60

    phone.leave_queue("hangup", waited="45")
    phone.hang_up()

    after = board(engine, line)
    assert repair(after).waiting == 0
    assert (after.today.offered, after.today.abandoned, after.today.abandoned_after) == (1, 1, 1)
    assert after.today.service_level == 0.0


@pytest.mark.parametrize(("waited", "in_target"), [("12", 1), ("25", 0)])
def test_a_twilio_caller_bridged_to_an_agent_is_answered_after_queue_time(
    twilio: Twilio, engine: Engine, line: int, waited: str, in_target: int
) -> None:
    phone = twilio.call(KNOWN).press(REPAIR_KEY)
    phone.leave_queue("bridged", waited=waited)

    during = board(engine, line)  # Twilio's final status not yet sent: the call goes on
    assert (during.today.answered, during.today.answered_in_target) == (1, in_target)
    phone.hang_up()
    after = board(engine, line)
    assert (after.today.answered, after.today.answered_in_target) == (1, in_target)
    assert repair(after).waiting == 0


def test_a_twilio_caller_who_asks_for_a_callback_is_a_pending_callback_not_a_caller(
    twilio: Twilio, engine: Engine, line: int
) -> None:
    phone = twilio.call(KNOWN).press(REPAIR_KEY)
    press_while_waiting(phone, phone.wait_in_queue(waited="70"), "1")
    phone.leave_queue("leave")
    phone.hang_up()

    after = board(engine, line)
    assert (repair(after).waiting, repair(after).callbacks_pending) == (0, 1)
    assert (after.today.callbacks_requested, after.today.abandoned) == (1, 0)


def _asterisk_call(engine: Engine, community_id: int, uniqueid: str, joined: dt.datetime) -> int:
    """The call row the FastAGI script leaves when it hands the caller to Queue()."""
    with Session(engine) as s:
        call = Call(
            provider="asterisk",
            provider_call_id=uniqueid,
            direction=Direction.INBOUND,
            community_id=community_id,
            queue="repair",
            priority=20,
            disposition="queued",
            disposition_step="main_menu",
            started_at=joined - dt.timedelta(seconds=40),
            ended_at=joined,
        )
        s.add(call)
        s.commit()
        return call.id


def _send(
    tracker: CallTracker, caller: QueuedCall, at: dt.datetime, event: str, *args: Any
) -> None:
    """Asterisk sends one AMI event about ``caller``, stamped ``at``."""
    caller.clock = at.timestamp()
    fields = getattr(caller, event)(*args)
    headers = {k: v for k, v in fields if k not in ("ChanVariable", "DestChanVariable")}
    variables = {"": {"HOTLINE_CALL_ID": str(caller.call_id)}}
    tracker.handle(ManagerEvent(headers["Event"], headers, variables, at))


def test_asterisk_callers_answered_abandoned_and_waiting(engine: Engine, line: int) -> None:
    member = QueueMember()
    seconds = lambda n: NOW + dt.timedelta(seconds=n)  # noqa: E731
    with InProcessBus() as bus:
        tracker = CallTracker(sessions=session_factory(engine), bus=bus)
        answered = QueuedCall(uniqueid="1764640700.1", timestamps=True)
        answered.call_id = _asterisk_call(engine, line, answered.uniqueid, seconds(-100))
        _send(tracker, answered, seconds(-100), "join")
        _send(tracker, answered, seconds(-88), "agent_called", member)
        _send(tracker, answered, seconds(-85), "agent_connect", member, 15)
        _send(tracker, answered, seconds(-85), "leave")
        _send(tracker, answered, seconds(-10), "hangup")
        gave_up = QueuedCall(uniqueid="1764640700.2", timestamps=True)
        gave_up.call_id = _asterisk_call(engine, line, gave_up.uniqueid, seconds(-60))
        _send(tracker, gave_up, seconds(-60), "join")
        _send(tracker, gave_up, seconds(-30), "abandon", 1, 1, 30)
        _send(tracker, gave_up, seconds(-30), "hangup")
        waiting = QueuedCall(uniqueid="1764640700.3", timestamps=True)
        waiting.call_id = _asterisk_call(engine, line, waiting.uniqueid, seconds(-40))
        _send(tracker, waiting, seconds(-40), "join")

    figures = board(engine, line, NOW)

    assert (repair(figures).waiting, repair(figures).longest_wait) == (1, 40.0)
    today = figures.today
    assert (today.offered, today.answered, today.answered_in_target) == (3, 1, 1)
    assert (today.abandoned, today.abandoned_after, today.service_level) == (1, 1, 0.5)
