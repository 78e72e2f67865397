"""The FastAGI server against a peer that speaks as Asterisk does, over real TCP."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr import flow
from ivr.agi.inbound import InboundScript
from ivr.agi.server import FastAGIServer
from ivr.agi.service import queue_for_inquiry
from ivr.recorder import replay_spool
from models import Call, CallEvent, ResidentRole
from models.db import make_engine, session_factory
from tests import factories
from tests.agi.peer import CallScript, call, environment

# 10:00 in Shanghai on a Monday: the service centre is open.
OPEN_HOURS = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
# 23:00 in Shanghai: closed.
AFTER_HOURS = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
KNOWN = "13800138000"
UNKNOWN = "13911112222"


@pytest.fixture
def estate(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        c = factories.community(s, on_call_number="+8613700000000")
        factories.hotline_number(s, c, "+862160000001")
        u = factories.unit(s, c, "3", "1502", entrance="2")
        factories.unit(s, c, "3", "0801", entrance="1")
        r = factories.resident(
            s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[("+8613800138000", True)]
        )
        s.commit()
        return {"community": c.id, "unit": u.id, "resident": r.id}


def _server(engine: Engine, spool: Path, clock: dt.datetime) -> FastAGIServer:
    script = InboundScript(sessions=session_factory(engine), spool_dir=spool, clock=lambda: clock)
    server = FastAGIServer(
        ("127.0.0.1", 0),
        scripts={"hotline": script},
        unknown_script=queue_for_inquiry,
        read_timeout=10,
    )
    server.start()
    return server


@pytest.fixture
def agi(engine: Engine, estate: dict[str, int], tmp_path: Path) -> Iterator[FastAGIServer]:
    server = _server(engine, tmp_path / "spool", OPEN_HOURS)
    yield server
    server.shutdown()
    server.server_close()


def _calls(engine: Engine) -> list[Call]:
    with Session(engine) as s:
        return list(s.scalars(select(Call).order_by(Call.id)))


def _events(engine: Engine, call_id: int) -> list[str]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(CallEvent.kind).where(CallEvent.call_id == call_id).order_by(CallEvent.id)
            )
        )


def _env(port: int, callerid: str = KNOWN, uniqueid: str = "1763877600.101", **kw: str):
    return environment(port=port, callerid=callerid, uniqueid=uniqueid, **kw)


@pytest.mark.parametrize(
    ("key", "queue", "priority"),
    [("1", "emergency", 100), ("2", "repair", 20), ("3", "inquiry", 10), ("4", "complaint", 30)],
)
def test_given_known_caller_when_menu_choice_then_channel_has_queue_variables(
    agi: FastAGIServer,
    engine: Engine,
    estate: dict[str, int],
    key: str,
    queue: str,
    priority: int,
) -> None:
    t = call(agi.port, CallScript(keys=[key]), _env(agi.port))
    [record] = _calls(engine)
    assert t.variables["HOTLINE_QUEUE"] == queue
    assert t.variables["HOTLINE_PRIORITY"] == str(priority)
    assert t.variables["HOTLINE_CALL_ID"] == str(record.id)
    assert t.variables["HOTLINE_RESIDENT_ID"] == str(estate["resident"])
    assert t.closed_cleanly and not t.hung_up_by_server
    assert (record.disposition, record.queue, record.priority) == ("queued", queue, priority)
    assert (record.provider, record.provider_call_id) == ("asterisk", "1763877600.101")
    assert record.caller_e164 == "+8613800138000"
    assert record.community_id == estate["community"]
    assert record.ended_at is not None
    assert "call.started" in _events(engine, record.id)


def test_prompts_are_played_from_the_projects_own_sounds_in_the_callers_language(
    agi: FastAGIServer, estate: dict[str, int]
) -> None:
    t = call(agi.port, CallScript(keys=["3"]), _env(agi.port))
    assert t.variables["CHANNEL(language)"] == "zh"
    # The words around a value in the order the language says them (audio.speak).
    assert t.files[:3] == [
        "hotline/greeting-morning",
        "hotline/community-SH01",
        "hotline/greeting-morning-part2",
    ]
    assert "hotline/menu-main" in t.files
    assert all(f.startswith("hotline/") for f in t.files)


def test_given_unknown_caller_when_emergency_then_routes_without_identifying(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    t = call(agi.port, CallScript(keys=["1"]), _env(agi.port, callerid=UNKNOWN))
    assert t.variables["HOTLINE_QUEUE"] == "emergency"
    assert t.variables["HOTLINE_RESIDENT_ID"] == ""
    assert not any(f.startswith("hotline/id-") for f in t.files)


def test_given_unknown_caller_when_repair_then_unit_typed_on_keypad_is_found(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    # repair; building 3; room 21502 (entrance 2 then room, as 1502 exists in two entrances
    # of building 3 only when typed alone it is ambiguous); 1 to confirm.
    t = call(agi.port, CallScript(keys=["2", "3", "1502", "1"]), _env(agi.port, callerid=UNKNOWN))
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    assert t.variables["HOTLINE_UNIT_ID"] == str(estate["unit"])
    assert "hotline/id-confirm" in t.files


def test_given_withheld_number_then_call_is_served_as_unknown(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    t = call(agi.port, CallScript(keys=["3"]), _env(agi.port, callerid="anonymous"))
    assert t.variables["HOTLINE_QUEUE"] == "inquiry"
    [record] = _calls(engine)
    assert record.caller_e164 is None and record.caller_number == "anonymous"


def test_given_no_input_twice_then_inquiry_and_never_a_hangup(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    t = call(agi.port, CallScript(keys=[None, None]), _env(agi.port))
    assert t.variables["HOTLINE_QUEUE"] == "inquiry"
    assert not t.hung_up_by_server
    assert _calls(engine)[0].disposition == "queued"


def test_given_after_hours_emergency_then_on_call_number_is_set_for_the_dialplan(
    engine: Engine, estate: dict[str, int], tmp_path: Path
) -> None:
    server = _server(engine, tmp_path / "spool", AFTER_HOURS)
    try:
        t = call(server.port, CallScript(keys=["1"]), _env(server.port))
    finally:
        server.shutdown()
        server.server_close()
    assert t.variables["HOTLINE_TRANSFER"] == "+8613700000000"
    assert t.variables["HOTLINE_QUEUE"] == "emergency"  # if the on-call phone fails
    assert _calls(engine)[0].disposition == "sent_to_on_call"


def _full_call_length(port: int) -> int:
    return len(call(port, CallScript(keys=["2"]), _env(port, uniqueid="probe")).commands)


def test_given_caller_hangs_up_at_every_step_then_call_closes_abandoned_there(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    steps = _full_call_length(agi.port)
    for index in range(steps):
        t = call(
            agi.port,
            CallScript(keys=["2"], hangup_at=index),
            _env(agi.port, uniqueid=f"hangup.{index}"),
        )
        assert t.closed_cleanly, index
        dead_replies = t.commands[index + 1 :]
        assert len(dead_replies) <= 1, (index, dead_replies)  # stops at the first 511
    with Session(engine) as s:
        records = {c.provider_call_id: c for c in s.scalars(select(Call))}
    for index in range(steps):
        record = records[f"hangup.{index}"]
        assert record.ended_at is not None, index
        if record.disposition == "abandoned":  # at a state of the flow, or at its start
            assert record.disposition_step in {*flow.state_names(), "start"}, index
        else:  # the hang-up came after the queue was set: the call was queued
            assert record.disposition == "queued", (index, record.disposition)
    abandoned = [r for r in records.values() if r.disposition == "abandoned"]
    assert abandoned and {r.disposition_step for r in abandoned} >= {"main_menu"}


def test_given_garbage_from_the_peer_then_fail_safe_still_sets_a_queue(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    # The reply to GET DATA (command 3) is not AGI: the call goes to a queue anyway.
    t = call(agi.port, CallScript(keys=["2"], garbage_at=3), _env(agi.port))
    assert t.variables.get("HOTLINE_QUEUE") == "inquiry"
    [record] = _calls(engine)
    assert record.disposition == "queued"
    assert "call.error" in _events(engine, record.id)


def test_given_peer_disconnects_mid_command_then_call_is_closed_and_server_keeps_serving(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    call(agi.port, CallScript(keys=["2"], drop_at=3), _env(agi.port, uniqueid="drop.1"))
    t = call(agi.port, CallScript(keys=["4"]), _env(agi.port, uniqueid="after.1"))
    assert t.variables["HOTLINE_QUEUE"] == "complaint"
    records = {c.provider_call_id: c for c in _calls(engine)}
    _wait(lambda: _calls(engine)[0].ended_at is not None)
    assert records["drop.1"].disposition in (None, "abandoned")
    with Session(engine) as s:
        dropped = s.scalars(select(Call).where(Call.provider_call_id == "drop.1")).one()
        assert (dropped.disposition, dropped.disposition_step) == ("abandoned", "main_menu")


def _wait(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_given_script_not_served_then_caller_still_reaches_inquiry(agi: FastAGIServer) -> None:
    t = call(agi.port, CallScript(), environment("nosuchscript", port=agi.port))
    assert t.variables["HOTLINE_QUEUE"] == "inquiry"


def test_given_many_calls_at_once_then_each_is_routed_and_recorded(
    agi: FastAGIServer, engine: Engine, estate: dict[str, int]
) -> None:
    keys = ["1", "2", "3", "4"]

    def one(n: int) -> str:
        t = call(agi.port, CallScript(keys=[keys[n % 4]]), _env(agi.port, uniqueid=f"c.{n}"))
        return t.variables["HOTLINE_QUEUE"]

    with ThreadPoolExecutor(20) as pool:
        queues = list(pool.map(one, range(40)))
    assert queues == [["emergency", "repair", "inquiry", "complaint"][n % 4] for n in range(40)]
    assert len(_calls(engine)) == 40


def test_given_database_down_then_call_is_routed_and_its_record_spooled_then_written(
    engine: Engine, estate: dict[str, int], tmp_path: Path
) -> None:
    down = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    spool = tmp_path / "spool"
    script = InboundScript(
        sessions=session_factory(down), spool_dir=spool, clock=lambda: OPEN_HOURS
    )
    server = FastAGIServer(
        ("127.0.0.1", 0),
        scripts={"hotline": script},
        unknown_script=queue_for_inquiry,
        read_timeout=10,
    )
    server.start()
    try:
        t = call(server.port, CallScript(keys=["2"]), _env(server.port, uniqueid="outage.1"))
    finally:
        server.shutdown()
        server.server_close()
    assert t.variables["HOTLINE_QUEUE"] == "repair"  # the caller still reaches an agent
    assert len(list(spool.glob("*.jsonl"))) == 1
    assert replay_spool(session_factory(engine), spool) == 1
    assert not list(spool.glob("*.jsonl"))
    [record] = _calls(engine)
    assert (record.provider_call_id, record.disposition, record.queue) == (
        "outage.1",
        "queued",
        "repair",
    )
    assert "call.started" in _events(engine, record.id)


def test_server_runs_its_sessions_off_the_main_thread(agi: FastAGIServer) -> None:
    # pyst2's own constructor would fail here (signal handlers need the main thread).
    assert threading.current_thread() is threading.main_thread()
    assert call(agi.port, CallScript(keys=["3"]), _env(agi.port)).variables["HOTLINE_QUEUE"]
