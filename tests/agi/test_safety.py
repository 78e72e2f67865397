"""Life-safety advice on the keypad over FastAGI: 1 (emergency), then 1 gas or fire, 2 medical."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.agi.server import FastAGIServer
from models import CallEvent
from tests.agi.peer import CallScript, call
from tests.agi.test_fastagi import KNOWN, _env
from tests.agi.test_fastagi import estate as estate  # noqa: F401  (the fixtures)
from tests.agi.test_incidents import agi as agi  # noqa: F401


def kinds(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(CallEvent.kind).order_by(CallEvent.id)))


def test_gas_or_fire_on_the_keypad_plays_leave_and_119_before_the_queue(
    agi: FastAGIServer, engine: Engine
) -> None:
    t = call(agi.port, CallScript(keys=["1", "1"]), _env(agi.port, callerid=KNOWN))
    leave = t.files.index("hotline/emergency-leave")
    # "…拨打火警电话" 1 1 9 "，如有人受伤请拨打" 1 2 0, then the queue's announcement.
    assert t.files[leave + 1 : leave + 4] == ["hotline/digit-1"] * 2 + ["hotline/digit-9"]
    assert t.files[-1] == "hotline/route-emergency"
    assert t.variables["HOTLINE_QUEUE"] == "emergency"


def test_medical_on_the_keypad_then_1_asks_for_a_guard(agi: FastAGIServer, engine: Engine) -> None:
    t = call(agi.port, CallScript(keys=["1", "2", "1"]), _env(agi.port, callerid=KNOWN))
    assert "hotline/emergency-guard_ok" in t.files
    assert t.variables["HOTLINE_QUEUE"] == "emergency"
    assert "call.guard_requested" in kinds(engine)


def test_silence_at_the_question_queues_the_emergency_at_once(
    agi: FastAGIServer, engine: Engine
) -> None:
    t = call(agi.port, CallScript(keys=["1", None]), _env(agi.port, callerid=KNOWN))
    assert t.variables["HOTLINE_QUEUE"] == "emergency"
    assert "hotline/emergency-leave" not in t.files
