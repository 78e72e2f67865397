"""The on-call calendar: agents read it, supervisors edit it, every change audited, and an
emergency opened in the console starts its ladder and shows it on the order's page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import AuditLog, WorkOrder
from models.oncall import Escalation, EscalationStatus, OnCallRotation, OnCallShift, OnCallStep
from models.outbound import JobPurpose, OutboundJob
from tests.console.conftest import csrf_token
from tests.console.oncall.conftest import WANG
from tests.console.work_orders.conftest import Places, as_agent

PAGE = "/console/oncall/"
ZONE = ZoneInfo("Asia/Shanghai")


def _local(delta_hours: float) -> str:
    when = dt.datetime.now(ZONE) + dt.timedelta(hours=delta_hours)
    return when.strftime("%Y-%m-%dT%H:%M")


def shift_form(token: str, *people: int, starts: float = -1, ends: float = 11) -> dict[str, object]:
    return {
        "csrf_token": token,
        "starts": _local(starts),
        "ends": _local(ends),
        "person": [str(p) for p in people] + [""],
    }


def _supervisor(client: FlaskClient, places: Places) -> str:
    as_agent(client, "supervisor1")
    return csrf_token(client, f"{PAGE}?community={places.sh01}")


def test_a_supervisor_adds_a_shift_with_its_ladder_and_it_is_audited(
    client: FlaskClient, places: Places, staff: dict[str, int], engine: Engine
) -> None:
    token = _supervisor(client, places)
    url = f"/console/oncall/{places.sh01}/plumbing/shifts"

    response = client.post(url, data=shift_form(token, staff["王师傅"], staff["赵师傅"]))

    assert response.status_code == 303
    with Session(engine) as s:
        shift = s.scalars(select(OnCallShift)).one()
        steps = s.scalars(select(OnCallStep).order_by(OnCallStep.position)).all()
        assert [st.technician_id for st in steps] == [staff["王师傅"], staff["赵师傅"]]
        assert shift.ends_at - shift.starts_at == dt.timedelta(hours=12)
        entry = s.scalars(select(AuditLog).where(AuditLog.subject_type == "on_call_shift")).one()
        assert (entry.action, entry.agent_id) == ("create", places.agents["supervisor1"])
        assert entry.detail["ladder"] == [staff["王师傅"], staff["赵师傅"]]
    page = client.get(response.location).get_data(as_text=True)
    assert "王师傅 → 赵师傅" in page


def test_an_agent_reads_the_calendar_but_may_not_change_it(
    client: FlaskClient, places: Places, staff: dict[str, int], engine: Engine
) -> None:
    token = _supervisor(client, places)
    client.post(f"/console/oncall/{places.sh01}/plumbing/shifts",
                data=shift_form(token, staff["王师傅"]))  # fmt: skip
    client.post("/auth/logout", data={"csrf_token": token})
    as_agent(client, "agent1")

    page = client.get(PAGE).get_data(as_text=True)
    assert "王师傅" in page and "Add shift" not in page and "添加班次" not in page
    token = csrf_token(client, "/console/work-orders/new")
    url = f"/console/oncall/{places.sh01}/plumbing/shifts"
    assert client.post(url, data=shift_form(token, staff["赵师傅"])).status_code == 403


def test_a_shift_without_the_csrf_token_is_refused(
    client: FlaskClient, places: Places, staff: dict[str, int]
) -> None:
    _supervisor(client, places)
    form = shift_form("", staff["王师傅"])
    del form["csrf_token"]
    response = client.post(f"/console/oncall/{places.sh01}/plumbing/shifts", data=form)
    assert response.status_code == 400


def test_wrong_shifts_are_refused_with_a_message(
    client: FlaskClient, places: Places, staff: dict[str, int], engine: Engine
) -> None:
    token = _supervisor(client, places)
    url = f"/console/oncall/{places.sh01}/plumbing/shifts"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    reversed_times = client.post(url, data=shift_form(token, staff["王师傅"], starts=5, ends=1))
    other_place = client.post(url, data=shift_form(token, staff["周师傅"]))
    twice = client.post(url, data=shift_form(token, staff["王师傅"], staff["王师傅"]))
    nobody = client.post(url, data=shift_form(token))

    assert [r.status_code for r in (reversed_times, other_place, twice, nobody)] == [400] * 4
    assert "The end must come after the start." in reversed_times.get_data(as_text=True)
    assert "Choose one of the list." in other_place.get_data(as_text=True)
    assert "Each person appears once in the ladder." in twice.get_data(as_text=True)
    with Session(engine) as s:
        assert s.scalars(select(OnCallShift)).all() == []


def test_settings_are_saved_audited_and_checked(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    token = _supervisor(client, places)
    url = f"/console/oncall/{places.sh01}/lifts/settings"
    form = {"csrf_token": token, "retry_seconds": "90", "tries_per_person": "3",
            "supervisor_name": "陈主管", "supervisor_phone": "139 0000 0009"}  # fmt: skip

    assert client.post(url, data=form).status_code == 303
    bad = client.post(url, data=form | {"supervisor_phone": "12", "retry_seconds": "90"})
    worse = client.post(url, data=form | {"tries_per_person": "9"})

    assert (bad.status_code, worse.status_code) == (400, 400)
    with Session(engine) as s:
        rotation = s.scalars(select(OnCallRotation)).one()
        assert (rotation.trade, rotation.retry_seconds, rotation.tries_per_person) == (
            "lifts",
            90,
            3,
        )
        assert rotation.supervisor_phone == "+8613900000009"
        entry = s.scalars(select(AuditLog).where(AuditLog.subject_type == "on_call_rotation")).one()
        assert entry.detail["after"]["supervisor_phone"] == "+8613900000009"


def test_another_communitys_calendar_is_not_found(
    client: FlaskClient, places: Places, staff: dict[str, int]
) -> None:
    as_agent(client, "agent3")  # SH02 only
    token = csrf_token(client, "/console/work-orders/new")
    page = client.get(f"{PAGE}?community={places.sh01}").get_data(as_text=True)
    assert "王师傅" not in page and "周师傅" not in page  # SH02 shown instead: no shifts yet
    url = f"/console/oncall/{places.sh01}/plumbing/settings"
    response = client.post(url, data={"csrf_token": token, "retry_seconds": "60"})
    assert response.status_code in (403, 404)


def test_removing_a_shift_is_audited(
    client: FlaskClient, places: Places, staff: dict[str, int], engine: Engine
) -> None:
    token = _supervisor(client, places)
    client.post(f"/console/oncall/{places.sh01}/plumbing/shifts",
                data=shift_form(token, staff["王师傅"]))  # fmt: skip
    with Session(engine) as s:
        shift_id = s.scalars(select(OnCallShift.id)).one()

    response = client.post(f"/console/oncall/shifts/{shift_id}/delete", data={"csrf_token": token})

    assert response.status_code == 303
    with Session(engine) as s:
        assert s.scalars(select(OnCallShift)).all() == []
        actions = s.scalars(select(AuditLog.action).where(AuditLog.subject_type == "on_call_shift"))
        assert sorted(actions) == ["create", "delete"]


def test_an_emergency_opened_in_the_console_calls_the_person_on_call(
    app: Flask, client: FlaskClient, places: Places, staff: dict[str, int], engine: Engine
) -> None:
    token = _supervisor(client, places)
    client.post(f"/console/oncall/{places.sh01}/plumbing/shifts",
                data=shift_form(token, staff["王师傅"], staff["赵师傅"]))  # fmt: skip
    form = {"csrf_token": token, "call": str(places.call), "unit": str(places.unit),
            "resident": str(places.resident), "category": "emergency",
            "subcategory": "burst_pipe", "description": "水管爆裂",
            "location": "in_unit"}  # fmt: skip

    with app.extensions["hotline.bus"].subscribe("oncall.*") as events:
        response = client.post("/console/work-orders/new", data=form)
        event = events.get(timeout=2)

    assert response.status_code == 303
    with Session(engine) as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.call_id == places.call)).one()
        escalation = s.scalars(select(Escalation)).one()
        job = s.scalars(select(OutboundJob).where(OutboundJob.purpose == JobPurpose.ON_CALL)).one()
    assert (escalation.work_order_id, escalation.status) == (order.id, EscalationStatus.CALLING)
    assert (job.number, job.work_order_id) == (WANG, order.id)
    assert event is not None and event.topic == "oncall.started"
    assert event.payload["work_order_id"] == order.id
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="order-escalation"' in page and "王师傅" in page and "oncall.js" in page
