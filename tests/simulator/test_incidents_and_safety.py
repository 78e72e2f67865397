"""Whole calls through the simulator (the Twilio webhooks, signed as Twilio signs them):
a declared incident's notice, its press-1 bypass, and the life-safety advice."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Call, CallEvent, Incident, IncidentScope
from tests.simulator.conftest import HOTLINE, Page

MESSAGE = "3栋供水主管爆裂，正在抢修，预计18点恢复供水。"


def twiml(text: str) -> ET.Element:
    doc = ET.fromstring(text)
    assert doc.tag == "Response", text
    return doc


def says(doc: ET.Element) -> list[str]:
    return [say.text or "" for say in doc.iter("Say")]


def place(page: Page, estate: dict[str, int]) -> tuple[str, ET.Element]:
    body = page.place(phone_id=estate["phone"], to=HOTLINE).get_json()
    assert body["status"] == 200, body
    return body["sid"], twiml(body["twiml"])


def step(page: Page, sid: str, doc: ET.Element, params: dict[str, str]) -> ET.Element:
    gather = doc.find("Gather")
    assert gather is not None, ET.tostring(doc)
    return twiml(page.send(sid, gather.attrib["action"], params).get_json()["twiml"])


def record(engine: Engine, sid: str) -> tuple[Call, list[tuple[str, dict]]]:
    with Session(engine) as s:
        call = s.scalars(select(Call).where(Call.provider_call_id == sid)).one()
        events = s.execute(
            select(CallEvent.kind, CallEvent.data)
            .where(CallEvent.call_id == call.id)
            .order_by(CallEvent.id)
        ).all()
        s.expunge_all()
        return call, [(kind, data) for kind, data in events]


@pytest.fixture
def burst_main(engine: Engine, estate: dict[str, int]) -> int:
    """An incident declared for 王建国's unit."""
    with Session(engine) as s:
        from models import Unit

        incident = Incident(
            community_id=estate["community"], scope=IncidentScope.UNITS, title="停水",
            message=MESSAGE, units=[s.get_one(Unit, estate["unit"])],
        )  # fmt: skip
        s.add(incident)
        s.commit()
        return incident.id


def test_an_affected_caller_hears_the_notice_and_silence_links_the_call(
    page: Page, engine: Engine, estate: dict[str, int], burst_main: int
) -> None:
    sid, first = place(page, estate)
    [gather] = first.findall("Gather")
    heard = says(gather)
    assert heard[0] == f"物业服务中心通知：{MESSAGE}" and "请按1" in heard[1]
    last = step(page, sid, first, {})
    assert "您的来电已记录" in says(last)[0] and last.find("Hangup") is not None
    assert last.find("Enqueue") is None
    call, events = record(engine, sid)
    assert (call.disposition, call.disposition_step) == ("incident_linked", "incident_notice")
    assert ("call.incident", {"incident_ids": [burst_main], "unit_id": estate["unit"]}) in events


def test_pressing_1_bypasses_the_notice_to_the_menu_without_a_link(
    page: Page, engine: Engine, estate: dict[str, int], burst_main: int
) -> None:
    sid, first = place(page, estate)
    menu = step(page, sid, first, {"Digits": "1"})
    assert any("报修" in text for text in says(menu))
    queued = step(page, sid, menu, {"Digits": "2"})
    assert (queued.findtext("Enqueue") or "").strip() == "repair"
    call, events = record(engine, sid)
    assert call.queue == "repair"
    assert "call.incident" not in [kind for kind, _ in events]
    assert "call.incident_bypassed" in [kind for kind, _ in events]


def test_a_caller_outside_the_affected_units_hears_no_notice(
    page: Page, engine: Engine, estate: dict[str, int], burst_main: int
) -> None:
    with Session(engine) as s:
        from models import PhoneNumber

        other = s.scalars(select(PhoneNumber).where(PhoneNumber.e164 == "+8613912345678")).one()
    body = page.place(phone_id=other.id, to=HOTLINE).get_json()
    assert not any(MESSAGE in text for text in says(twiml(body["twiml"])))


def test_gas_spoken_then_told_to_leave_and_call_119_then_queued(
    page: Page, engine: Engine, estate: dict[str, int]
) -> None:
    sid, first = place(page, estate)
    doc = step(page, sid, first, {"SpeechResult": "家里有燃气味", "Confidence": "0.9"})
    heard = says(doc)
    assert "立即离开楼内" in heard[0] and "火警电话1 1 9" in heard[0] and "1 2 0" in heard[0]
    assert (doc.findtext("Enqueue") or "").strip() == "emergency"
    _call, events = record(engine, sid)
    assert ("call.emergency", {"kind": "gas", "unit_id": estate["unit"]}) in events


def test_medical_spoken_then_offered_a_guard_and_1_asks_for_one(
    page: Page, engine: Engine, estate: dict[str, int]
) -> None:
    sid, first = place(page, estate)
    offer = step(page, sid, first, {"SpeechResult": "快叫救护车", "Confidence": "0.9"})
    [gather] = offer.findall("Gather")
    assert gather.get("input") == "dtmf" and "急救电话1 2 0" in says(gather)[0]
    queued = step(page, sid, offer, {"Digits": "1"})
    assert "保安会到小区门口接应救护车" in says(queued)[0]
    assert (queued.findtext("Enqueue") or "").strip() == "emergency"
    _call, events = record(engine, sid)
    assert ("call.guard_requested", {"unit_id": estate["unit"]}) in events
