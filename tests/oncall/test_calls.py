"""Whole on-call ladders through the telephony adapters: the simulator's phone (the signed
Twilio webhooks) and the FastAGI server byte for byte as Asterisk runs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from agent_console.simulator.http import OUTBOUND
from hotline.config import Config
from ivr.agi.server import FastAGIServer
from ivr.agi.service import queue_for_inquiry
from ivr.agi.survey import SurveyScript
from ivr.dialer.claims import Claim
from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from ivr.outbound.recording import RecordingProvider
from models.db import session_factory
from models.oncall import Escalation, EscalationStatus
from models.outbound import AttemptOutcome, OutboundAttempt
from tests.agi.peer import CallScript, call, environment
from tests.oncall.estate import BACKUP, FIRST, NOW, RESIDENT, emergency, estate
from tests.simulator.conftest import Page


def _escalation(engine: Engine) -> Escalation:
    with Session(engine) as s:
        return s.scalars(select(Escalation)).one()


def _outcomes(engine: Engine) -> list[AttemptOutcome]:
    with Session(engine) as s:
        return list(s.scalars(select(OutboundAttempt.outcome).order_by(OutboundAttempt.id)))


class Simulator:
    """The web app with no telephony account: the dialer's calls ring its simulator."""

    def __init__(self, app: Flask, engine: Engine) -> None:
        self.app, self.page = app, Page(app.test_client())
        self.recorder = RecordingProvider()
        app.extensions[OUTBOUND] = self.recorder
        self.dialer = Dialer(
            sessions=session_factory(engine),
            provider=self.recorder,
            pacer=Pacer(1000.0),
            name="dialer-sim",
            publish=app.extensions["hotline.bus"].publish,
        )

    def ring(self) -> list[Claim]:
        return self.dialer.run_once()

    def answer(self) -> tuple[str, str]:
        """Pick up the ringing call: its sid and the first TwiML."""
        rings = self.page.get("/simulator/rings").get_json()["rings"]
        assert len(rings) == 1, rings
        body = self.page.client.post(f"/simulator/rings/{rings[0]['sid']}/answer").get_json()
        assert body["status"] == 200
        return body["sid"], body["twiml"]

    def press(self, sid: str, twiml: str, key: str) -> str:
        """Press ``key`` at the Gather: the next TwiML."""
        action = re.search(r'<Gather[^>]* action="([^"]+)"', twiml)
        assert action, twiml
        url = action.group(1).replace("&amp;", "&")
        return str(self.page.send(sid, url, {"Digits": key}).get_json()["twiml"])


@pytest.fixture
def simulator(make_app: Any, config: Config, engine: Engine) -> Simulator:
    return Simulator(make_app(config), engine)


def test_a_whole_ladder_on_the_simulator_decline_then_the_backup_accepts(
    simulator: Simulator, session: Session, engine: Engine
) -> None:
    ids = estate(session, tries=1)
    order = emergency(session, ids, now=NOW)
    events = simulator.app.extensions["hotline.bus"].subscribe("oncall.*")

    assert [c.number for c in simulator.ring()] == [FIRST]
    sid, twiml = simulator.answer()
    assert "水管爆裂" in twiml and "3栋2单元1 5 0 2室" in twiml and "接受任务请按1" in twiml
    assert "1 3 8 0 0 1 3 8 0 0 0" in twiml  # the resident's number, read digit by digit
    assert "下一位值班人员" in simulator.press(sid, twiml, "2")

    assert [c.number for c in simulator.ring()] == [BACKUP]
    sid, twiml = simulator.answer()
    assert "请尽快前往现场" in simulator.press(sid, twiml, "1")

    found = _escalation(engine)
    assert (found.status, found.accepted_name) == (EscalationStatus.ACCEPTED, "张师傅")
    assert _outcomes(engine) == [AttemptOutcome.DECLINED, AttemptOutcome.COMPLETED]
    accepted = events.get(timeout=2)
    assert accepted is not None and accepted.topic == "oncall.accepted"
    assert accepted.payload["work_order_id"] == order.id
    # The resident's phone rings next: help is on the way.
    assert [c.number for c in simulator.ring()] == [RESIDENT]
    _, twiml = simulator.answer()
    assert "正在赶往现场，预计10分钟内到达" in twiml
    events.close()


@pytest.fixture
def agi(engine: Engine) -> Iterator[FastAGIServer]:
    published: list[tuple[str, dict[str, Any]]] = []
    script = SurveyScript(
        sessions=session_factory(engine), clock=lambda: NOW, publish=lambda *e: published.append(e)
    )
    server = FastAGIServer(
        ("127.0.0.1", 0),
        scripts={"survey": script},
        unknown_script=queue_for_inquiry,
        read_timeout=10,
    )
    server.published = published  # type: ignore[attr-defined]
    server.start()
    yield server
    server.shutdown()
    server.server_close()


def _asterisk_answers(agi: FastAGIServer, claim: Claim, keys: list[str | None]) -> Any:
    env = environment("survey", port=agi.port, uniqueid=f"1764615600.{claim.attempt_id}")
    env += [("agi_arg_1", str(claim.attempt_id)), ("agi_arg_2", "HUMAN")]
    return call(agi.port, CallScript(keys=keys), env)


def test_a_whole_ladder_over_asterisk_no_answer_then_accept(
    agi: FastAGIServer, session: Session, engine: Engine
) -> None:
    ids = estate(session, tries=2, retry=60)
    emergency(session, ids, subcategory="burst_pipe", now=NOW)
    clock = {"now": NOW}
    dialer = Dialer(
        sessions=session_factory(engine),
        provider=RecordingProvider(),
        pacer=Pacer(1000.0),
        name="dialer-agi",
        clock=lambda: clock["now"],
    )

    [first] = dialer.run_once()
    silent = _asterisk_answers(agi, first, [None, None])  # picks up, presses nothing
    assert silent.files[:3] == ["hotline/oncall-intro", "hotline/community-SH01",
                                "hotline/oncall-intro-part2"]  # fmt: skip
    assert "hotline/oncall-kind-burst_pipe" in silent.files
    assert "hotline/word-building" in silent.files and "hotline/oncall-undecided" in silent.files
    assert silent.hung_up_by_server

    clock["now"] = NOW.replace(minute=1)
    [second] = dialer.run_once()
    assert (second.number, second.seq) == (FIRST, 2)
    accepted = _asterisk_answers(agi, second, ["1"])
    assert "hotline/oncall-accepted" in accepted.files

    assert _outcomes(engine) == [AttemptOutcome.NO_ANSWER, AttemptOutcome.COMPLETED]
    found = _escalation(engine)
    assert (found.status, found.accepted_name, found.accepted_at) == (
        EscalationStatus.ACCEPTED,
        "李师傅",
        NOW,
    )
    assert [topic for topic, _ in agi.published] == ["oncall.accepted"]  # type: ignore[attr-defined]
