"""The console's estate with places, people, teams and a call for the work-order pages.

阳光花园 (SH01): unit 3栋2单元1502 with resident 李明, the plumbers (李师傅) and the
electricians; a call from 李明 answered by agent1. 翠湖苑 (SH02): unit 1栋101, its
own plumbers, and an open order taken by agent3 (``sh02_order``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import (
    Agent,
    Call,
    Category,
    Community,
    Direction,
    Location,
    ResidentRole,
    Team,
    Technician,
    WorkOrder,
)
from models.work_order_flow import OrderDetails, open_work_order
from tests import factories
from tests.console.conftest import csrf_token, log_in


@dataclasses.dataclass(frozen=True)
class Places:
    """Ids of what the tests use."""

    sh01: int
    sh02: int
    unit: int
    sh02_unit: int
    resident: int
    call: int
    plumbers: int
    electricians: int
    technician: int
    sh02_plumbers: int
    sh02_order: int
    agents: dict[str, int]


@pytest.fixture
def places(engine: Engine, estate: dict[str, int]) -> Places:
    with Session(engine) as s:
        sh01 = s.get_one(Community, estate["SH01"])
        sh02 = s.get_one(Community, estate["SH02"])
        unit = factories.unit(s, sh01, "3", "1502", "2")
        sh02_unit = factories.unit(s, sh02, "1", "101")
        resident = factories.resident(
            s, "李明", units=[(unit, ResidentRole.OWNER)], phones=[("+8613800138000", True)]
        )
        teams = [
            Team(community_id=sh01.id, name="工程部水电组", trade="plumbing"),
            Team(community_id=sh01.id, name="工程部电工组", trade="electrical"),
            Team(community_id=sh02.id, name="翠湖苑工程部", trade="plumbing"),
        ]
        s.add_all(teams)
        s.flush()
        li = Technician(team_id=teams[0].id, name="李师傅")
        agents = dict(s.execute(select(Agent.login, Agent.id)).all())
        call = Call(
            provider="simulator",
            provider_call_id="CA" + "1" * 32,
            direction=Direction.INBOUND,
            community_id=sh01.id,
            unit_id=unit.id,
            resident_id=resident.id,
            agent_id=agents["agent1"],
        )
        s.add_all([li, call])
        s.flush()
        details = OrderDetails(Category.REPAIR, "lift", "电梯异响", unit_id=sh02_unit.id)
        sh02_order = open_work_order(s, sh02, details, agent_id=agents["agent3"])
        s.commit()
        return Places(
            sh01=sh01.id,
            sh02=sh02.id,
            unit=unit.id,
            sh02_unit=sh02_unit.id,
            resident=resident.id,
            call=call.id,
            plumbers=teams[0].id,
            electricians=teams[1].id,
            technician=li.id,
            sh02_plumbers=teams[2].id,
            sh02_order=sh02_order.id,
            agents=agents,
        )


def as_agent(client: FlaskClient, login: str) -> str:
    """Log ``login`` in; the CSRF token for their forms."""
    response = log_in(client, login)
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/console/work-orders/new")


def open_order(
    engine: Engine,
    community_id: int,
    login: str,
    category: Category = Category.REPAIR,
    *,
    now: dt.datetime | None = None,
    **details: object,
) -> int:
    """An order opened straight through the domain, as ``login``; its id."""
    with Session(engine) as s:
        agent_id = s.scalars(select(Agent.id).where(Agent.login == login)).one()
        fields: dict[str, object] = {"subcategory": "other", "description": "测试"} | details
        if category is not Category.INQUIRY and "unit_id" not in fields:
            fields |= {"location": Location.COMMON_AREA, "location_detail": "大堂"}
        order = open_work_order(
            s,
            s.get_one(Community, community_id),
            OrderDetails(category, **fields),  # type: ignore[arg-type]
            agent_id=agent_id,
            now=now,
        )
        s.commit()
        return order.id


def order_of(engine: Engine, order_id: int) -> WorkOrder:
    with Session(engine, expire_on_commit=False) as s:
        return s.get_one(WorkOrder, order_id)
