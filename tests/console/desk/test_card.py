"""The screen-pop card: what it shows, to whom, masked or not, and the audit of each view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    Call,
    Category,
    Community,
    PhoneNumber,
    PresenceState,
    Resident,
    create_work_order,
    utcnow,
)
from tests.console.desk.conftest import (
    CHEN,
    LANDLINE,
    WANG,
    agent_id,
    answered,
    logged_in,
    put,
    token,
)


def audits(engine: Engine, action: str) -> list[AuditLog]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def order(engine: Engine, estate: dict[str, int], unit: int, category: Category,
          *, due_in: dt.timedelta) -> str:  # fmt: skip
    with Session(engine) as s:
        community = s.get_one(Community, estate["SH01"])
        wo = create_work_order(s, community=community, category=category, unit_id=unit)
        wo.due_at = utcnow() + due_in
        s.commit()
        return wo.number


def test_the_card_of_a_known_caller(
    client: FlaskClient,
    engine: Engine,
    estate: dict[str, int],
    homes: dict[str, int],
    make_call: Callable[..., int],
) -> None:
    earlier = make_call(WANG)
    late = order(engine, estate, homes["flat"], Category.REPAIR, due_in=-dt.timedelta(hours=1))
    order(engine, estate, homes["flat"], Category.COMPLAINT, due_in=dt.timedelta(days=2))
    call = make_call(WANG)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    response = client.get(f"/console/desk/calls/{call}/card")
    assert response.status_code == 200
    card = response.get_data(as_text=True)
    assert f'class="pop-card" data-call-id="{call}"' in card
    assert "+86 138****8000" in card and WANG not in card  # masked for an agent
    assert "show number" not in card.lower() and 'class="unmask"' not in card
    assert 'class="resident-name" data-resident-id="{}">王建国'.format(homes["wang"]) in card
    assert "3栋2单元1502" in card and "王小明" in card  # the household
    assert 'class="flag senior-care"' in card and 'data-cents="12050"' in card
    assert 'class="flag complaints" data-count="1"' in card
    assert "do-not-call" not in card
    assert "按键 2" in card and "厨房漏水" in card  # the IVR path (in Chinese by default)
    assert late in card and 'class="sla overdue"' in card and "data-due=" in card
    assert f'data-call-id="{earlier}"' in card  # the last calls
    assert "暂无回访数据" in card
    assert f"/console/work-orders/new?call={call}&amp;unit={homes['flat']}" in card
    assert f"/console/work-orders/?unit={homes['flat']}" in card  # the unit's history
    viewed = {(a.subject_type, a.subject_id) for a in audits(engine, "view")}
    assert {("resident", str(homes["wang"])), ("resident", str(homes["son"]))} <= viewed
    assert all(a.agent_id == agent_id(engine, "agent1") for a in audits(engine, "view"))


def test_a_shared_number_offers_a_choice_and_the_choice_is_shown(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    call = make_call(LANDLINE)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    card = client.get(f"/console/desk/calls/{call}/card").get_data(as_text=True)
    assert card.count('class="choose-match') == 2
    assert 'class="resident-name" data-resident-id="{}"'.format(homes["li"]) in card  # primary
    chosen = client.get(
        f"/console/desk/calls/{call}/card?resident={homes['wang']}&unit={homes['flat']}"
    ).get_data(as_text=True)
    assert 'class="resident-name" data-resident-id="{}"'.format(homes["wang"]) in chosen


@pytest.mark.parametrize(("login", "masked"), [("supervisor1", True), ("admin", True)])
def test_supervisors_see_any_call_of_their_communities_and_may_unmask_it(
    client: FlaskClient,
    engine: Engine,
    homes: dict[str, int],
    make_call: Callable[..., int],
    login: str,
    masked: bool,
) -> None:
    call = make_call(WANG)  # offered to nobody
    logged_in(client, login)
    card = client.get(f"/console/desk/calls/{call}/card").get_data(as_text=True)
    assert "+86 138****8000" in card and 'class="unmask"' in card
    response = client.post(f"/console/desk/calls/{call}/unmask", headers=token(client))
    assert response.status_code == 200 and response.json == {"number": WANG}
    [row] = audits(engine, "unmask")
    assert (row.subject_type, row.subject_id, row.agent_id) == (
        "call",
        str(call),
        agent_id(engine, login),
    )


def test_an_agent_may_not_unmask(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    assert (
        client.post(f"/console/desk/calls/{call}/unmask", headers=token(client)).status_code == 403
    )
    assert audits(engine, "unmask") == []


def test_another_communitys_call_is_a_404_even_when_offered(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    far = make_call(CHEN, community="SH02")
    put(engine, "agent1", PresenceState.OFFERED, far)
    logged_in(client, "agent1")
    assert client.get(f"/console/desk/calls/{far}/card").status_code == 404
    assert client.get("/console/desk/calls/999999/card").status_code == 404
    assert audits(engine, "view") == []


def test_an_agent_sees_only_calls_offered_to_or_answered_by_them(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    others, mine = make_call(WANG), make_call(WANG)
    answered(engine, "agent1", mine)
    logged_in(client, "agent1")
    assert client.get(f"/console/desk/calls/{others}/card").status_code == 404
    assert client.get(f"/console/desk/calls/{mine}/card").status_code == 200


def test_an_unknown_caller_is_found_by_address_and_attached(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    call = make_call("+8613011112222")
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    card = client.get(f"/console/desk/calls/{call}/card").get_data(as_text=True)
    assert 'class="unknown-caller"' in card and "resident-name" not in card
    found = client.get("/console/desk/residents?q=3栋2单元1502").json["found"]
    assert {f["name"] for f in found} == {"王建国", "王小明"}
    assert client.get("/console/desk/residents?q=3栋1502").json["found"] != []
    assert client.get("/console/desk/residents?q=5栋0101").json["found"] == []  # SH02
    assert [f["name"] for f in client.get("/console/desk/residents?q=秀英").json["found"]] == [
        "李秀英"
    ]
    assert client.get("/console/desk/residents?q=陈静").json["found"] == []  # SH02
    headers = token(client)
    attached = client.post(
        f"/console/desk/calls/{call}/attach",
        json={"resident_id": homes["son"], "unit_id": homes["flat"]},
        headers=headers,
    )
    assert attached.status_code == 200
    with Session(engine) as s:
        row = s.get_one(Call, call)
        assert (row.resident_id, row.unit_id) == (homes["son"], homes["flat"])
    card = client.get(f"/console/desk/calls/{call}/card").get_data(as_text=True)
    assert 'data-resident-id="{}">王小明'.format(homes["son"]) in card
    assert any(a.subject_type == "call" for a in audits(engine, "update"))
    wrong = client.post(
        f"/console/desk/calls/{call}/attach",
        json={"resident_id": homes["li"], "unit_id": homes["flat"]},
        headers=headers,
    )
    assert wrong.status_code == 400
    far = client.post(
        f"/console/desk/calls/{call}/attach", json={"unit_id": homes["far"]}, headers=headers
    )
    assert far.status_code == 400


def test_an_unknown_caller_is_added_as_a_resident_with_this_number(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    call = make_call("+8613011112222")
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    created = client.post(
        f"/console/desk/calls/{call}/residents",
        json={"name": " 赵 敏 ", "unit_id": homes["other"], "role": "tenant"},
        headers=token(client),
    )
    assert created.status_code == 201, created.json
    with Session(engine) as s:
        resident = s.get_one(Resident, created.json["resident_id"])
        assert resident.name == "赵 敏"
        phones = s.scalars(
            select(PhoneNumber.e164).where(PhoneNumber.resident_id == resident.id)
        ).all()
        assert phones == ["+8613011112222"]
        assert s.get_one(Call, call).resident_id == resident.id
    assert [a.subject_type for a in audits(engine, "create")] == ["resident"]


def test_a_withheld_number_shows_as_withheld(
    app: Flask, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    call = make_call(None)
    put(engine, "agent1", PresenceState.OFFERED, call)
    client = logged_in(app.test_client(), "agent1")
    card = client.get(f"/console/desk/calls/{call}/card").get_data(as_text=True)
    assert 'class="caller-number"' in card and "号码未显示" in card and "anonymous" not in card
