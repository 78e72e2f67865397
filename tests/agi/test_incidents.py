"""A declared incident's notice over FastAGI, against the peer that speaks as Asterisk does:
the status message is played from the incident's own recording (hotline/incident-<id>)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.agi.server import FastAGIServer
from models import Call, CallEvent, Incident, IncidentScope, Unit
from tests.agi.peer import CallScript, call
from tests.agi.test_fastagi import KNOWN, OPEN_HOURS, UNKNOWN, _env, _server
from tests.agi.test_fastagi import estate as estate  # noqa: F401  (the fixture)


@pytest.fixture
def agi(engine: Engine, estate: dict[str, int], tmp_path: Path) -> Iterator[FastAGIServer]:  # noqa: F811
    server = _server(engine, tmp_path / "spool", OPEN_HOURS)
    yield server
    server.shutdown()
    server.server_close()


def declare(engine: Engine, estate: dict[str, int], scope: IncidentScope) -> int:  # noqa: F811
    with Session(engine) as s:
        units = [s.get_one(Unit, estate["unit"])] if scope is IncidentScope.UNITS else []
        incident = Incident(
            community_id=estate["community"], scope=scope, title="停电",
            message="3栋停电抢修中。", declared_at=OPEN_HOURS - dt.timedelta(hours=1), units=units,
        )  # fmt: skip
        s.add(incident)
        s.commit()
        return incident.id


def the_call(engine: Engine) -> tuple[Call, list[tuple[str, dict]]]:
    with Session(engine) as s:
        record = s.scalars(select(Call)).one()
        events = s.execute(
            select(CallEvent.kind, CallEvent.data).where(CallEvent.call_id == record.id)
        ).all()
        s.expunge_all()
        return record, [(kind, data) for kind, data in events]


def test_an_affected_caller_hears_the_recording_then_silence_links_and_hangs_up(
    agi: FastAGIServer,
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
) -> None:
    incident = declare(engine, estate, IncidentScope.UNITS)
    t = call(agi.port, CallScript(keys=[None]), _env(agi.port, callerid=KNOWN))
    notice = t.files.index("hotline/incident-status")
    assert t.files[notice : notice + 3] == [
        "hotline/incident-status",
        f"hotline/incident-{incident}",
        "hotline/incident-menu",
    ]
    assert t.files[-1] == "hotline/incident-linked" and t.hung_up_by_server
    assert "HOTLINE_QUEUE" not in t.variables and "hotline/menu-main" not in t.files
    record, events = the_call(engine)
    assert (record.disposition, record.disposition_step) == ("incident_linked", "incident_notice")
    assert ("call.incident", {"incident_ids": [incident], "unit_id": estate["unit"]}) in events


def test_pressing_1_reaches_the_menu_and_the_queue_unlinked(
    agi: FastAGIServer,
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
) -> None:
    declare(engine, estate, IncidentScope.UNITS)
    t = call(agi.port, CallScript(keys=["1", "2"]), _env(agi.port, callerid=KNOWN))
    assert "hotline/menu-main" in t.files
    assert t.variables["HOTLINE_QUEUE"] == "repair" and not t.hung_up_by_server
    _record, events = the_call(engine)
    assert "call.incident" not in [kind for kind, _ in events]


@pytest.mark.parametrize(
    ("scope", "caller", "hears"),
    [
        (IncidentScope.UNITS, UNKNOWN, False),  # not known to live in the unit
        (IncidentScope.COMMUNITY, UNKNOWN, True),  # community-wide: everyone
    ],
)
def test_who_hears_it(
    agi: FastAGIServer,
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
    scope: IncidentScope,
    caller: str,
    hears: bool,
) -> None:
    declare(engine, estate, scope)
    t = call(agi.port, CallScript(keys=["3"]), _env(agi.port, callerid=caller))
    assert ("hotline/incident-status" in t.files) is hears
    if not hears:
        assert t.variables["HOTLINE_QUEUE"] == "inquiry"
