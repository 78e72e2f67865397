"""The AMI listener end to end: a fake Asterisk over TCP, our database, the event bus.

Each call is opened the way the FastAGI server leaves it (a Call closed
``queued`` when the flow handed it to the dialplan's ``Queue()``); then Asterisk
tells what happened in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hotline.bus import Event, InProcessBus, Subscription
from hotline.config import load_config
from hotline.exceptions import ConfigError
from ivr.ami.events import ManagerEvent
from ivr.ami.listener import AMIListener
from ivr.ami.service import build_listener
from ivr.ami.settings import parse_ami_url
from ivr.ami.tracker import CallTracker
from ivr.recorder import CallRecorder
from models import Agent, Call, CallEvent
from models.db import make_engine, session_factory
from tests.ami.peer import FakeAsterisk
from tests.ami.traffic import Agent as QueueMember
from tests.ami.traffic import Fields, QueuedCall

UNIQUEID = "1763877600.101"
AGENT = QueueMember("8001", "李娜")
WRONG_SECRET = "ami://hotline:s3cret@127.0.0.1:{port}"  # once Asterisk's secret was changed


class Hotline:
    """Our side: the database, the bus with a subscriber on ``call.*``, and listeners."""

    def __init__(self, engine: Engine, asterisk: FakeAsterisk, spool: Path) -> None:
        self.engine = engine
        self.asterisk = asterisk
        self.spool = spool
        self.bus = InProcessBus()
        self.subscription: Subscription = self.bus.subscribe("call.*")
        self.listeners: list[AMIListener] = []

    def listen(self, url: str | None = None, **timing: float) -> AMIListener:
        tracker = CallTracker(sessions=session_factory(self.engine), bus=self.bus)
        options = {"ping_interval": 5.0, "backoff_initial": 0.05, "backoff_max": 1.0} | timing
        listener = AMIListener(
            settings=parse_ami_url(url or self.asterisk.url),
            event_names=tracker.event_names,
            on_event=tracker.handle,
            **options,
        )
        listener.start()
        self.listeners.append(listener)
        return listener

    def ivr_call(self, uniqueid: str = UNIQUEID) -> int:
        """A call as the FastAGI flow leaves it: routed to repair, closed ``queued``."""
        recorder = CallRecorder(
            sessions=session_factory(self.engine),
            spool_dir=self.spool,
            provider="asterisk",
            provider_call_id=uniqueid,
        )
        recorder.start(
            caller_number="13800138000", caller_e164="+8613800138000", dialled_number="02160000001"
        )
        recorder.update(queue="repair", priority=50)
        recorder.close("queued", "main_menu")
        assert recorder.call_id is not None
        return recorder.call_id

    def agent(self, extension: str = "8001") -> int:
        with Session(self.engine) as s:
            agent = Agent(
                login=f"agent{extension}", name="李娜", password_hash="-", extension=extension
            )
            s.add(agent)
            s.commit()
            return agent.id

    def emit(self, *events: Fields) -> None:
        for fields in events:
            self.asterisk.emit(fields)

    def published(self, n: int, timeout: float = 10.0) -> list[Event]:
        events = []
        for _ in range(n):
            event = self.subscription.get(timeout)
            assert event is not None, f"only {len(events)} of {n} events published: {events}"
            events.append(event)
        return events

    def nothing_more_published(self) -> None:
        extra = self.subscription.get(timeout=0.3)
        assert extra is None, extra

    def call(self, call_id: int) -> Call:
        with Session(self.engine) as s:
            call = s.get(Call, call_id)
            assert call is not None
            s.expunge(call)
            return call

    def kinds(self, call_id: int) -> list[str]:
        with Session(self.engine) as s:
            return list(
                s.scalars(
                    select(CallEvent.kind)
                    .where(CallEvent.call_id == call_id)
                    .order_by(CallEvent.id)
                )
            )

    def all_events(self) -> list[CallEvent]:
        with Session(self.engine) as s:
            return list(s.scalars(select(CallEvent).order_by(CallEvent.id)))

    def close(self) -> None:
        for listener in self.listeners:
            listener.stop()
        self.bus.close()


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    with FakeAsterisk() as fake:
        yield fake


@pytest.fixture
def hotline(engine: Engine, asterisk: FakeAsterisk, tmp_path: Path) -> Iterator[Hotline]:
    ours = Hotline(engine, asterisk, tmp_path / "spool")
    yield ours
    ours.close()


@pytest.fixture
def listening(hotline: Hotline) -> Hotline:
    listener = hotline.listen()
    hotline.asterisk.wait(lambda f: f.logins == 1)
    _wait(lambda: listener.connected)
    return hotline


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_given_an_answered_call_then_each_step_is_recorded_announced_and_the_call_answered(
    listening: Hotline,
) -> None:
    call_id = listening.ivr_call()
    agent_id = listening.agent("8001")
    call = QueuedCall(call_id=call_id, timestamps=True)
    listening.emit(
        call.join(),
        call.agent_called(AGENT),
        call.leave(),
        call.agent_connect(AGENT, hold_time=12, ring_time=4),
        call.agent_complete(AGENT, hold_time=12, talk_time=95, reason="caller"),
        call.agent_hangup(AGENT),  # the agent's channel: not our call's end
        call.hangup(),
    )
    events = listening.published(6)
    listening.nothing_more_published()

    assert [e.topic for e in events] == [
        "call.queue_joined",
        "call.agent_called",
        "call.queue_left",
        "call.agent_connected",
        "call.agent_completed",
        "call.hangup",
    ]
    offered, connected, completed = events[1].payload, events[3].payload, events[4].payload
    assert offered | {"at": None} == {
        "call_id": call_id,
        "kind": "agent.called",
        "uniqueid": UNIQUEID,
        "at": None,
        "resident_id": None,
        "disposition": "queued",
        "queue": "repair",
        "agent": "李娜",
        "interface": "PJSIP/8001",
        "agent_channel": "PJSIP/8001-00000066",
        "agent_uniqueid": "1763877600.103",
        "agent_id": agent_id,
    }
    assert (connected["hold_time"], connected["ring_time"]) == (12, 4)
    assert connected["disposition"] == "answered"
    assert (completed["talk_time"], completed["reason"]) == (95, "caller")

    assert listening.kinds(call_id) == [
        "queue.joined",
        "agent.called",
        "queue.left",
        "agent.connected",
        "agent.completed",
        "call.hangup",
    ]
    record = listening.call(call_id)
    assert (record.disposition, record.disposition_step) == ("answered", "queue")
    hung_up = dt.datetime.fromtimestamp(1763877600 + 6 * 1.5, dt.UTC)  # the 7th event's Timestamp
    assert record.ended_at == hung_up
    assert events[-1].payload["at"] == hung_up.isoformat()


@pytest.mark.parametrize("abandon_event", [True, False], ids=["QueueCallerAbandon", "no-abandon"])
def test_given_caller_hangs_up_while_waiting_then_call_is_abandoned_in_the_queue(
    listening: Hotline, abandon_event: bool
) -> None:
    call_id = listening.ivr_call()
    call = QueuedCall(call_id=call_id)
    listening.emit(call.join(), call.agent_called(AGENT), call.ring_no_answer(AGENT, ring_time=15))
    if abandon_event:
        listening.emit(call.abandon(position=1, original_position=1, hold_time=33))
    listening.emit(call.leave(), call.hangup(cause=16))
    events = listening.published(6 if abandon_event else 5)

    assert events[-1].topic == "call.hangup"
    assert events[-1].payload["disposition"] == "abandoned"
    record = listening.call(call_id)
    assert (record.disposition, record.disposition_step) == ("abandoned", "queue")
    assert record.ended_at is not None and record.ended_at > record.started_at
    assert "agent.no_answer" in listening.kinds(call_id)


def test_given_a_call_that_never_reached_the_queue_then_hangup_keeps_the_ivrs_disposition(
    listening: Hotline,
) -> None:
    call_id = listening.ivr_call()
    listening.emit(QueuedCall(call_id=call_id).hangup())
    listening.published(1)
    record = listening.call(call_id)
    assert (record.disposition, record.disposition_step) == ("queued", "main_menu")


@pytest.mark.parametrize(
    "caller",
    [
        # Asterisk sends HOTLINE_CALL_ID: it wins even if the Uniqueid is not the AGI's
        # (the dialplan queued the caller through a Local channel).
        lambda call_id: QueuedCall(uniqueid="1763877600.150", call_id=call_id),
        # manager.conf has no channelvars=HOTLINE_CALL_ID: the caller's Uniqueid
        lambda call_id: QueuedCall(uniqueid=UNIQUEID, channelvars=False),
        # the variable is listed but empty on this channel: the caller's Uniqueid
        lambda call_id: QueuedCall(uniqueid=UNIQUEID, call_id=None),
        # a Local channel without the variable: its Linkedid is the caller's Uniqueid
        lambda call_id: QueuedCall(uniqueid="1763877600.150", linkedid=UNIQUEID, channelvars=False),
    ],
    ids=[
        "by-HOTLINE_CALL_ID",
        "by-Uniqueid-no-channelvars",
        "by-Uniqueid-empty-var",
        "by-Linkedid",
    ],
)
def test_queue_events_are_tied_to_our_call(
    listening: Hotline, caller: Callable[[int], QueuedCall]
) -> None:
    call_id = listening.ivr_call()
    call = caller(call_id)
    listening.emit(call.join(), call.agent_connect(AGENT))
    joined, connected = listening.published(2)
    assert joined.payload["call_id"] == connected.payload["call_id"] == call_id
    assert listening.kinds(call_id) == ["queue.joined", "agent.connected"]


def test_a_hangup_is_not_tied_by_linkedid_so_other_legs_do_not_end_the_call(
    listening: Hotline,
) -> None:
    call_id = listening.ivr_call()
    local = QueuedCall(uniqueid="1763877600.150", linkedid=UNIQUEID, channelvars=False)
    caller = QueuedCall(call_id=call_id)
    listening.emit(local.join(), local.hangup(), caller.agent_hangup(AGENT), caller.hangup())
    joined, hung_up = listening.published(2)
    listening.nothing_more_published()
    assert (joined.topic, hung_up.topic) == ("call.queue_joined", "call.hangup")
    assert hung_up.payload["uniqueid"] == UNIQUEID


def test_events_for_calls_we_do_not_know_are_ignored(
    listening: Hotline, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ivr.ami.tracker")
    call_id = listening.ivr_call()
    stranger = QueuedCall(uniqueid="1763877999.7", call_id=99999)  # an id we never gave out
    internal = QueuedCall(uniqueid="1763877999.8", channelvars=False)
    listening.emit(
        stranger.join(), stranger.agent_connect(AGENT), internal.join(), internal.hangup()
    )
    listening.emit(QueuedCall(call_id=call_id).join())  # and ours still gets through
    (event,) = listening.published(1)
    listening.nothing_more_published()
    assert event.payload["call_id"] == call_id
    assert [e.call_id for e in listening.all_events()] == [call_id]
    assert "not one of our calls" in caplog.text


@pytest.mark.parametrize("timestamps", [True, False], ids=["timestampevents", "no-timestamps"])
def test_given_two_listeners_then_every_event_is_recorded_and_announced_once(
    hotline: Hotline, timestamps: bool
) -> None:
    hotline.listen()
    hotline.listen()
    hotline.asterisk.wait(lambda f: f.logins == 2)
    call_id = hotline.ivr_call()
    call = QueuedCall(call_id=call_id, timestamps=timestamps)
    hotline.emit(call.join(), call.agent_connect(AGENT), call.hangup())
    events = hotline.published(3)
    hotline.nothing_more_published()
    # Once each; two listeners handle events in parallel, so not in a guaranteed order.
    assert sorted(e.topic for e in events) == [
        "call.agent_connected",
        "call.hangup",
        "call.queue_joined",
    ]
    assert sorted(hotline.kinds(call_id)) == ["agent.connected", "call.hangup", "queue.joined"]


def test_a_repeated_hangup_does_not_close_the_call_twice(listening: Hotline) -> None:
    call_id = listening.ivr_call()
    call = QueuedCall(call_id=call_id, timestamps=True)
    join, connect, hangup = call.join(), call.agent_connect(AGENT), call.hangup()
    listening.emit(join, connect, hangup)
    listening.published(3)
    ended = listening.call(call_id).ended_at
    late = QueuedCall(call_id=call_id, timestamps=True, clock=1763877700.0)
    listening.emit(connect, hangup, late.hangup(cause=127))
    listening.nothing_more_published()
    assert listening.kinds(call_id) == ["queue.joined", "agent.connected", "call.hangup"]
    assert listening.call(call_id).ended_at == ended


def test_given_asterisk_drops_the_connection_then_listener_logs_in_again_and_goes_on(
    listening: Hotline,
) -> None:
    listener = listening.listeners[0]
    call_id = listening.ivr_call()
    call = QueuedCall(call_id=call_id)
    listening.emit(call.join())
    listening.published(1)

    listening.asterisk.drop()  # Asterisk restarts
    listening.asterisk.wait(lambda f: f.logins == 2)
    _wait(lambda: listener.connected)
    listening.emit(call.agent_connect(AGENT), call.hangup())
    listening.published(2)

    assert listening.kinds(call_id) == ["queue.joined", "agent.connected", "call.hangup"]
    health = listener.health()
    assert health["running"] and health["connected"] and health["failures"] == 0
    assert "session ended" in health["last_error"]


def test_given_asterisk_goes_silent_then_listener_notices_and_logs_in_again(
    hotline: Hotline,
) -> None:
    listener = hotline.listen(ping_interval=0.2)  # silent for 3 pings (0.6 s): gone
    fake = hotline.asterisk
    fake.wait(lambda f: f.logins == 1)
    fake.mute = True  # a hung Asterisk, or a connection that died without a FIN
    fake.wait(lambda f: sum(a["Action"] == "Ping" for a in f.actions) >= 1)
    _wait(lambda: not listener.connected)
    fake.mute = False
    fake.wait(lambda f: f.logins >= 2)
    _wait(lambda: listener.connected)


def test_given_a_wrong_secret_then_listener_retries_with_growing_backoff_and_says_why(
    hotline: Hotline, caplog: pytest.LogCaptureFixture
) -> None:
    fake = hotline.asterisk
    fake.secret = "changed-on-the-pbx"
    listener = hotline.listen(url=WRONG_SECRET.format(port=fake.port))
    fake.wait(lambda f: f.failed_logins >= 4)

    health = listener.health()
    assert health["running"] and not health["connected"]
    assert health["failures"] >= 3
    assert "refused the login: Authentication failed" in health["last_error"]
    assert "s3cret" not in health["last_error"]
    gaps = [b - a for a, b in zip(fake.login_times, fake.login_times[1:], strict=False)]
    assert gaps[2] > gaps[0] * 1.5  # 0.05 s, 0.1 s, 0.2 s … with ±20 % jitter
    assert any(r.levelno == logging.ERROR and "refused" in r.getMessage() for r in caplog.records)

    fake.secret = "s3cret"  # the operator fixes manager.conf
    fake.wait(lambda f: f.logins == 1)
    _wait(lambda: listener.connected)
    assert listener.health()["failures"] == 0


def _stop_timed(listener: AMIListener) -> float:
    started = time.monotonic()
    listener.stop()
    return time.monotonic() - started


def test_stop_logs_off_promptly(listening: Hotline) -> None:
    listener = listening.listeners[0]
    assert _stop_timed(listener) < 3.0  # about 0.1 s; the bound allows a loaded 2-core CI
    assert not listener.running and not listener.connected
    assert listening.asterisk.actions[-1]["Action"] == "Logoff"
    listening.asterisk.wait(lambda f: f.sessions() == 0)


@pytest.mark.parametrize(
    "situation", ["asterisk-hung", "waiting-between-refusals", "login-being-refused-slowly"]
)
def test_stop_is_prompt_whatever_the_listener_is_doing(hotline: Hotline, situation: str) -> None:
    fake = hotline.asterisk
    if situation == "asterisk-hung":
        listener = hotline.listen()
        fake.wait(lambda f: f.logins == 1)
        fake.mute = True  # Logoff will get no Goodbye
    elif situation == "waiting-between-refusals":
        fake.secret = "other"
        listener = hotline.listen(url=WRONG_SECRET.format(port=fake.port), backoff_initial=30.0)
        fake.wait(lambda f: f.failed_logins == 1)
    else:
        fake.secret, fake.login_delay = "other", 10.0  # Asterisk delays refusals (1 s really)
        listener = hotline.listen(url=WRONG_SECRET.format(port=fake.port))
        fake.wait(lambda f: any(a["Action"] == "Login" for a in f.actions))
    assert _stop_timed(listener) < 4.5  # within stop()'s own 5 s limit, never hanging
    assert not listener.running
    assert not [t for t in threading.enumerate() if t.name.startswith("ami-")]


def test_given_the_database_is_down_then_the_event_is_logged_and_listening_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine("postgresql+psycopg://hotline@127.0.0.1:1/hotline")  # nothing listens
    with InProcessBus() as bus:
        subscription = bus.subscribe("*")
        tracker = CallTracker(sessions=session_factory(engine), bus=bus)
        fields = QueuedCall(call_id=12).join()
        tracker.handle(
            ManagerEvent(
                "QueueCallerJoin",
                {k: v for k, v in fields if k != "ChanVariable"},
                {"": {"HOTLINE_CALL_ID": "12"}},
                dt.datetime.now(dt.UTC),
            )
        )
        assert subscription.get(timeout=0.1) is None
    engine.dispose()
    assert "not recorded, database unavailable" in caplog.text


def test_the_listener_is_built_from_hotline_ami_url_only_when_it_is_set() -> None:
    engine = make_engine("sqlite://")
    with InProcessBus() as bus:
        assert build_listener(load_config(env={}), engine, bus) is None
        listener = build_listener(
            load_config(env={"HOTLINE_AMI_URL": "ami://hotline:s3cret@10.0.0.5"}), engine, bus
        )
        assert listener is not None and not listener.running
        assert str(listener.settings) == "ami://hotline@10.0.0.5:5038"
        assert set(listener.event_names) >= {"AgentConnect", "QueueCallerJoin", "Hangup"}
        with pytest.raises(ConfigError, match="HOTLINE_AMI_URL"):
            build_listener(load_config(env={"HOTLINE_AMI_URL": "10.0.0.5:5038"}), engine, bus)
    engine.dispose()
